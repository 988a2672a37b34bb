import DiscordEmulator
import DiscordWire
import Foundation
import Synchronization
import Testing

@testable import CozeCore

/// An emulator plus a REST client of its bridge bot, torn down together.
struct RESTHarness {
    let emulator: DiscordEmulator
    let client: DiscordRESTClient

    /// `scenario` merges over a fast-Coze base; `tweak` adjusts the client configuration.
    static func start(
        _ scenario: JSONValue = [:], tokenKind: DiscordRESTClient.TokenKind = .bot,
        tweak: (inout DiscordRESTClient.Configuration) -> Void = { _ in }
    ) async throws -> RESTHarness {
        let emulator = try await DiscordEmulator.start(scenario: scenario)
        let token = tokenKind == .bot ? emulator.info.bridgeBotToken : emulator.info.userToken
        var configuration = DiscordRESTClient.Configuration(
            token: token, tokenKind: tokenKind, baseURL: emulator.info.api, requestTimeout: .seconds(10),
            retryBaseDelay: .milliseconds(40), retryMaxDelay: .milliseconds(200))
        tweak(&configuration)
        return RESTHarness(emulator: emulator, client: DiscordRESTClient(configuration: configuration))
    }

    func stop() async throws {
        try await client.shutdown()
        try await emulator.shutdown()
    }

    var requests: Int { emulator.counters["requests"]?.intValue ?? -1 }
    var rateLimited: Int { emulator.counters["rate_limited"]?.intValue ?? -1 }

    /// A fresh text channel under the emulator's category.
    func newChannel(_ name: String) async throws -> Snowflake {
        let channel = try await client.createGuildChannel(
            guildID: emulator.info.guildID, name: name, parentID: emulator.info.categoryID)
        return try #require(channel["id"]?.snowflakeValue)
    }

    /// Message contents of `channel`, oldest first.
    func contents(of channel: Snowflake) async throws -> [String] {
        try await client.messages(channelID: channel, limit: 100).reversed().compactMap { $0["content"]?.stringValue }
    }
}

/// Seconds elapsed since `start`.
func restSeconds(since start: ContinuousClock.Instant) -> Double {
    let (seconds, attoseconds) = (ContinuousClock.now - start).components
    return Double(seconds) + Double(attoseconds) / 1e18
}

