extension RESTRateLimiter {
    /// The key of one FIFO queue: the bucket (hash once known, route key before) and the major
    /// parameter, because Discord keeps a separate window per (bucket, major) pair.
    struct QueueKey: Hashable, CustomStringConvertible {
        var bucket: String
        var major: String

        var description: String { major.isEmpty ? bucket : "\(bucket)|\(major)" }
    }

    /// One queue's view of its Discord bucket, and who is waiting on it.
    struct Queue {
        /// `X-RateLimit-Limit`, once seen.
        var limit: Int?
        /// Requests left in the current window; `nil` while unknown (then only the one-in-flight rule applies).
        var remaining: Int?
        /// When the window ends, on the limiter's monotonic clock.
        var resetAt: Duration?
        /// Requests sent and not answered yet.
        var inFlight = 0
        /// Waiting request ids, ascending. Ids are issued in arrival order, so ascending is FIFO,
        /// and a request put back after a 429 or a 5xx lands at its original place: the front.
        var waiting: [UInt64] = []

        var isIdle: Bool { inFlight == 0 && waiting.isEmpty }

        mutating func insert(_ id: UInt64) {
            var index = waiting.endIndex
            while index > waiting.startIndex, waiting[index - 1] > id { index -= 1 }
            waiting.insert(id, at: index)
        }
    }

    /// One request the limiter knows about: waiting for its turn or on the wire.
    struct Request {
        enum Phase { case waiting, granted }

        let routeKey: String
        let major: String
        let exemptFromGlobal: Bool
        var queue: QueueKey
        var phase: Phase = .waiting
        /// Set while waiting to be retried after a 5xx: the request keeps the queue's front but may
        /// not go before this instant.
        var notBefore: Duration?
        /// Whether the current grant took a slot of the global limit.
        var holdsGlobalSlot = false
    }

    /// The limiter's whole state, as a pure value: every transition takes `now` explicitly, so the
    /// algorithm is unit-tested without sleeping.
    ///
    /// Invariant: at most `maxInFlightPerQueue` (1) request of a queue is on the wire. Discord
    /// orders messages by arrival, and two requests racing on two connections may arrive in either
    /// order; one at a time is what keeps a bucket's requests in order. Throughput does not suffer,
    /// since a bucket allows a handful of requests per several seconds anyway.
    struct State {
        var configuration: Configuration
        /// Route key → bucket hash, as learned from `X-RateLimit-Bucket`.
        private(set) var bucketHashes: [String: String] = [:]
        private(set) var queues: [QueueKey: Queue] = [:]
        private(set) var requests: [UInt64: Request] = [:]
        private var nextID: UInt64 = 1
        /// Requests on the wire that count against the global limit.
        private var globalInFlight = 0
        /// When each answered request stops counting against the global limit, ascending.
        ///
        /// A request counts from when it is sent until one global period after its answer came
        /// back. Discord counted it at some instant before that answer, so its window has surely
        /// moved past it by then, whatever the network latency or its jitter: this is what makes
        /// the proactive limit safe rather than merely close.
        private var globalExpiries: [Duration] = []
        /// A global 429 stops every request (except exempt ones) until this instant.
        private(set) var globalPausedUntil: Duration = .zero
        /// Waiting requests exempt from the global limit: while there are none, a closed global
        /// limit means nothing can go, and ``grant(now:)`` need not look at any queue.
        private var exemptWaiting = 0

        static let maxInFlightPerQueue = 1

        /// How many requests were ever enqueued.
        var enqueuedCount: UInt64 { nextID - 1 }

        init(configuration: Configuration) {
            self.configuration = configuration
        }

        /// Requests currently counting against the global limit.
        func globalUsage(now: Duration) -> Int {
            globalInFlight + globalExpiries.count(where: { $0 > now })
        }

        /// The queue key a new request of `route` joins.
        func queueKey(for route: DiscordRoute) -> QueueKey {
            QueueKey(bucket: bucketHashes[route.routeKey] ?? "route:" + route.routeKey, major: route.majorParameter)
        }

        // MARK: Transitions

        /// Adds a request at the back of its queue; returns its id.
        mutating func enqueue(_ route: DiscordRoute) -> UInt64 {
            let id = nextID
            nextID += 1
            let key = queueKey(for: route)
            requests[id] = Request(
                routeKey: route.routeKey, major: route.majorParameter, exemptFromGlobal: route.isExemptFromGlobalLimit,
                queue: key)
            queues[key, default: Queue()].insert(id)
            if route.isExemptFromGlobalLimit { exemptWaiting += 1 }
            return id
        }

