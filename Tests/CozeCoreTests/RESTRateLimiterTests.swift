import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// A clock that only moves when the test says so.
final class ManualRateLimiterClock: RESTRateLimiterClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Duration = .zero
    private var sleepers: [UInt64: (deadline: Duration, continuation: CheckedContinuation<Void, any Error>)] = [:]
    private var nextSleeper: UInt64 = 0

    var now: Duration {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Number of pending sleeps (the limiter's armed timer shows up here).
    var sleeperCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return sleepers.count
    }

    func sleep(until deadline: Duration) async throws {
        let (id, due) = lock.withLock {
            defer { nextSleeper += 1 }
            return (nextSleeper, deadline <= current)
        }
        if due { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                sleepers[id] = (deadline, continuation)
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            let sleeper = sleepers.removeValue(forKey: id)
            lock.unlock()
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    func advance(to instant: Duration) {
        lock.lock()
        current = instant
        let due = sleepers.filter { $0.value.deadline <= instant }
        for id in due.keys { sleepers[id] = nil }
        lock.unlock()
        for sleeper in due.values { sleeper.continuation.resume() }
    }
}

/// Thread-safe flag for "has this happened yet" checks from another task.
final class RESTTestFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}

/// Polls `condition` until it holds or `timeout` passes. The bound is generous because on a loaded 2-core machine the parallel test run
/// can starve the cooperative pool for seconds, and a passing condition returns at once.
func restEventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return try await condition()
}

/// The limiter's waiting, waking and cancellation, with an injected clock.
@Suite struct RESTRateLimiterTests {
    private let channel = Snowflake(4_242)

    @Test func aParkedBucketWaitsForTheClockNotForWallTime() async throws {
        let clock = ManualRateLimiterClock()
        let limiter = RESTRateLimiter(clock: clock)
        let route = DiscordRoute.createMessage(channelID: channel)
        let first = try await limiter.acquire(route)
        limiter.complete(
            first, headers: RESTRateLimitHeaders(bucket: "b", limit: 1, remaining: 0, resetAfter: 5, hasVia: true))

        let granted = RESTTestFlag()
        let second = Task {
            let ticket = try await limiter.acquire(route)
            granted.set()
            limiter.complete(ticket, headers: nil)
        }
        // The limiter arms one timer for the reset and otherwise leaves the request waiting.
        #expect(await restEventually { clock.sleeperCount == 1 })
        try await Task.sleep(for: .milliseconds(50))
        #expect(!granted.isSet)
        clock.advance(to: .milliseconds(4999))
        try await Task.sleep(for: .milliseconds(50))
        #expect(!granted.isSet)
        clock.advance(to: .seconds(5))
        try await second.value
        #expect(granted.isSet)
        #expect(limiter.snapshot.inFlight == 0 && limiter.snapshot.waiting == 0)
    }

    @Test func cancellingAWaiterDoesNotStallTheQueue() async throws {
        let limiter = RESTRateLimiter(clock: ManualRateLimiterClock())
        let route = DiscordRoute.createMessage(channelID: channel)
        let first = try await limiter.acquire(route)
        let doomed = Task { try await limiter.acquire(route) }
        #expect(await restEventually { limiter.snapshot.waiting == 1 })
        let survivor = Task { try await limiter.acquire(route) }
        #expect(await restEventually { limiter.snapshot.waiting == 2 })
        doomed.cancel()
        await #expect(throws: CancellationError.self) { try await doomed.value }
        #expect(limiter.snapshot.waiting == 1)
        limiter.complete(first, headers: nil)
        let ticket = try await survivor.value
        limiter.complete(ticket, headers: nil)
        #expect(limiter.snapshot.inFlight == 0)
    }

    @Test func aTaskCancelledBeforeItWaitsGivesUpAtOnce() async throws {
        let limiter = RESTRateLimiter(clock: ManualRateLimiterClock())
        let route = DiscordRoute.getChannel(channel)
        let first = try await limiter.acquire(route)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limiter.acquire(route)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        limiter.complete(first, headers: nil)
        let again = try await limiter.acquire(route)
        limiter.complete(again, headers: nil)
        #expect(limiter.snapshot.waiting == 0 && limiter.snapshot.inFlight == 0)
    }

    @Test func retryAfterAGlobal429HoldsOtherBucketsUntilTheClockPassesIt() async throws {
        let clock = ManualRateLimiterClock()
        let limiter = RESTRateLimiter(clock: clock)
        let a = try await limiter.acquire(.getChannel(Snowflake(1)))
        let retried = RESTTestFlag()
        let retry = Task {
            try await limiter.retry(a, headers: nil, rateLimit: (.global, 2))
            retried.set()
            limiter.complete(a, headers: nil)
        }
        #expect(await restEventually { clock.sleeperCount == 1 })
        let other = RESTTestFlag()
        let otherTask = Task {
            let ticket = try await limiter.acquire(.getChannel(Snowflake(2)))
            other.set()
            limiter.complete(ticket, headers: nil)
        }
        #expect(await restEventually { limiter.snapshot.waiting == 2 })
        try await Task.sleep(for: .milliseconds(30))
        #expect(!retried.isSet && !other.isSet)
        clock.advance(to: .seconds(2))
        try await retry.value
        try await otherTask.value
        #expect(retried.isSet && other.isSet)
    }

