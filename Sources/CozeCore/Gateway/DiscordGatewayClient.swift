import DiscordWire
import NIOCore
import Synchronization

/// A long-lived Discord gateway session for one token.
///
/// It connects (zlib-stream), heartbeats with jitter, IDENTIFYs, and then keeps the session
/// alive for as long as Discord allows: zombie connections, RECONNECT, INVALID_SESSION and lost
/// connections all end in a RESUME (or a new IDENTIFY when the session is gone), with capped
/// exponential backoff between failed attempts. Close codes that no retry can fix (bad token,
/// refused intents, …) stop the client with a `DiscordGatewayError` instead of a reconnect loop.
///
/// Subscribe with `events()` before `start()` to see READY. Every subscriber gets every event
/// (`events(channelID:)` only the dispatches of one channel, so that N turns in flight do not each
/// wake for every edit of the others); dispatches arrive once each and in sequence order, replays
/// after RESUME deduplicated. All work runs in one task the client owns; `shutdown()` cancels it
/// and closes with 1000.
public final class DiscordGatewayClient: Sendable {
    /// The settings this client was made with.
    public let configuration: DiscordGatewayConfiguration

    private struct State {
        var status: DiscordGatewayStatus = .idle
        var statistics = DiscordGatewayStatistics()
        /// Every subscriber, with the channel it follows (`nil`: every dispatch).
        var subscribers: [Int: (subscriber: Subscriber, channelID: Snowflake?)] = [:]
        /// The subscribers of one channel's dispatches, by channel; also in `subscribers`.
        var channelSubscribers: [Snowflake: [Int: Subscriber]] = [:]
        /// The subscribers that want every dispatch; also in `subscribers`.
        var allDispatchSubscribers: [Int: Subscriber] = [:]
        var nextSubscriber = 0
        var runTask: Task<Void, Never>?
        /// Set once the client stopped; late subscribers get it at once.
        var finalEvent: DiscordGatewayEvent?
        var sessionID: String?
        var currentUser: DiscordGatewayUser?
        /// The loop of the connection open now (or last open).
        var eventLoop: (any EventLoop)?
    }

    /// How to hand one subscriber an event, and how to tell it that none will follow.
    struct Subscriber: Sendable {
        let deliver: @Sendable (DiscordGatewayEvent) -> Void
        let finish: @Sendable () -> Void
    }

    private let state = Mutex(State())

    public init(configuration: DiscordGatewayConfiguration) {
        self.configuration = configuration
    }

    /// Where the session stands right now.
    public var status: DiscordGatewayStatus { state.withLock { $0.status } }

    /// Counters since `start()`.
    public var statistics: DiscordGatewayStatistics { state.withLock { $0.statistics } }

    /// The current session id, once READY has been received.
    public var sessionID: String? { state.withLock { $0.sessionID } }

    /// The event loop that reads the connection open now (or the last one), where dispatches are
    /// handed to subscribers; `nil` before the first connection.
    public var eventLoop: (any EventLoop)? { state.withLock { $0.eventLoop } }

    /// The account this client's token belongs to, from the latest READY; `nil` until the first
    /// READY. It stays set across reconnects and after the client stopped (a token's user does
    /// not change).
    public var currentUser: DiscordGatewayUser? { state.withLock { $0.currentUser } }

    /// A new stream of everything the client reports from now on, ending after `.stopped`.
    ///
    /// Buffering is unbounded so that a slow consumer never stalls the socket or another
    /// subscriber; consumers are expected to keep up on average.
    public func events() -> AsyncStream<DiscordGatewayEvent> {
        subscribe(channelID: nil)
    }

    /// Like `events()`, but of the dispatches only those about `channelID`: the ones whose
    /// `channel_id` is that channel, and `CHANNEL_*` / `THREAD_*` dispatches whose `id` is.
    /// Session events (`ready`, `resumed`, `reconnecting`, `stopped`) all arrive.
    public func events(channelID: Snowflake) -> AsyncStream<DiscordGatewayEvent> {
        subscribe(channelID: channelID)
    }

