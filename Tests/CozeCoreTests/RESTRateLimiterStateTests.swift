import DiscordWire
import Testing

@testable import CozeCore

/// The limiter's algorithm as a pure value, driven with explicit instants (no sleeping).
@Suite struct RESTRateLimiterStateTests {
    typealias State = RESTRateLimiter.State

    private let channelA = Snowflake(1_000)
    private let channelB = Snowflake(2_000)

    private func state(globalLimit: Int = 50) -> State {
        State(configuration: .init(globalLimit: globalLimit, globalPeriod: .seconds(1), unknownResetFallback: .seconds(1)))
    }

    private func headers(bucket: String = "hash-msg", limit: Int = 5, remaining: Int, resetAfter: Double) -> RESTRateLimitHeaders {
        RESTRateLimitHeaders(bucket: bucket, limit: limit, remaining: remaining, resetAfter: resetAfter, scope: .user, hasVia: true)
    }

    @Test func unknownBucketAllowsOneInFlightThenFollowsTheHeaders() {
        var state = state()
        let route = DiscordRoute.createMessage(channelID: channelA)
        let ids = (0..<4).map { _ in state.enqueue(route) }
        #expect(state.grant(now: .zero).granted == [ids[0]])
        #expect(state.grant(now: .zero).granted == [])  // hash unknown: one at a time

        state.complete(ids[0], headers: headers(remaining: 2, resetAfter: 5), now: .milliseconds(10))
        // Learned the hash; the waiters moved to (hash, channels/1000) in order.
        #expect(state.bucketHashes[route.routeKey] == "hash-msg")
        #expect(state.queues[.init(bucket: "hash-msg", major: "channels/1000")]?.waiting == Array(ids[1...]))
        #expect(state.queues[.init(bucket: "route:" + route.routeKey, major: "channels/1000")] == nil)

        #expect(state.grant(now: .milliseconds(10)).granted == [ids[1]])
        state.complete(ids[1], headers: headers(remaining: 1, resetAfter: 4.99), now: .milliseconds(20))
        #expect(state.grant(now: .milliseconds(20)).granted == [ids[2]])
        state.complete(ids[2], headers: headers(remaining: 0, resetAfter: 4.98), now: .milliseconds(30))

        // Window used up: parked until the reset, measured from when the answer arrived.
        let parked = state.grant(now: .milliseconds(30))
        #expect(parked.granted == [])
        #expect(parked.wakeAt == .milliseconds(30) + .seconds(4.98))
        #expect(state.grant(now: .milliseconds(5009)).granted == [])
        #expect(state.grant(now: .milliseconds(30) + .seconds(4.98)).granted == [ids[3]])
    }

    @Test func aKnownHashSendsNewRequestsStraightToTheBucketQueue() {
        var state = state()
        let first = state.enqueue(.createMessage(channelID: channelA))
        _ = state.grant(now: .zero)
        state.complete(first, headers: headers(remaining: 4, resetAfter: 5), now: .zero)
        let other = state.enqueue(.createMessage(channelID: channelB))
        #expect(state.requests[other]?.queue == .init(bucket: "hash-msg", major: "channels/2000"))
    }

    @Test func routesSharingAHashShareOneFIFOQueuePerMajor() {
        var state = state()
        let edit = DiscordRoute.editMessage(channelID: channelA, messageID: Snowflake(5))
        let delete = DiscordRoute(
            .delete, "/channels/{channel_id}/messages/{message_id}",
            parameters: ["channel_id": channelA.description, "message_id": "5"])
        let e1 = state.enqueue(edit)
        let d1 = state.enqueue(delete)
        let e2 = state.enqueue(edit)
        #expect(state.grant(now: .zero).granted == [e1, d1])  // two route keys: two queues while unknown
        state.complete(e1, headers: headers(bucket: "shared", remaining: 3, resetAfter: 5), now: .zero)
        state.complete(d1, headers: headers(bucket: "shared", remaining: 2, resetAfter: 5), now: .zero)
        let d2 = state.enqueue(delete)
        #expect(state.requests[d2]?.queue == state.requests[e2]?.queue)
        #expect(state.grant(now: .zero).granted == [e2])
        #expect(state.grant(now: .zero).granted == [])
        state.complete(e2, headers: headers(bucket: "shared", remaining: 1, resetAfter: 5), now: .zero)
        #expect(state.grant(now: .zero).granted == [d2])
    }

