import DiscordWire
import Foundation

/// The monotonic time source of a ``RESTRateLimiter``; injectable so tests can drive time.
public protocol RESTRateLimiterClock: Sendable {
    /// Time elapsed since an arbitrary fixed origin. Never goes backwards.
    var now: Duration { get }
    /// Suspends until ``now`` reaches `deadline`; throws `CancellationError` when cancelled.
    func sleep(until deadline: Duration) async throws
}

/// The real clock: `ContinuousClock`, which keeps counting while the machine sleeps, so a bucket
/// reset that passed during a suspend is not waited for again.
public struct RESTContinuousClock: RESTRateLimiterClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(until deadline: Duration) async throws {
        try await Task.sleep(until: origin + deadline, clock: .continuous)
    }
}

/// Discord REST rate limiting for one token, as discord-wire.md §3.3 lays it out.
///
/// - A proactive global limit (50 requests per second by default) keeps the token under
///   Discord's global limit, counting a request until one period after its answer arrived, so
///   latency jitter cannot squeeze one request too many into Discord's window.
/// - One FIFO queue per (bucket, major parameter); the bucket is the route key until Discord names
///   its hash in `X-RateLimit-Bucket`, after which waiting requests move to the hash's queue.
/// - One request of a queue on the wire at a time, which keeps a channel's messages in order.
/// - A queue whose window is used up (`remaining == 0`) is parked until the reset
///   (`Reset-After`, measured on the monotonic clock).
/// - 429s (``RESTRateLimitVerdict``): a global one pauses every queue, a per-route or shared one
///   parks the bucket; the request keeps its place at the front of its queue and is sent again.
///
/// Use: ``acquire(_:)`` before sending, then exactly one of ``complete(_:headers:)`` or
/// ``retry(_:headers:rateLimit:delay:)`` (which waits for the turn again) per grant.
/// A caller cancelled while waiting leaves its queue without holding anybody up.
public final class RESTRateLimiter: @unchecked Sendable {
    /// Tuning of the limiter.
    public struct Configuration: Sendable, Hashable {
        /// Requests per ``globalPeriod`` for the whole token (Discord: 50 per second).
        public var globalLimit: Int
        /// The period of the global limit.
        public var globalPeriod: Duration
        /// How long an exhausted bucket waits when Discord gave no reset time.
        public var unknownResetFallback: Duration

        public init(globalLimit: Int = 50, globalPeriod: Duration = .seconds(1), unknownResetFallback: Duration = .seconds(1)) {
            self.globalLimit = max(1, globalLimit)
            self.globalPeriod = globalPeriod
            self.unknownResetFallback = unknownResetFallback
        }
    }

    /// Permission to send one request; hand it back with ``complete(_:headers:)`` or ``retry(_:headers:rateLimit:delay:)``.
    public struct Ticket: Sendable, Hashable {
        let id: UInt64
        /// The route the ticket was issued for.
        public let route: DiscordRoute
    }

    /// Thrown to waiters when the limiter is shut down.
    public struct ShutdownError: Error, Sendable, CustomStringConvertible {
        public var description: String { "the Discord REST rate limiter was shut down" }
    }

    /// The configuration the limiter runs with.
    public let configuration: Configuration
    private let clock: any RESTRateLimiterClock

    // Everything below is guarded by `lock`. A lock rather than an actor: the cancellation handler
    // must take a waiter out synchronously, before anyone else can be granted in its place.
    private let lock = NSLock()
    private var state: State
    private var continuations: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    /// Waiting requests whose cancellation arrived before their continuation was registered.
    private var cancelledEarly: Set<UInt64> = []
    private var timer: (deadline: Duration, task: Task<Void, Never>)?
    private var isShutDown = false
    private var completionsSincePrune = 0

    /// Creates a limiter; one per token, shared by everything that uses that token.
    public init(configuration: Configuration = Configuration(), clock: any RESTRateLimiterClock = RESTContinuousClock()) {
        self.configuration = configuration
        self.clock = clock
        self.state = State(configuration: configuration)
    }

    deinit {
        timer?.task.cancel()
    }

    // MARK: Public API

    /// Waits until `route` may be sent: its turn in its bucket's queue, room in the bucket's
    /// window and in the global limit.
    ///
    /// - Throws: `CancellationError` if the task is cancelled while waiting (its place is given
    ///   up and the queue moves on), ``ShutdownError`` after ``shutdown()``.
    public func acquire(_ route: DiscordRoute) async throws -> Ticket {
        let id: UInt64 = try withLock {
            guard !isShutDown else { throw ShutdownError() }
            return state.enqueue(route)
        }
        try await waitForTurn(id)
        return Ticket(id: id, route: route)
    }

    /// The request of `ticket` is finished: it got an answer with `headers` (any status but a
    /// 429 that is to be retried), or failed without an answer (`nil`).
    public func complete(_ ticket: Ticket, headers: RESTRateLimitHeaders?) {
        withLock {
            state.complete(ticket.id, headers: headers, now: clock.now)
            completionsSincePrune += 1
            if completionsSincePrune >= 256 {
                completionsSincePrune = 0
                state.pruneIdleQueues(now: clock.now)
            }
        }
        pump()
    }