        /// Grants every request whose turn it is at `now`.
        ///
        /// Returns the granted ids (oldest first) and the earliest instant at which something that
        /// is blocked now would become grantable by time alone (completions unblock the rest).
        mutating func grant(now: Duration) -> (granted: [UInt64], wakeAt: Duration?) {
            globalExpiries.removeAll { $0 <= now }
            if exemptWaiting == 0 {
                // A thousand prompts waiting behind the global limit made every acquire scan a
                // thousand queues under the limiter's lock, which stalled the tasks of Swift's
                // small pool (and with them the first chunks of new streams) for up to a second.
                if globalPausedUntil > now { return ([], globalPausedUntil) }
                if globalInFlight + globalExpiries.count >= configuration.globalLimit {
                    return ([], globalExpiries.first)
                }
            }
            var wakeAt: Duration?
            func wake(_ instant: Duration) { wakeAt = min(wakeAt ?? instant, instant) }

            var candidates: [(id: UInt64, key: QueueKey)] = []
            for (key, queue) in queues where !queue.waiting.isEmpty {
                var queue = queue
                if let resetAt = queue.resetAt, resetAt <= now {
                    // The window is over; Discord refilled it.
                    queue.remaining = queue.limit
                    queue.resetAt = nil
                    queues[key] = queue
                }
                guard queue.inFlight < Self.maxInFlightPerQueue else { continue }
                if let remaining = queue.remaining, remaining <= 0 {
                    if queue.resetAt == nil {
                        // Exhausted with no reset time known (headers without Reset-After): assume a
                        // short window rather than waiting forever.
                        queue.resetAt = now + configuration.unknownResetFallback
                        queues[key] = queue
                    }
                    wake(queue.resetAt!)
                    continue
                }
                let head = queue.waiting[0]
                if let notBefore = requests[head]?.notBefore, notBefore > now {
                    wake(notBefore)
                    continue
                }
                candidates.append((head, key))
            }
            // Oldest first across queues, so a busy bucket cannot starve others of the global limit.
            candidates.sort { $0.id < $1.id }

            var granted: [UInt64] = []
            for (id, key) in candidates {
                guard var request = requests[id] else { continue }
                if !request.exemptFromGlobal {
                    if globalPausedUntil > now {
                        wake(globalPausedUntil)
                        continue
                    }
                    if globalInFlight + globalExpiries.count >= configuration.globalLimit {
                        if let first = globalExpiries.first { wake(first) }
                        continue
                    }
                    globalInFlight += 1
                    request.holdsGlobalSlot = true
                }
                var queue = queues[key]!
                queue.waiting.removeFirst()
                queue.inFlight += 1
                if let remaining = queue.remaining { queue.remaining = remaining - 1 }
                queues[key] = queue
                request.phase = .granted
                request.notBefore = nil
                if request.exemptFromGlobal { exemptWaiting -= 1 }
                requests[id] = request
                granted.append(id)
            }
            return (granted, wakeAt)
        }

        /// The request got an answer (`headers`), or failed without one (`nil`); it leaves the limiter.
        mutating func complete(_ id: UInt64, headers: RESTRateLimitHeaders?, now: Duration) {
            guard requests[id] != nil else { return }
            // Learn first: a newly learned hash moves this request (and its in-flight count) to
            // the hash's queue, so the release below must happen in that queue.
            if let headers { learn(from: headers, for: id, now: now) }
            release(id, sent: true, now: now)
            let key = requests.removeValue(forKey: id)!.queue
            pruneIfIdle(key, now: now)
        }

        /// Takes a request out: from its queue if still waiting, or, if it was granted but never
        /// sent (its task was cancelled in between), gives back its slots without counting it.
        mutating func cancel(_ id: UInt64, now: Duration) {
            guard let request = requests[id] else { return }
            switch request.phase {
            case .waiting:
                queues[request.queue]?.waiting.removeAll { $0 == id }
                if request.exemptFromGlobal { exemptWaiting -= 1 }
            case .granted:
                release(id, sent: false, now: now)
            }
            requests[id] = nil
            pruneIfIdle(request.queue, now: now)
        }