    @Test func differentMajorsOfOneBucketRunInParallel() {
        var state = state()
        let a = state.enqueue(.createMessage(channelID: channelA))
        let b = state.enqueue(.createMessage(channelID: channelB))
        #expect(state.grant(now: .zero).granted == [a, b])
    }

    @Test func globalLimitCountsARequestUntilOnePeriodAfterItsAnswer() {
        var state = state(globalLimit: 2)
        let ids = (0..<3).map { state.enqueue(.getChannel(Snowflake(UInt64(100 + $0)))) }
        #expect(state.grant(now: .zero).granted == [ids[0], ids[1]])
        let blocked = state.grant(now: .zero)
        #expect(blocked.granted == [])
        #expect(blocked.wakeAt == nil)  // both still on the wire: only an answer can free a slot
        state.complete(ids[0], headers: nil, now: .milliseconds(100))
        let waiting = state.grant(now: .milliseconds(100))
        #expect(waiting.granted == [])
        #expect(waiting.wakeAt == .milliseconds(1100))
        #expect(state.grant(now: .milliseconds(1099)).granted == [])
        #expect(state.grant(now: .milliseconds(1100)).granted == [ids[2]])
    }

    @Test func globalSlotsGoToTheOldestWaiterAcrossQueues() {
        var state = state(globalLimit: 1)
        let ids = (0..<3).map { state.enqueue(.getChannel(Snowflake(UInt64(100 + $0)))) }
        var order: [UInt64] = []
        var now = Duration.zero
        for _ in 0..<3 {
            let granted = state.grant(now: now).granted
            #expect(granted.count == 1)
            order += granted
            state.complete(granted[0], headers: nil, now: now)
            now += .seconds(1)
        }
        #expect(order == ids)
    }

    @Test func webhookTokenRoutesBypassTheGlobalLimit() {
        var state = state(globalLimit: 1)
        let normal = state.enqueue(.getChannel(channelA))
        let webhook = state.enqueue(
            DiscordRoute(.post, "/webhooks/{webhook_id}/{webhook_token}", parameters: ["webhook_id": "9", "webhook_token": "t"]))
        let normal2 = state.enqueue(.getChannel(channelB))
        #expect(state.grant(now: .zero).granted == [normal, webhook])
        #expect(state.requests[normal2]?.phase == .waiting)
    }

    /// While the global limit is closed the limiter looks at no queue unless an exempt request
    /// waits: one that arrives then still goes at once.
    @Test func anExemptRequestGoesWhileTheGlobalLimitIsClosed() {
        var state = state(globalLimit: 1)
        let first = state.enqueue(.getChannel(channelA))
        #expect(state.grant(now: .zero).granted == [first])
        let blocked = state.enqueue(.getChannel(channelB))
        state.complete(first, headers: nil, now: .milliseconds(5))
        let closed = state.grant(now: .milliseconds(10))
        #expect(closed.granted == [])
        #expect(closed.wakeAt == .milliseconds(1005))

        let webhook = state.enqueue(
            DiscordRoute(.post, "/webhooks/{webhook_id}/{webhook_token}", parameters: ["webhook_id": "9", "webhook_token": "t"]))
        #expect(state.grant(now: .milliseconds(20)).granted == [webhook])
        // Sent back (a 5xx): waiting again, so it still counts as an exempt request to let through.
        state.requeue(webhook, headers: nil, rateLimit: nil, delay: nil, now: .milliseconds(30))
        #expect(state.grant(now: .milliseconds(30)).granted == [webhook])
        #expect(state.grant(now: .milliseconds(1005)).granted == [blocked])
    }

    @Test func aGlobal429PausesEveryQueueAndTheRetryKeepsItsPlace() {
        var state = state()
        let a1 = state.enqueue(.getChannel(channelA))
        let a2 = state.enqueue(.getChannel(channelA))
        let b1 = state.enqueue(.getChannel(channelB))
        #expect(state.grant(now: .zero).granted == [a1, b1])
        state.complete(b1, headers: nil, now: .milliseconds(5))
        state.requeue(a1, headers: nil, rateLimit: (.global, 0.5), delay: nil, now: .milliseconds(10))
        let b2 = state.enqueue(.getChannel(channelB))
        let paused = state.grant(now: .milliseconds(10))
        #expect(paused.granted == [])
        #expect(paused.wakeAt == .milliseconds(510))
        #expect(state.grant(now: .milliseconds(509)).granted == [])
        // a1 (the retried one) goes before a2; b2 resumes too.
        #expect(state.grant(now: .milliseconds(510)).granted == [a1, b2])
        #expect(state.queues[state.requests[a2]!.queue]?.waiting == [a2])
    }

