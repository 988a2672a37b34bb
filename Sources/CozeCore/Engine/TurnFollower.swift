import DiscordWire
import NIOCore
import Synchronization

/// Follows one turn's reply from two places at once.
///
/// The gateway hands the channel's events straight to ``receive(_:)`` (an edit on the connection's
/// event loop, as it arrives), which feeds the tracker and passes what it produces to `emit` there
/// and then: an edit reaches the consumer without waking the turn's own task (each wake-up is a
/// thread hand-off, and on a busy machine the hand-offs, not the work, made most of the bridge's
/// latency). The turn's task keeps what must not
/// hold up the gateway: the deadlines and the REST catch-up after a new gateway session; ``Wake``
/// tells it what to do next.
///
/// Everything happens under one lock, so `emit` sees the events in the tracker's order, one at a
/// time, and nothing is emitted once the turn has its terminal event (which is kept, not emitted:
/// the turn is stored before its consumer hears of the end).
final class TurnFollower: Sendable {
    /// What the turn's task is asked to do.
    enum Wake: Sendable {
        /// A new gateway session began: read the channel over REST, then call ``caughtUp(_:at:)``.
        case catchUp
        /// The turn has its terminal event.
        case ended
    }

    /// How long a turn may take; see ``CozeBridge`` `follow`.
    struct Limits: Sendable {
        var started: ContinuousClock.Instant
        var idle: Duration
        var overall: Duration
        var firstReply: Duration
        /// The shorter idle limit of a reply classified as a failure text.
        var failureIdle: Duration
    }

    private struct State {
        /// `nil` until the prompt's message id is known (``begin(_:)``).
        var tracker: ReplyTracker?
        /// Events that came before ``begin(_:)`` or during a catch-up, in arrival order.
        var held: [(event: DiscordGatewayEvent, at: ContinuousClock.Instant)] = []
        var catchingUp = false
        var terminal: TurnEvent?
        /// While the gateway reconnects no edit can arrive: Coze's silence is not measured then,
        /// and it is measured again from the moment the session is back (soak finding: a drop
        /// longer than the idle timeout ended turns as done with truncated text).
        var offline = false
        var backOnline: ContinuousClock.Instant
    }

    private let state: Mutex<State>
    private let limits: Limits
    private let emit: @Sendable (TurnEvent) -> Void
    private let wake: @Sendable (Wake) -> Void
    private let timer: TurnDeadlineTimer
    /// Named in the error that ends the turn when the bot's gateway stops for good.
    private let botIdentity: String

    /// - Parameters:
    ///   - emit: gets the turn's non-terminal events; it runs under the follower's lock, on the
    ///     gateway connection's event loop, the gateway client's task or the turn's, so it must be
    ///     quick and must not block.
    ///   - wake: asks the turn's task to act (see ``Wake``); quick, never blocking.
    ///   - tick: called by the deadline timer (armed from ``begin(_:)`` on); the turn's task then
    ///     calls ``tick(at:)``.
    ///   - timerLoop: where the deadline timer runs: the gateway connection's loop, which calls
    ///     ``receive(_:)`` (see ``TurnDeadlineTimer``); `nil` picks one.
    init(
        limits: Limits, botIdentity: String, emit: @escaping @Sendable (TurnEvent) -> Void,
        wake: @escaping @Sendable (Wake) -> Void, tick: @escaping @Sendable () -> Void,
        timerLoop: (any EventLoop)? = nil
    ) {
        self.limits = limits
        self.botIdentity = botIdentity
        self.emit = emit
        self.wake = wake
        timer = TurnDeadlineTimer(on: timerLoop, fire: tick)
        state = Mutex(State(backOnline: limits.started))
    }

    // MARK: - From the gateway