    @Test func shutdownFailsWaitersAndRefusesNewRequests() async throws {
        let limiter = RESTRateLimiter(clock: ManualRateLimiterClock())
        let route = DiscordRoute.getChannel(channel)
        _ = try await limiter.acquire(route)
        let waiter = Task { try await limiter.acquire(route) }
        #expect(await restEventually { limiter.snapshot.waiting == 1 })
        limiter.shutdown()
        await #expect(throws: RESTRateLimiter.ShutdownError.self) { try await waiter.value }
        await #expect(throws: RESTRateLimiter.ShutdownError.self) { try await limiter.acquire(route) }
    }
}

/// 429 classification and header parsing (no server needed).
@Suite struct RESTRateLimitHeadersTests {
    private let json429 = Array(#"{"message":"You are being rate limited.","retry_after":0.734,"global":false}"#.utf8)

    @Test func parsesDiscordHeadersCaseInsensitively() {
        let headers = RESTRateLimitHeaders(headers: [
            (name: "x-ratelimit-bucket", value: "abcd1234"), (name: "X-RateLimit-Limit", value: "5"),
            (name: "X-RATELIMIT-REMAINING", value: "4"), (name: "X-RateLimit-Reset-After", value: "1.234"),
            (name: "X-RateLimit-Reset", value: "1470173023.123"), (name: "X-RateLimit-Scope", value: "user"),
            (name: "Via", value: "1.1 google"),
        ])
        #expect(headers.bucket == "abcd1234")
        #expect(headers.limit == 5)
        #expect(headers.remaining == 4)
        #expect(headers.resetAfter == 1.234)  // Reset-After wins over Reset
        #expect(headers.scope == .user)
        #expect(headers.hasVia)
        #expect(!headers.isGlobal)
    }

    @Test func resetIsUsedOnlyWithoutResetAfter() {
        let headers = RESTRateLimitHeaders(
            headers: [(name: "X-RateLimit-Remaining", value: "0"), (name: "X-RateLimit-Reset", value: "1000.5")],
            wallClockNow: 998)
        #expect(headers.resetAfter == 2.5)
        let garbage = RESTRateLimitHeaders(headers: [(name: "X-RateLimit-Reset-After", value: "-3")])
        #expect(garbage.resetAfter == nil)
    }

    @Test func a429WithoutViaIsForeignAndNotRetried() {
        let headers = RESTRateLimitHeaders(headers: [(name: "Content-Type", value: "application/json")])
        guard case .foreign(let reason) = RESTRateLimitVerdict.classify(headers: headers, body: json429) else {
            Issue.record("expected a foreign 429")
            return
        }
        #expect(reason.contains("Via"))
    }

    @Test func a429WithAnHTMLBodyIsForeign() {
        let headers = RESTRateLimitHeaders(headers: [(name: "Via", value: "1.1 google"), (name: "Retry-After", value: "3600")])
        let verdict = RESTRateLimitVerdict.classify(headers: headers, body: Array("<html>Error 1015</html>".utf8))
        #expect(verdict == .foreign(reason: "429 with a non-JSON body (Cloudflare or a proxy)"))
    }

    @Test func a429FromDiscordIsClassifiedByScope() {
        let via = (name: "Via", value: "1.1 google")
        #expect(
            RESTRateLimitVerdict.classify(headers: RESTRateLimitHeaders(headers: [via]), body: json429)
                == .discord(scope: .user, retryAfter: 0.734))
        #expect(
            RESTRateLimitVerdict.classify(
                headers: RESTRateLimitHeaders(headers: [via, (name: "X-RateLimit-Scope", value: "shared")]), body: json429)
                == .discord(scope: .shared, retryAfter: 0.734))
        #expect(
            RESTRateLimitVerdict.classify(
                headers: RESTRateLimitHeaders(headers: [via, (name: "X-RateLimit-Global", value: "true")]), body: json429)
                == .discord(scope: .global, retryAfter: 0.734))
        let globalBody = Array(#"{"message":"x","retry_after":2,"global":true}"#.utf8)
        #expect(
            RESTRateLimitVerdict.classify(headers: RESTRateLimitHeaders(headers: [via]), body: globalBody)
                == .discord(scope: .global, retryAfter: 2))
        // No retry_after in the body: the Retry-After header is the fallback.
        #expect(
            RESTRateLimitVerdict.classify(
                headers: RESTRateLimitHeaders(headers: [via, (name: "Retry-After", value: "3")]),
                body: Array(#"{"message":"x"}"#.utf8))
                == .discord(scope: .user, retryAfter: 3))
    }
}