    @Test func aUser429ParksOnlyThatBucketForRetryAfter() {
        var state = state()
        let a1 = state.enqueue(.getChannel(channelA))
        let a2 = state.enqueue(.getChannel(channelA))
        _ = state.grant(now: .zero)
        state.requeue(
            a1, headers: headers(bucket: "chan", remaining: 3, resetAfter: 0.1), rateLimit: (.user, 0.25), delay: nil,
            now: .zero)
        let b1 = state.enqueue(.getChannel(channelB))
        let result = state.grant(now: .zero)
        #expect(result.granted == [b1])
        #expect(result.wakeAt == .milliseconds(250))
        #expect(state.grant(now: .milliseconds(250)).granted == [a1])
        #expect(state.requests[a2]?.phase == .waiting)
    }

    @Test func aSharedScope429WaitsRetryAfterOnThatBucket() {
        var state = state()
        let a1 = state.enqueue(.createMessage(channelID: channelA))
        _ = state.grant(now: .zero)
        state.requeue(
            a1, headers: RESTRateLimitHeaders(bucket: "msg", scope: .shared, retryAfter: 2, hasVia: true),
            rateLimit: (.shared, 1.5), delay: nil, now: .zero)
        #expect(state.grant(now: .milliseconds(1499)).granted == [])
        #expect(state.grant(now: .milliseconds(1500)).granted == [a1])
    }

    @Test func aServerErrorBackoffHoldsTheQueueInOrder() {
        var state = state()
        let first = state.enqueue(.createMessage(channelID: channelA))
        let second = state.enqueue(.createMessage(channelID: channelA))
        _ = state.grant(now: .zero)
        state.requeue(first, headers: nil, rateLimit: nil, delay: .milliseconds(300), now: .milliseconds(10))
        let held = state.grant(now: .milliseconds(10))
        #expect(held.granted == [])
        #expect(held.wakeAt == .milliseconds(310))
        #expect(state.grant(now: .milliseconds(310)).granted == [first])
        state.complete(first, headers: nil, now: .milliseconds(320))
        #expect(state.grant(now: .milliseconds(320)).granted == [second])
    }

    @Test func cancellingAWaiterLetsTheNextOneThrough() {
        var state = state()
        let ids = (0..<4).map { _ in state.enqueue(.createMessage(channelID: channelA)) }
        _ = state.grant(now: .zero)
        state.cancel(ids[2], now: .zero)  // middle
        state.complete(ids[0], headers: nil, now: .zero)
        state.cancel(ids[1], now: .zero)  // head
        #expect(state.grant(now: .zero).granted == [ids[3]])
        #expect(state.requests[ids[1]] == nil && state.requests[ids[2]] == nil)
    }

    @Test func cancellingAGrantedButUnsentRequestReturnsItsGlobalSlot() {
        var state = state(globalLimit: 1)
        let a = state.enqueue(.getChannel(channelA))
        let b = state.enqueue(.getChannel(channelB))
        #expect(state.grant(now: .zero).granted == [a])
        state.cancel(a, now: .zero)
        #expect(state.globalUsage(now: .zero) == 0)
        #expect(state.grant(now: .zero).granted == [b])
    }

    @Test func exhaustedWithoutResetInformationFallsBackInsteadOfStallingForever() {
        var state = state()
        let a = state.enqueue(.getChannel(channelA))
        let b = state.enqueue(.getChannel(channelA))
        _ = state.grant(now: .zero)
        state.complete(a, headers: RESTRateLimitHeaders(bucket: "x", limit: 1, remaining: 0), now: .zero)
        let parked = state.grant(now: .zero)
        #expect(parked.granted == [])
        #expect(parked.wakeAt == .seconds(1))
        #expect(state.grant(now: .seconds(1)).granted == [b])
    }

    @Test func idleQueuesAreForgottenOnceTheirWindowIsOver() {
        var state = state(globalLimit: 1000)
        for index in 0..<100 {
            let id = state.enqueue(.getChannel(Snowflake(UInt64(10 + index))))
            _ = state.grant(now: .zero)
            state.complete(id, headers: headers(bucket: "chan", remaining: 4, resetAfter: 5), now: .zero)
        }
        #expect(state.queues.count == 100)
        #expect(state.queues.values.allSatisfy { $0.inFlight == 0 && $0.waiting.isEmpty })
        state.pruneIdleQueues(now: .seconds(5))
        #expect(state.queues.isEmpty)
        #expect(state.bucketHashes.count == 1)  // what the routes' buckets are is kept
    }
}