    private func subscribe(channelID: Snowflake?) -> AsyncStream<DiscordGatewayEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: DiscordGatewayEvent.self, bufferingPolicy: .unbounded)
        let id = subscribe(
            channelID: channelID, deliver: { continuation.yield($0) }, finish: { continuation.finish() })
        if let id {
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        }
        return stream
    }

    /// Calls `deliver` from now on with what `events(channelID:)` (`events()` for a `nil`
    /// channel) would yield, outside the client's lock: most dispatches on the connection's event
    /// loop as they arrive, everything else on the client's task. Dispatches never overlap one
    /// another; a session event (`.reconnecting` after a dropped connection) may overlap the
    /// connection's last dispatch. `deliver` must be quick and must not block; `finish` runs after
    /// the final `.stopped`. Returns the id for `unsubscribe(_:)`, or `nil` when the client had
    /// already stopped (then both were called at once).
    func subscribe(
        channelID: Snowflake?, deliver: @escaping @Sendable (DiscordGatewayEvent) -> Void,
        finish: @escaping @Sendable () -> Void = {}
    ) -> Int? {
        let subscriber = Subscriber(deliver: deliver, finish: finish)
        let registered: Int? = state.withLock { state in
            guard state.finalEvent == nil else { return nil }
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = (subscriber, channelID)
            if let channelID {
                state.channelSubscribers[channelID, default: [:]][id] = subscriber
            } else {
                state.allDispatchSubscribers[id] = subscriber
            }
            return id
        }
        if registered == nil {
            if let last = state.withLock({ $0.finalEvent }) { deliver(last) }
            finish()
        }
        return registered
    }

    /// How many subscribers follow one channel, and how many channels they follow: turns that
    /// ended must leave none behind.
    var channelSubscriptionCounts: (subscribers: Int, channels: Int) {
        state.withLock { state in
            (state.channelSubscribers.values.reduce(0) { $0 + $1.count }, state.channelSubscribers.count)
        }
    }

    /// Stops the deliveries of `subscribe(channelID:deliver:finish:)`'s subscriber `id`, without
    /// calling its `finish`. A delivery already under way may still complete.
    func unsubscribe(_ id: Int) {
        state.withLock { state in
            guard let removed = state.subscribers.removeValue(forKey: id) else { return }
            guard let channelID = removed.channelID else {
                state.allDispatchSubscribers.removeValue(forKey: id)
                return
            }
            state.channelSubscribers[channelID]?.removeValue(forKey: id)
            if state.channelSubscribers[channelID]?.isEmpty == true {
                state.channelSubscribers.removeValue(forKey: channelID)
            }
        }
    }

    /// Starts connecting. Calling it again, or after `shutdown()`, does nothing.
    public func start() {
        state.withLock { state in
            guard state.runTask == nil, state.finalEvent == nil else { return }
            state.status = .connecting
            state.runTask = Task { await self.run() }
        }
    }

    /// Closes the connection with 1000 (which ends the session on Discord), stops every task of
    /// the client and ends every event stream with `.stopped(nil)`.
    public func shutdown() async {
        let task = state.withLock { $0.runTask }
        if let task {
            task.cancel()
            await task.value
        } else {
            finish(.shutdown)
        }
    }

    /// Waits until the status satisfies `condition` or the client stops; returns the status seen.
    /// A convenience for callers that want to block until READY.
    public func waitForStatus(
        timeout: Duration, _ condition: @Sendable (DiscordGatewayStatus) -> Bool
    ) async -> DiscordGatewayStatus {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = status
            if condition(current) || current.isStopped { return current }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { break }
        }
        return status
    }

    // MARK: - The run loop

    /// What the session can be resumed with.
    private struct ResumableSession {
        var id: String
        var resumeURL: String
        var sequence: Int
    }

    /// How one connection ended.
    private enum ConnectionOutcome {
        case cancelled
        case fatal(DiscordGatewayError)
        case reconnect(DiscordGatewayReconnectReason, stable: Bool)
    }

    private func run() async {
        var session: ResumableSession?
        var failures = 0
        while !Task.isCancelled {
            let outcome = await runConnection(session: &session)
            let delay: Duration
            switch outcome {
            case .cancelled:
                finish(.shutdown)
                return
            case .fatal(let error):
                finish(.fatal(error))
                return
            case .reconnect(let reason, let stable):
                switch reason {
                case .serverRequestedReconnect, .invalidSession(resumable: true):
                    // Discord asked for this; it is not a failure and waiting gains nothing.
                    delay = .zero
                case .invalidSession(resumable: false):
                    let range = configuration.invalidSessionDelay
                    let low = DiscordGatewayBackoff.seconds(range.lowerBound)
                    let high = DiscordGatewayBackoff.seconds(range.upperBound)
                    delay = .nanoseconds(Int64(Double.random(in: low...max(low, high)) * 1e9))
                default:
                    if stable { failures = 0 }
                    delay = configuration.backoff.delay(attempt: failures, random: Double.random(in: 0...1))
                    failures += 1
                }
                setStatus(.reconnecting(reason))
                emit(.reconnecting(reason))
            }
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { break }
            }
        }
        finish(.shutdown)
    }

    /// One WebSocket connection from connect to close.
    private func runConnection(session: inout ResumableSession?) async -> ConnectionOutcome {
        let resuming = session != nil
        setStatus(resuming ? .resuming : .connecting)
        let url = session?.resumeURL ?? configuration.gatewayURL
        let socket: GatewayWebSocket
        let link = ConnectionLink(sequence: session?.sequence)
        do {
            socket = try await GatewayWebSocket.connect(
                to: url, zlibStream: configuration.zlibStream, proxy: configuration.proxy,
                timeout: configuration.connectTimeout,
                intercept: { [self] payload in dispatchOnEventLoop(payload, link: link) })
        } catch {
            if Task.isCancelled { return .cancelled }
            if session == nil, !Self.isGatewayURL(url) {
                return .fatal(
                    DiscordGatewayError(
                        kind: .invalidConfiguration, closeCode: nil,
                        description: "The gateway URL \(url) of bot \(configuration.botLabel) is not a ws:// or wss:// URL."))
            }
            return .reconnect(.connectFailed("\(error)"), stable: false)
        }
        updateStatistics { $0.connections += 1 }
        state.withLock { $0.eventLoop = socket.eventLoop }

        return await withTaskGroup(of: Void.self) { group -> ConnectionOutcome in
            let helloTimeout = configuration.helloTimeout
            group.addTask {
                do { try await Task.sleep(for: helloTimeout) } catch { return }
                if link.markHelloTimeoutIfWaiting() { await socket.drop() }
            }
            var outcome: ConnectionOutcome?
            events: for await event in socket.events {
                switch event {
                case .payload(let payload):
                    let decided = await handle(
                        payload, socket: socket, session: &session, resuming: resuming, link: link, group: &group)
                    link.queuedPayloadHandled()
                    if let decided {
                        outcome = decided
                        break events
                    }
                case .closed(let code, let reason):
                    outcome = classifyClose(code: code, reason: reason, link: link, session: &session)
                    break events
                }
            }
            group.cancelAll()
            // Dispatches taken on the event loop moved only the link's sequence.
            if let sequence = link.sequence, let known = session?.sequence, sequence > known {
                session?.sequence = sequence
            }
            if Task.isCancelled {
                // shutdown(): 1000 tells Discord the session is over.
                await socket.close(code: 1000)
                return .cancelled
            }
            return outcome ?? .reconnect(.connectionLost("the event stream ended"), stable: link.wasStable(configuration.stableSessionDuration))
        }
    }

    /// Handles one payload; returns an outcome when the connection is to end.
    private func handle(
        _ payload: JSONValue, socket: GatewayWebSocket, session: inout ResumableSession?, resuming: Bool,
        link: ConnectionLink, group: inout TaskGroup<Void>
    ) async -> ConnectionOutcome? {
        let data = payload["d"] ?? .null
        // Heartbeat ACKs never get here: the event loop notes them (see `dispatchOnEventLoop`).
        switch payload["op"]?.intValue.flatMap(GatewayOpcode.init(rawValue:)) {
        case .hello:
            guard link.markHelloReceived() else { return nil }
            let milliseconds = max(data["heartbeat_interval"]?.intValue ?? 41_250, 1)
            let interval = Duration.milliseconds(milliseconds)
            group.addTask { await self.heartbeat(every: interval, socket: socket, link: link) }
            if let session, resuming {
                socket.sendWithoutWaiting([
                    "op": JSONValue(GatewayOpcode.resume.rawValue),
                    "d": [
                        "token": .string(configuration.gatewayToken), "session_id": .string(session.id),
                        "seq": JSONValue(session.sequence),
                    ],
                ])
                updateStatistics { $0.resumes += 1 }
            } else {
                socket.sendWithoutWaiting(identifyPayload)
                updateStatistics { $0.identifies += 1 }
            }
        case .heartbeat:
            // Discord wants an immediate beat; it does not replace the scheduled one.
            socket.sendWithoutWaiting(heartbeatPayload(sequence: link.sequence))
            updateStatistics { $0.heartbeatsSent += 1 }
        case .reconnect:
            await socket.close(code: 4000)
            return .reconnect(.serverRequestedReconnect, stable: link.wasStable(configuration.stableSessionDuration))
        case .invalidSession:
            let resumable = data.boolValue ?? false
            if !resumable {
                session = nil
                setSessionID(nil)
            }
            // Not 1000: with `d: true` the session must survive the close.
            await socket.close(code: 4000)
            return .reconnect(
                .invalidSession(resumable: resumable && session != nil),
                stable: link.wasStable(configuration.stableSessionDuration))
        case .dispatch:
            dispatch(payload, data: data, session: &session, link: link)
        default:
            break
        }
        return nil
    }

    private func dispatch(_ payload: JSONValue, data: JSONValue, session: inout ResumableSession?, link: ConnectionLink) {
        let name = payload["t"]?.stringValue ?? ""
        let sequence = payload["s"]?.intValue
        switch name {
        case "READY":
            let ready = DiscordGatewayReady(data: data)
            session = ResumableSession(
                id: ready.sessionID, resumeURL: ready.resumeGatewayURL.isEmpty ? configuration.gatewayURL : ready.resumeGatewayURL,
                sequence: sequence ?? 0)
            link.sequence = sequence
            link.markReady()
            setSessionID(ready.sessionID)
            if let id = ready.userID {
                state.withLock { $0.currentUser = DiscordGatewayUser(id: id, username: ready.username) }
            }
            setStatus(.ready)
            updateStatistics { $0.dispatches += 1 }
            emit(.ready(ready))
        case "RESUMED":
            if let sequence, sequence > (session?.sequence ?? 0) {
                session?.sequence = sequence
                link.sequence = sequence
            }
            link.markReady()
            setStatus(.ready)
            updateStatistics {
                $0.resumed += 1
                $0.dispatches += 1
            }
            emit(.resumed(sessionID: session?.id ?? ""))
        default:
            guard let sequence else {
                emit(.dispatch(name: name, sequence: 0, data: data))
                return
            }
            let accepted = link.advance(to: sequence)
            if case .accepted = accepted { session?.sequence = sequence }
            deliverDispatch(name: name, sequence: sequence, data: data, accepted)
        }
    }

    /// Runs on the connection's event loop for every payload, before the client's task sees it.
    /// A numbered dispatch (other than READY and RESUMED) of an established session is handled
    /// right there when nothing is waiting for the task, so an edit reaches its turn without a
    /// task hand-off, and so is a heartbeat ACK (see ``ConnectionLink/takeOnEventLoop(opcode:dispatchSequence:)``);
    /// everything else goes to the task, and while anything does, so does every later payload,
    /// which keeps them all in order.
    private func dispatchOnEventLoop(_ payload: JSONValue, link: ConnectionLink) -> Bool {
        let opcode = payload["op"]?.intValue
        var candidate: (name: String, sequence: Int)?
        if opcode == GatewayOpcode.dispatch.rawValue, let sequence = payload["s"]?.intValue,
            let name = payload["t"]?.stringValue, name != "READY", name != "RESUMED"
        {
            candidate = (name, sequence)
        }
        // Called for every payload: the link counts those it leaves to the task.
        switch link.takeOnEventLoop(opcode: opcode, dispatchSequence: candidate?.sequence) {
        case .task:
            return false
        case .heartbeatAcknowledged:
            updateStatistics { $0.heartbeatAcks += 1 }
            return true
        case .dispatch(let accepted):
            // Only a candidate's sequence can be taken as a dispatch.
            guard let candidate else { return false }
            deliverDispatch(name: candidate.name, sequence: candidate.sequence, data: payload["d"] ?? .null, accepted)
            return true
        }
    }

    /// Counts a numbered dispatch and emits it, unless it repeats one already seen.
    private func deliverDispatch(name: String, sequence: Int, data: JSONValue, _ accepted: ConnectionLink.Advance) {
        switch accepted {
        case .duplicate:
            updateStatistics { $0.duplicatesDropped += 1 }
        case .accepted(let gap):
            updateStatistics {
                if gap { $0.sequenceGaps += 1 }
                $0.dispatches += 1
            }
            emit(.dispatch(name: name, sequence: sequence, data: data))
        }
    }

    private func classifyClose(
        code: UInt16?, reason: String, link: ConnectionLink, session: inout ResumableSession?
    ) -> ConnectionOutcome {
        let stable = link.wasStable(configuration.stableSessionDuration)
        if link.isZombie { return .reconnect(.zombieConnection, stable: stable) }
        if link.helloTimedOut { return .reconnect(.helloTimeout, stable: stable) }
        guard let code else { return .reconnect(.connectionLost(reason), stable: stable) }
        if let fatal = DiscordGatewayError.fatal(
            closeCode: code, reason: reason, botLabel: configuration.botLabel, intents: configuration.intents)
        {
            return .fatal(fatal)
        }
        if code == GatewayCloseCode.invalidSequence.rawValue || code == GatewayCloseCode.sessionTimedOut.rawValue {
            // Discord will not resume this session; a RESUME would only earn an INVALID_SESSION.
            session = nil
            setSessionID(nil)
        }
        return .reconnect(.closed(code: code, reason: reason), stable: stable)
    }

    /// Beats every `interval`, the first after a random part of it (so many clients restarted
    /// together do not beat together); a beat whose predecessor was never acknowledged closes
    /// the connection as a zombie, with 4000 so that the session stays resumable.
    private func heartbeat(every interval: Duration, socket: GatewayWebSocket, link: ConnectionLink) async {
        do {
            try await Task.sleep(for: interval * Double.random(in: 0..<1))
            while !Task.isCancelled {
                guard link.beginBeat() else {
                    updateStatistics { $0.zombieConnections += 1 }
                    await socket.close(code: 4000)
                    return
                }
                socket.sendWithoutWaiting(heartbeatPayload(sequence: link.sequence))
                updateStatistics { $0.heartbeatsSent += 1 }
                try await Task.sleep(for: interval)
            }
        } catch {
            // Cancelled: the connection is ending.
        }
    }

    private func heartbeatPayload(sequence: Int?) -> JSONValue {
        ["op": JSONValue(GatewayOpcode.heartbeat.rawValue), "d": sequence.map { JSONValue($0) } ?? .null]
    }

    private var identifyPayload: JSONValue {
        [
            "op": JSONValue(GatewayOpcode.identify.rawValue),
            "d": [
                "token": .string(configuration.gatewayToken),
                "intents": .int(Int64(configuration.intents.rawValue)),
                "properties": [
                    "os": .string(configuration.operatingSystem), "browser": .string(configuration.browser),
                    "device": .string(configuration.device),
                ],
                // Transport compression is zlib-stream; payload compression is legacy.
                "compress": false,
                "large_threshold": 50,
            ],
        ]
    }

    private static func isGatewayURL(_ url: String) -> Bool {
        let lowered = url.lowercased()
        return lowered.hasPrefix("ws://") || lowered.hasPrefix("wss://")
    }

    // MARK: - State and subscribers

    private func setStatus(_ status: DiscordGatewayStatus) {
        state.withLock { state in
            if !state.status.isStopped { state.status = status }
        }
    }

    private func setSessionID(_ id: String?) {
        state.withLock { $0.sessionID = id }
    }

    private func updateStatistics(_ change: (inout DiscordGatewayStatistics) -> Void) {
        state.withLock { change(&$0.statistics) }
    }

    /// Delivers outside the lock: an AsyncStream's termination handler unsubscribes, which takes it.
    private func emit(_ event: DiscordGatewayEvent) {
        let channelID = event.dispatchChannelID
        let subscribers = state.withLock { state in
            guard case .dispatch = event else { return state.subscribers.values.map(\.subscriber) }
            var chosen = Array(state.allDispatchSubscribers.values)
            if let channelID, let ofChannel = state.channelSubscribers[channelID] {
                chosen.append(contentsOf: ofChannel.values)
            }
            return chosen
        }
        for subscriber in subscribers { subscriber.deliver(event) }
    }

    private func finish(_ reason: DiscordGatewayStatus.StopReason) {
        let event: DiscordGatewayEvent
        switch reason {
        case .shutdown: event = .stopped(nil)
        case .fatal(let error): event = .stopped(error)
        }
        let subscribers: [Subscriber]? = state.withLock { state in
            guard state.finalEvent == nil else { return nil }
            state.finalEvent = event
            state.status = .stopped(reason)
            let all = state.subscribers.values.map(\.subscriber)
            state.subscribers = [:]
            state.channelSubscribers = [:]
            state.allDispatchSubscribers = [:]
            return all
        }
        for subscriber in subscribers ?? [] {
            subscriber.deliver(event)
            subscriber.finish()
        }
    }
}