        /// Puts an answered request back at its original place in its queue, to be sent again:
        /// after a 429 (`rateLimit`, applied as §3.3 step 7 says) or after a 5xx (`delay`: the
        /// backoff, during which the queue waits behind it to keep its order).
        mutating func requeue(
            _ id: UInt64, headers: RESTRateLimitHeaders?, rateLimit: (scope: RESTRateLimitHeaders.Scope, retryAfter: Double)?,
            delay: Duration?, now: Duration
        ) {
            guard requests[id]?.phase == .granted else { return }
            if let headers { learn(from: headers, for: id, now: now) }
            release(id, sent: true, now: now)
            var request = requests[id]!
            if let rateLimit {
                let until = now + .seconds(rateLimit.retryAfter)
                switch rateLimit.scope {
                case .global:
                    globalPausedUntil = max(globalPausedUntil, until)
                case .user, .shared:
                    var queue = queues[request.queue, default: Queue()]
                    queue.remaining = 0
                    queue.resetAt = max(queue.resetAt ?? until, until)
                    queues[request.queue] = queue
                }
            }
            request.phase = .waiting
            request.notBefore = delay.map { now + $0 }
            if request.exemptFromGlobal { exemptWaiting += 1 }
            requests[id] = request
            queues[request.queue, default: Queue()].insert(id)
        }

        // MARK: Internals

        /// Frees the queue slot and the global slot of a granted request. A request that was
        /// sent keeps counting against the global limit for one more period (see `globalExpiries`).
        private mutating func release(_ id: UInt64, sent: Bool, now: Duration) {
            guard var request = requests[id], request.phase == .granted else { return }
            queues[request.queue]?.inFlight -= 1
            if request.holdsGlobalSlot {
                globalInFlight -= 1
                request.holdsGlobalSlot = false
                if sent {
                    // `now` never decreases, so appending keeps the list ascending.
                    globalExpiries.append(now + configuration.globalPeriod)
                }
            }
            requests[id] = request
        }

        /// Applies an answer's headers to the request's queue, first moving the route to its
        /// real bucket when the answer names a bucket hash the limiter did not know.
        private mutating func learn(from headers: RESTRateLimitHeaders, for id: UInt64, now: Duration) {
            guard let request = requests[id] else { return }
            if let hash = headers.bucket, bucketHashes[request.routeKey] != hash {
                bucketHashes[request.routeKey] = hash
                remap(routeKey: request.routeKey, toBucket: hash, now: now)
            }
            guard headers.describesBucket else { return }
            let key = requests[id]!.queue
            var queue = queues[key, default: Queue()]
            if let limit = headers.limit { queue.limit = limit }
            if let remaining = headers.remaining {
                queue.remaining = remaining
                if let resetAfter = headers.resetAfter {
                    // Counted from when the answer arrived, which is after Discord computed it: errs late, never early.
                    queue.resetAt = now + .seconds(resetAfter)
                } else if remaining <= 0 {
                    queue.resetAt = now + configuration.unknownResetFallback
                }
            } else if let resetAfter = headers.resetAfter {
                queue.resetAt = now + .seconds(resetAfter)
            }
            queues[key] = queue
        }

        /// Moves every request of `routeKey` (waiting or on the wire) into the queue of `hash` for
        /// its major parameter. Waiting ones merge by id, so FIFO order holds across the move.
        private mutating func remap(routeKey: String, toBucket hash: String, now: Duration) {
            var touched: Set<QueueKey> = []
            for (id, request) in requests where request.routeKey == routeKey {
                let target = QueueKey(bucket: hash, major: request.major)
                guard request.queue != target else { continue }
                let source = request.queue
                touched.insert(source)
                switch request.phase {
                case .waiting:
                    queues[source]?.waiting.removeAll { $0 == id }
                    queues[target, default: Queue()].insert(id)
                case .granted:
                    queues[source]?.inFlight -= 1
                    queues[target, default: Queue()].inFlight += 1
                }
                requests[id]!.queue = target
            }
            for key in touched { pruneIfIdle(key, now: now) }
        }

        /// Forgets a queue nobody uses whose window is over (or was never known): its next request
        /// simply starts with one in flight and learns the bucket again. Keeps memory flat over
        /// months of channels coming and going.
        private mutating func pruneIfIdle(_ key: QueueKey, now: Duration) {
            guard let queue = queues[key], queue.isIdle else { return }
            if let resetAt = queue.resetAt, resetAt > now { return }
            queues[key] = nil
        }

        /// Forgets every idle queue whose window is over (see `pruneIfIdle`).
        mutating func pruneIdleQueues(now: Duration) {
            for key in Array(queues.keys) { pruneIfIdle(key, now: now) }
        }
    }
}