    /// Puts the request of `ticket` back at the front of its queue and waits for its turn again.
    ///
    /// - Parameters:
    ///   - headers: the answer's rate-limit headers (they may name the bucket or its window).
    ///   - rateLimit: for a Discord 429, its scope and `retry_after`: a global one pauses every
    ///     queue, a per-route or shared one parks this bucket, for that long.
    ///   - delay: a backoff before the request may go again (after a 5xx); its queue waits behind it.
    /// - Throws: like ``acquire(_:)``; the ticket is released when it throws.
    public func retry(
        _ ticket: Ticket, headers: RESTRateLimitHeaders?,
        rateLimit: (scope: RESTRateLimitHeaders.Scope, retryAfter: Double)? = nil, delay: Duration? = nil
    ) async throws {
        try withLock {
            guard !isShutDown else {
                state.complete(ticket.id, headers: headers, now: clock.now)
                throw ShutdownError()
            }
            state.requeue(ticket.id, headers: headers, rateLimit: rateLimit, delay: delay, now: clock.now)
        }
        try await waitForTurn(ticket.id)
    }

    /// Fails every waiting request with ``ShutdownError`` and refuses new ones.
    public func shutdown() {
        let waiting: [CheckedContinuation<Void, any Error>] = withLock {
            isShutDown = true
            timer?.task.cancel()
            timer = nil
            let waiting = Array(continuations.keys)
            for id in waiting { state.cancel(id, now: clock.now) }
            defer { continuations.removeAll() }
            return Array(continuations.values)
        }
        for continuation in waiting { continuation.resume(throwing: ShutdownError()) }
    }

    /// A snapshot for diagnostics and tests.
    public struct Snapshot: Sendable, Hashable {
        /// Requests waiting for their turn.
        public var waiting: Int
        /// Requests granted and not yet completed.
        public var inFlight: Int
        /// Requests counting against the global limit now.
        public var globalUsage: Int
        /// Route key → learned bucket hash.
        public var bucketHashes: [String: String]
        /// Queues alive (waiting, in flight or in a window that has not ended).
        public var queueCount: Int
        /// Requests ever enqueued (the id of the latest one).
        public var enqueued: UInt64
    }

    /// The limiter's current numbers.
    public var snapshot: Snapshot {
        withLock {
            let requests = state.requests.values
            return Snapshot(
                waiting: requests.count(where: { $0.phase == .waiting }),
                inFlight: requests.count(where: { $0.phase == .granted }),
                globalUsage: state.globalUsage(now: clock.now), bucketHashes: state.bucketHashes,
                queueCount: state.queues.count, enqueued: state.enqueuedCount)
        }
    }

    // MARK: Waiting

    private enum Registration {
        case granted
        case cancelled
        case shutDown
        case waiting
    }

    private func waitForTurn(_ id: UInt64) async throws {
        // Grant first: if the request may go right away, it never suspends.
        pump()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let registration: Registration = withLock {
                    if isShutDown {
                        state.cancel(id, now: clock.now)
                        return .shutDown
                    }
                    if cancelledEarly.remove(id) != nil || Task.isCancelled {
                        state.cancel(id, now: clock.now)
                        return .cancelled
                    }
                    if state.requests[id]?.phase == .granted { return .granted }
                    continuations[id] = continuation
                    return .waiting
                }
                switch registration {
                case .granted:
                    continuation.resume()
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                    pump()
                case .shutDown:
                    continuation.resume(throwing: ShutdownError())
                case .waiting:
                    break
                }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, any Error>? = withLock {
                if let continuation = continuations.removeValue(forKey: id) {
                    state.cancel(id, now: clock.now)
                    return continuation
                }
                if state.requests[id]?.phase == .waiting { cancelledEarly.insert(id) }
                return nil
            }
            if let continuation {
                continuation.resume(throwing: CancellationError())
                // The cancelled request may have been at the head of its queue.
                pump()
            }
        }
    }

    /// Grants whatever may go now, wakes those waiters, and arms the timer for the next instant
    /// at which time alone unblocks something.
    private func pump() {
        let ready: [CheckedContinuation<Void, any Error>] = withLock {
            guard !isShutDown else { return [] }
            let now = clock.now
            let (granted, wakeAt) = state.grant(now: now)
            // A granted request without a continuation is still registering; it sees its phase.
            let ready = granted.compactMap { continuations.removeValue(forKey: $0) }
            if let wakeAt, timer == nil || timer!.deadline > wakeAt {
                timer?.task.cancel()
                let clock = self.clock
                timer = (
                    wakeAt,
                    Task { [weak self] in
                        do {
                            try await clock.sleep(until: wakeAt)
                        } catch {
                            return  // replaced by an earlier timer, or shut down
                        }
                        self?.timerFired(deadline: wakeAt)
                    }
                )
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    private func timerFired(deadline: Duration) {
        withLock {
            if timer?.deadline == deadline { timer = nil }
        }
        pump()
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