/// What the reader and the heartbeat task of one connection share.
final class ConnectionLink: Sendable {
    private struct State {
        var sequence: Int?
        /// Payloads given to the client's task and not yet handled by it.
        var queued = 0
        var acknowledged = true
        var helloReceived = false
        var helloTimedOut = false
        var zombie = false
        var readyAt: ContinuousClock.Instant?
    }

    private let state: Mutex<State>

    init(sequence: Int?) {
        state = Mutex(State(sequence: sequence))
    }

    var sequence: Int? {
        get { state.withLock { $0.sequence } }
        set { state.withLock { $0.sequence = newValue } }
    }

    /// What a numbered dispatch does to the session's sequence.
    enum Advance: Equatable {
        /// Already seen (a resumed session replays): drop it.
        case duplicate
        /// New; `gap` when some sequence numbers were skipped.
        case accepted(gap: Bool)
    }

    /// Takes `sequence` as the latest seen, unless it is not newer.
    func advance(to sequence: Int) -> Advance {
        state.withLock { Self.advance(&$0, to: sequence) }
    }

    /// Where the event loop leaves a payload.
    enum EventLoopTake: Equatable {
        /// A numbered dispatch handled on the event loop.
        case dispatch(Advance)
        /// A heartbeat ACK: noted on the event loop.
        case heartbeatAcknowledged
        /// Counted as queued: the client's task handles it.
        case task
    }