    /// One event of the turn's channel (or of the whole gateway session).
    func receive(_ event: DiscordGatewayEvent) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.terminal == nil else { return }
            if state.tracker == nil || state.catchingUp {
                state.held.append((event, now))
                return
            }
            apply(event, at: now, to: &state)
        }
    }

    // MARK: - From the turn's task

    /// The prompt was posted: from now on the reply is recognised. Replays what came before.
    func begin(_ tracker: ReplyTracker) {
        state.withLock { state in
            state.tracker = tracker
            replayHeld(&state)
            if state.terminal == nil { timer.arm(at: nextDeadline(state, ContinuousClock.now)) }
        }
    }

    /// The deadline timer fired: ends the turn if it has been quiet or long for too long.
    func tick(at now: ContinuousClock.Instant) {
        state.withLock { state in
            guard state.terminal == nil, var tracker = state.tracker else { return }
            var produced: [TurnEvent] = []
            if now - limits.started >= limits.overall {
                produced = tracker.finishOnOverallTimeout(after: limits.overall)
            } else if state.offline {
                // Silence while offline is not Coze's.
            } else if tracker.hasReply, let last = tracker.lastActivity {
                // Classifying reads the whole reply text: only once the shorter limit passed.
                let quiet = now - max(last, state.backOnline)
                if quiet >= limits.failureIdle, quiet >= limits.idle || tracker.classification.isFailure {
                    produced = tracker.finishOnIdle(after: limits.idle)
                }
            } else if now - limits.started >= limits.firstReply {
                produced = tracker.finishOnIdle(after: limits.firstReply)
            }
            state.tracker = tracker
            settle(produced, at: now, in: &state)
        }
    }

    /// The catch-up asked by ``Wake/catchUp`` read `messages` (oldest first): every message carries
    /// its whole content, so feeding them brings the tracker up to date (at worst with one
    /// correction). Then the events held meanwhile are replayed.
    func caughtUp(_ messages: [JSONValue], at now: ContinuousClock.Instant) {
        state.withLock { state in
            state.catchingUp = false
            guard state.terminal == nil, var tracker = state.tracker else { return }
            var produced: [TurnEvent] = []
            for message in messages {
                produced += tracker.handle(event: "MESSAGE_UPDATE", data: message, at: now)
            }
            state.tracker = tracker
            settle(produced, at: now, in: &state)
            replayHeld(&state)
        }
    }

    /// The prompt's message id, once ``begin(_:)`` has been called.
    var promptMessageID: Snowflake {
        state.withLock { $0.tracker?.promptMessageID ?? Snowflake(0) }
    }

    /// Stops the timer; returns the terminal event (a cancellation when the turn had none: the
    /// engine is shutting down) and the tracker's final state.
    func finish() -> (TurnEvent, ReplyTracker?) {
        timer.stop()
        return state.withLock { state in
            if let terminal = state.terminal { return (terminal, state.tracker) }
            let cancelled = state.tracker?.fail(.cancelled).first ?? .failed(.cancelled)
            state.terminal = cancelled
            return (cancelled, state.tracker)
        }
    }

    // MARK: - Under the lock

    private func replayHeld(_ state: inout State) {
        while !state.held.isEmpty, state.terminal == nil, !state.catchingUp {
            let (event, at) = state.held.removeFirst()
            apply(event, at: at, to: &state)
        }
        if state.terminal != nil { state.held.removeAll() }
    }

    private func apply(_ event: DiscordGatewayEvent, at now: ContinuousClock.Instant, to state: inout State) {
        guard var tracker = state.tracker else { return }
        var produced: [TurnEvent] = []
        switch event {
        case .dispatch(let name, _, let data):
            produced = tracker.handle(event: name, data: data, at: now)
        case .stopped(let error):
            produced = tracker.fail(
                .discord(
                    status: nil, code: nil,
                    message: "the gateway of bot \(botIdentity) stopped: \(error?.description ?? "shut down")"))
        case .reconnecting:
            state.offline = true
        case .resumed:
            state.offline = false
            state.backOnline = now
        case .ready:
            // A new session (after INVALID_SESSION or an expired resume): dispatches sent
            // between the two sessions are gone for good, so the channel is read over REST.
            // What arrives meanwhile waits, so that nothing older overwrites it.
            state.offline = false
            state.backOnline = now
            state.catchingUp = true
            wake(.catchUp)
        }
        state.tracker = tracker
        settle(produced, at: now, in: &state)
    }

    private func settle(_ produced: [TurnEvent], at now: ContinuousClock.Instant, in state: inout State) {
        for event in produced where state.terminal == nil {
            if event.isTerminal { state.terminal = event } else { emit(event) }
        }
        if state.terminal != nil {
            timer.stop()
            wake(.ended)
        } else {
            timer.arm(at: nextDeadline(state, now))
        }
    }

    /// When a tick may end the turn. Classifying reads the whole reply text, so it is done only
    /// once the shorter (failure) limit has passed.
    private func nextDeadline(_ state: State, _ now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let overallEnd = limits.started + limits.overall
        if state.offline { return overallEnd }
        guard let tracker = state.tracker, tracker.hasReply, let last = tracker.lastActivity else {
            return min(overallEnd, limits.started + limits.firstReply)
        }
        let quietSince = max(last, state.backOnline)
        let limit =
            now - quietSince < limits.failureIdle || tracker.classification.isFailure ? limits.failureIdle : limits.idle
        return min(overallEnd, quietSince + limit)
    }
}