/// The REST client against the in-process emulator: rate limits, retries, errors, uploads.
@Suite struct DiscordRESTClientTests {
    @Test func aBurstIntoOneChannelIsPacedInOrderWithoutA429() async throws {
        // 5 per second per channel: 20 messages need 4 windows, i.e. at least 3 s after the first.
        let harness = try await RESTHarness.start(["rate_limits": ["message_create": ["limit": 5, "window_ms": 1000]]])
        let channel = try await harness.newChannel("burst")
        let limiter = harness.client.rateLimiter
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                let enqueuedBefore = limiter.snapshot.enqueued
                group.addTask {
                    _ = try await harness.client.createMessage(channelID: channel, payload: ["content": .string("m\(index)")])
                }
                // Start the next only once this one has its place in the queue: that fixes the order.
                #expect(await restEventually { limiter.snapshot.enqueued > enqueuedBefore })
            }
            try await group.waitForAll()
        }
        let elapsed = restSeconds(since: start)
        #expect(harness.rateLimited == 0)
        #expect(elapsed >= 3.0, "took \(elapsed) s")
        #expect(elapsed <= 5.0, "took \(elapsed) s")
        #expect(try await harness.contents(of: channel) == (0..<20).map { "m\($0)" })
        try await harness.stop()
    }

    @Test func channelsAreLimitedSeparatelyAndRunInParallel() async throws {
        // 2 per second per channel: 4 messages into one channel take ≥ 1 s; 40 into one would take ≥ 19 s.
        let harness = try await RESTHarness.start([
            "rate_limits": [
                "message_create": ["limit": 2, "window_ms": 1000], "guild_channels": ["limit": 20, "window_ms": 1000],
            ]
        ])
        var channels: [Snowflake] = []
        for index in 0..<10 { channels.append(try await harness.newChannel("parallel-\(index)")) }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for channel in channels {
                group.addTask {
                    for index in 0..<4 {
                        _ = try await harness.client.createMessage(channelID: channel, payload: ["content": .string("p\(index)")])
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = restSeconds(since: start)
        #expect(harness.rateLimited == 0)
        #expect(elapsed >= 1.0, "took \(elapsed) s")
        #expect(elapsed < 4.0, "took \(elapsed) s")
        for channel in channels {
            #expect(try await harness.contents(of: channel) == ["p0", "p1", "p2", "p3"])
        }
        try await harness.stop()
    }

    @Test func theGlobalLimitIsNeverExceeded() async throws {
        let harness = try await RESTHarness.start(
            [
                "rate_limits": [
                    "global_per_second": 10, "message_create": ["limit": 50, "window_ms": 1000],
                    "guild_channels": ["limit": 50, "window_ms": 1000],
                ]
            ],
            tweak: { $0.rateLimits = .init(globalLimit: 10) })
        var channels: [Snowflake] = []
        for index in 0..<4 { channels.append(try await harness.newChannel("global-\(index)")) }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let channel = channels[index % 4]
                group.addTask {
                    _ = try await harness.client.createMessage(channelID: channel, payload: ["content": .string("g\(index)")])
                }
            }
            try await group.waitForAll()
        }
        let elapsed = restSeconds(since: start)
        #expect(harness.rateLimited == 0)
        #expect(harness.requests == 44)
        // 4 channel creates + 40 messages at 10 per second: the last batch cannot start before 3 s more.
        #expect(elapsed >= 3.0, "took \(elapsed) s")
        #expect(elapsed < 8.0, "took \(elapsed) s")
        try await harness.stop()
    }

    @Test func forced429sAreWaitedOutAndTheRequestSucceeds() async throws {
        let harness = try await RESTHarness.start()
        let general = harness.emulator.info.generalChannelID
        harness.emulator.forceRateLimits(count: 3, retryAfter: 0.2)
        let start = ContinuousClock.now
        let channel = try await harness.client.channel(general)
        let elapsed = restSeconds(since: start)
        #expect(channel["id"]?.snowflakeValue == general)
        #expect(elapsed >= 0.6, "took \(elapsed) s")
        #expect(harness.rateLimited == 3)
        #expect(harness.requests == 4)
        #expect(harness.client.statistics.rateLimited == 3)
        try await harness.stop()
    }

    @Test func aForcedGlobal429PausesOtherRequestsToo() async throws {
        let harness = try await RESTHarness.start()
        let other = try await harness.newChannel("other")
        harness.emulator.forceRateLimits(count: 1, retryAfter: 0.5, global: true)
        let start = ContinuousClock.now
        let first = Task { try await harness.client.channel(harness.emulator.info.generalChannelID) }
        // Wait until the client has taken the 429 in (the request is queued again, paused), not
        // merely until the emulator counted it.
        let limiter = harness.client.rateLimiter
        #expect(await restEventually { harness.rateLimited == 1 && limiter.snapshot.waiting == 1 })
        // A different bucket (another channel): only the global pause can hold it back.
        _ = try await harness.client.channel(other)
        let otherElapsed = restSeconds(since: start)
        _ = try await first.value
        let firstElapsed = restSeconds(since: start)
        #expect(otherElapsed >= 0.5, "other request finished after \(otherElapsed) s")
        #expect(firstElapsed >= 0.5, "limited request finished after \(firstElapsed) s")
        #expect(harness.rateLimited == 1)
        try await harness.stop()
    }

    @Test func serverErrorsAreRetriedWithBackoff() async throws {
        let harness = try await RESTHarness.start()
        harness.emulator.failNextRequests(count: 3, status: 502)
        let user = try await harness.client.currentUser()
        #expect(user["id"]?.snowflakeValue == harness.emulator.info.bridgeBotUserID)
        #expect(harness.emulator.counters["server_errors"] == 3)
        #expect(harness.requests == 4)
        #expect(harness.client.statistics.serverErrorRetries == 3)
        try await harness.stop()
    }

    /// A create that Discord carried out but answered with a 502 is sent again and made twice;
    /// `onServerErrorRetry` tells the caller, once per repeat.
    @Test func aRepeatAfterAServerErrorIsReportedToTheCaller() async throws {
        let harness = try await RESTHarness.start()
        let info = harness.emulator.info
        let repeats = Mutex(0)
        harness.emulator.failNextRequests(count: 1, status: 502, afterProcessing: true)
        let channel = try await harness.client.createGuildChannel(
            guildID: info.guildID, name: "made-twice", parentID: info.categoryID,
            onServerErrorRetry: { repeats.withLock { $0 += 1 } })
        #expect(channel["name"] == "made-twice")
        #expect(repeats.withLock { $0 } == 1)
        let named = try await harness.client.guildChannels(guildID: info.guildID).filter { $0["name"] == "made-twice" }
        #expect(named.count == 2)
        try await harness.stop()
    }

    @Test func persistentServerErrorsEndInATypedErrorAfterTheBound() async throws {
        let harness = try await RESTHarness.start(tweak: { $0.maxServerErrorRetries = 2 })
        harness.emulator.failNextRequests(count: 10, status: 503)
        let error = await #expect(throws: DiscordHTTPError.self) { try await harness.client.gatewayBot() }
        #expect(error?.kind == .serverError)
        #expect(error?.status == 503)
        #expect(harness.requests == 3)
        try await harness.stop()
    }

    @Test func aClientErrorIsTypedFlattenedAndNotRetried() async throws {
        let harness = try await RESTHarness.start()
        let general = harness.emulator.info.generalChannelID
        let before = harness.requests
        let error = await #expect(throws: DiscordHTTPError.self) {
            try await harness.client.createMessage(channelID: general, payload: ["content": .string(String(repeating: "x", count: 2001))])
        }
        #expect(error?.kind == .clientError)
        #expect(error?.status == 400)
        #expect(error?.code == 50035)
        #expect(error?.flattenedErrors == "content: Must be 2000 or fewer in length.")
        #expect(error?.description.contains("content: Must be 2000 or fewer in length.") == true)
        #expect(harness.requests == before + 1)
        try await harness.stop()
    }

    @Test func aBadTokenIsA401ClientError() async throws {
        let harness = try await RESTHarness.start(tweak: { $0.token = "not-a-token" })
        let error = await #expect(throws: DiscordHTTPError.self) { try await harness.client.currentUser() }
        #expect(error?.status == 401)
        #expect(error?.code == 0)
        #expect(harness.requests == 1)
        try await harness.stop()
    }

    @Test func aUserTokenIsSentBare() async throws {
        let harness = try await RESTHarness.start(tokenKind: .user)
        let user = try await harness.client.currentUser()
        #expect(user["id"]?.snowflakeValue == harness.emulator.info.userID)
        #expect(user["bot"]?.boolValue != true)
        try await harness.stop()
    }

    @Test func multipartUploadRoundTripsTheBytes() async throws {
        let harness = try await RESTHarness.start()
        let channel = try await harness.newChannel("upload")
        var generator = SystemRandomNumberGenerator()
        let binary = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Array(String(repeating: "long prompt ", count: 300).utf8)
        let message = try await harness.client.createMessage(
            channelID: channel, payload: ["content": "files attached"],
            files: [
                DiscordFileUpload(filename: "prompt.txt", contentType: "text/plain; charset=utf-8", bytes: text),
                DiscordFileUpload(filename: "blob.bin", bytes: binary, description: "random bytes"),
            ])
        #expect(message["content"] == "files attached")
        let attachments = try #require(message["attachments"]?.arrayValue)
        #expect(attachments.map { $0["filename"]?.stringValue } == ["prompt.txt", "blob.bin"])
        #expect(attachments.map { $0["size"]?.intValue } == [text.count, binary.count])
        #expect(try await harness.client.download(url: try #require(attachments[0]["url"]?.stringValue)) == text)
        #expect(try await harness.client.download(url: try #require(attachments[1]["url"]?.stringValue)) == binary)
        try await harness.stop()
    }

    @Test func cancellingAQueuedRequestDoesNotStallItsQueue() async throws {
        let harness = try await RESTHarness.start(["rate_limits": ["message_create": ["limit": 1, "window_ms": 1000]]])
        let channel = try await harness.newChannel("cancel")
        let client = harness.client
        let limiter = client.rateLimiter
        _ = try await client.createMessage(channelID: channel, payload: ["content": "c1"])
        let start = ContinuousClock.now
        var tasks: [Task<JSONValue, any Error>] = []
        for name in ["c2", "c3", "c4"] {
            let enqueuedBefore = limiter.snapshot.enqueued
            tasks.append(Task { try await client.createMessage(channelID: channel, payload: ["content": .string(name)]) })
            #expect(await restEventually { limiter.snapshot.enqueued > enqueuedBefore })
        }
        // c2 heads the queue, parked until the window resets; cancel it and c3 must take its turn.
        tasks[0].cancel()
        await #expect(throws: CancellationError.self) { try await tasks[0].value }
        _ = try await tasks[1].value
        _ = try await tasks[2].value
        let elapsed = restSeconds(since: start)
        #expect(elapsed < 3.0, "took \(elapsed) s")
        #expect(try await harness.contents(of: channel) == ["c1", "c3", "c4"])
        #expect(harness.rateLimited == 0)
        #expect(limiter.snapshot.waiting == 0 && limiter.snapshot.inFlight == 0)
        try await harness.stop()
    }

    @Test func theBridgeEndpointsWorkEndToEnd() async throws {
        let harness = try await RESTHarness.start()
        let client = harness.client
        let info = harness.emulator.info
        #expect(try await client.gatewayBot()["url"]?.stringValue?.hasPrefix("ws://127.0.0.1:") == true)

        let channel = try await harness.newChannel("endpoints")
        let listed = try await client.guildChannels(guildID: info.guildID)
        let mine = try #require(listed.first { $0["id"]?.snowflakeValue == channel })
        #expect(mine["parent_id"]?.snowflakeValue == info.categoryID)
        #expect(try await client.channel(channel)["name"] == "endpoints")
        #expect(try await client.modifyChannel(channel, changes: ["name": "renamed"])["name"] == "renamed")

        try await client.triggerTyping(channelID: channel)
        let posted = try await client.createMessage(channelID: channel, payload: ["content": "first"])
        let messageID = try #require(posted["id"]?.snowflakeValue)
        #expect(try await client.message(channelID: channel, messageID: messageID)["content"] == "first")
        let edited = try await client.editMessage(channelID: channel, messageID: messageID, payload: ["content": "edited"])
        #expect(edited["content"] == "edited")
        #expect(edited["edited_timestamp"]?.isNull == false)

        let thread = try await client.createThread(channelID: channel, name: "loose thread")
        #expect(thread["type"] == 11)
        #expect(thread["parent_id"]?.snowflakeValue == channel)
        let started = try await client.createThread(channelID: channel, fromMessage: messageID, name: "from message")
        #expect(started["id"]?.snowflakeValue == messageID)

        try await client.deleteMessage(channelID: channel, messageID: messageID)
        let afterDelete = harness.requests
        let gone = await #expect(throws: DiscordHTTPError.self) { try await client.message(channelID: channel, messageID: messageID) }
        #expect(gone?.status == 404)
        #expect(gone?.code == 10008)
        #expect(harness.requests == afterDelete + 1)

        let deleted = try await client.deleteChannel(channel)
        #expect(deleted["id"]?.snowflakeValue == channel)
        #expect(harness.rateLimited == 0)
        try await harness.stop()
    }

    @Test func aShutDownClientFailsWithATypedError() async throws {
        let harness = try await RESTHarness.start()
        try await harness.client.shutdown()
        let error = await #expect(throws: DiscordHTTPError.self) { try await harness.client.currentUser() }
        #expect(error?.kind == .shutdown)
        try await harness.emulator.shutdown()
    }
}