    /// On the event loop, for a payload of `opcode` (`dispatchSequence` when it is a numbered
    /// dispatch the loop may handle). A dispatch is taken when the session is established and no
    /// payload waits for the task, so the order of dispatches is kept. A heartbeat ACK is always
    /// taken: it only touches the heartbeat's bookkeeping, and left to the task it held every
    /// later dispatch until the cooperative pool got round to that task, so a busy pool delayed
    /// every edit behind it (and a late ACK could look like a zombie connection). Anything else
    /// goes to the task.
    func takeOnEventLoop(opcode: Int?, dispatchSequence: Int?) -> EventLoopTake {
        state.withLock { state in
            if opcode == GatewayOpcode.heartbeatAck.rawValue {
                state.acknowledged = true
                return .heartbeatAcknowledged
            }
            guard let sequence = dispatchSequence, state.readyAt != nil, state.queued == 0 else {
                state.queued += 1
                return .task
            }
            return .dispatch(Self.advance(&state, to: sequence))
        }
    }

    /// The task has handled one payload that ``takeOnEventLoop(opcode:dispatchSequence:)`` gave it.
    func queuedPayloadHandled() {
        state.withLock { $0.queued -= 1 }
    }

    private static func advance(_ state: inout State, to sequence: Int) -> Advance {
        let last = state.sequence ?? 0
        guard sequence > last else { return .duplicate }
        state.sequence = sequence
        return .accepted(gap: last > 0 && sequence > last + 1)
    }

    var isZombie: Bool { state.withLock { $0.zombie } }
    var helloTimedOut: Bool { state.withLock { $0.helloTimedOut } }

    /// `false` for a second HELLO (ignored) or one after the timeout fired.
    func markHelloReceived() -> Bool {
        state.withLock { state in
            guard !state.helloReceived, !state.helloTimedOut else { return false }
            state.helloReceived = true
            return true
        }
    }

    /// `true` when HELLO had not arrived, so the caller should drop the connection.
    func markHelloTimeoutIfWaiting() -> Bool {
        state.withLock { state in
            guard !state.helloReceived else { return false }
            state.helloTimedOut = true
            return true
        }
    }

    /// `true` when the previous beat was acknowledged and the next may go; otherwise marks the
    /// connection a zombie.
    func beginBeat() -> Bool {
        state.withLock { state in
            guard state.acknowledged else {
                state.zombie = true
                return false
            }
            state.acknowledged = false
            return true
        }
    }

    func markReady() {
        state.withLock { state in
            if state.readyAt == nil { state.readyAt = .now }
        }
    }

    func wasStable(_ duration: Duration) -> Bool {
        state.withLock { state in state.readyAt.map { ContinuousClock.now - $0 >= duration } ?? false }
    }
}
