import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// The gateway client against the in-process emulator: handshake, dispatches, heartbeats, shutdown.
@Suite struct GatewaySessionTests {
    @Test func readyThenGuildCreateWithTheBridgeIntentsOverZlibStream() async throws {
        let harness = try await GatewayHarness.start()
        let second = GatewayEventRecorder(harness.client.events())
        try await harness.startAndWaitForReady()
        #expect(await harness.recorder.waitUntil { $0.dispatches.contains { $0.name == "GUILD_CREATE" } })

        let ready = try #require(harness.recorder.readies.first)
        #expect(ready.userID == harness.emulator.info.bridgeBotUserID)
        #expect(ready.resumeGatewayURL == "ws://127.0.0.1:\(harness.emulator.info.gatewayPort)")
        #expect(harness.client.sessionID == ready.sessionID)
        let guildCreate = try #require(harness.recorder.dispatches.first { $0.name == "GUILD_CREATE" })
        #expect(guildCreate.sequence == 2)
        #expect(guildCreate.data["id"]?.snowflakeValue == harness.emulator.info.guildID)

        let session = try #require(harness.emulator.sessions[0])
        #expect(session["intents"]?.intValue == 1 | 512 | 2048 | 32768)
        #expect(session["compress"]?.stringValue == "zlib-stream")
        #expect(session["session_id"]?.stringValue == ready.sessionID)
        #expect(harness.counter("identifies") == 1)
        #expect(harness.counter("gateway_connections") == 1)
        // A second subscriber sees the same events.
        #expect(await second.waitUntil { $0.readies.count == 1 && $0.dispatches.count == 1 })
        try await harness.stop()
    }

    @Test func currentUserIsTheREADYAccountAndOutlivesResumesAndShutdown() async throws {
        let harness = try await GatewayHarness.start()
        #expect(harness.client.currentUser == nil)
        try await harness.startAndWaitForReady()
        let ready = try #require(harness.recorder.readies.first)
        let user = try #require(harness.client.currentUser)
        #expect(user.id == harness.emulator.info.bridgeBotUserID)
        #expect(user == DiscordGatewayUser(id: harness.emulator.info.bridgeBotUserID, username: ready.username))
        #expect(!user.username.isEmpty)
        // A RESUME brings no READY; the account is still known.
        #expect(harness.emulator.dropGatewayConnections(token: harness.emulator.info.bridgeBotToken) == 1)
        #expect(await harness.recorder.waitUntil(timeout: .seconds(20)) { $0.resumedCount == 1 })
        #expect(harness.client.currentUser == user)
        await harness.client.shutdown()
        #expect(harness.client.currentUser == user)
        try await harness.stop()
    }

    @Test func aMessagePostedOverRESTArrivesAsMessageCreate() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        let id = try await harness.post("hello from REST")
        #expect(await harness.recorder.waitUntil { $0.messageContents == ["hello from REST"] })
        let dispatch = try #require(harness.recorder.dispatches.first { $0.name == "MESSAGE_CREATE" })
        #expect(dispatch.data["id"]?.snowflakeValue == id)
        #expect(dispatch.data["channel_id"]?.snowflakeValue == harness.emulator.info.generalChannelID)
        #expect(dispatch.data["author"]?["id"]?.snowflakeValue == harness.emulator.info.userID)
        try await harness.stop()
    }

    @Test func aChannelSubscriptionGetsOnlyThatChannelsDispatchesAndEverySessionEvent() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        let info = harness.emulator.info
        let created = try await harness.rest.createGuildChannel(
            guildID: info.guildID, name: "routed", parentID: info.categoryID)
        let channelID = try #require(created["id"]?.snowflakeValue)
        // Its CHANNEL_CREATE (about this channel, so it would be routed) can trail the REST answer.
        #expect(await harness.recorder.waitUntil { $0.dispatches.contains { $0.name == "CHANNEL_CREATE" } })
        let routed = GatewayEventRecorder(harness.client.events(channelID: channelID))

        try await harness.post("elsewhere")
        let inChannel = try await harness.rest.createMessage(channelID: channelID, payload: ["content": "here"])
        _ = try await harness.rest.deleteChannel(channelID)
        #expect(await harness.recorder.waitUntil { $0.dispatches.contains { $0.name == "CHANNEL_DELETE" } })
        #expect(harness.emulator.dropGatewayConnections(token: info.bridgeBotToken) == 1)
        #expect(await routed.waitUntil(timeout: .seconds(20)) { $0.resumedCount == 1 })

        // The everything-subscriber saw the other channel's message; the routed one only its own
        // channel: the message (by channel_id) and the deletion (by the channel's own id).
        #expect(harness.recorder.messageContents.contains("elsewhere"))
        #expect(routed.dispatches.map(\.name) == ["MESSAGE_CREATE", "CHANNEL_DELETE"])
        #expect(routed.dispatches.first?.data["id"] == inChannel["id"])
        #expect(routed.dispatches.last?.data["id"]?.snowflakeValue == channelID)
        #expect(routed.reconnectReasons.count == 1)
        await harness.client.shutdown()
        #expect(await routed.waitUntil { $0.stopped != nil })
        try await harness.stop()
    }

    @Test func heartbeatsAreSentAndAcknowledgedEveryInterval() async throws {
        // An interval long enough that a loaded machine (CI builds beside the tests) still gets
        // each ACK back before the next beat; a shorter one turned scheduling delays into zombies.
        let harness = try await GatewayHarness.start(["gateway": ["heartbeat_interval_ms": 1000]])
        try await harness.startAndWaitForReady()
        // The first beat comes after a random part of the interval, then one every second.
        try await Task.sleep(for: .milliseconds(3500))
        let statistics = harness.client.statistics
        #expect(statistics.heartbeatsSent >= 2)
        #expect(statistics.heartbeatsSent <= 5)
        #expect(statistics.heartbeatAcks >= statistics.heartbeatsSent - 1)
        #expect(statistics.zombieConnections == 0)
        #expect(harness.client.status == .ready)
        #expect(harness.counter("gateway_connections") == 1)
        #expect(harness.recorder.reconnectReasons.isEmpty)
        try await harness.stop()
    }

    @Test func shutdownClosesWith1000EndsTheSessionAndTheStream() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        await harness.client.shutdown()
        #expect(harness.client.status == .stopped(.shutdown))
        #expect(await harness.recorder.waitUntil { $0.stopped != nil })
        #expect(harness.recorder.stopped == .some(nil))
        // Close code 1000 ends the session on the server: nothing is left to resume.
        #expect(await eventuallyTrue { harness.emulator.sessions.arrayValue?.isEmpty == true })
        // A late subscriber gets the final event at once.
        var late = harness.client.events().makeAsyncIterator()
        let last = await late.next()
        if case .stopped(nil) = last {} else { Issue.record("late subscriber got \(String(describing: last))") }
        #expect(await late.next() == nil)
        try await harness.stop()
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        let backoff = DiscordGatewayBackoff(initial: .seconds(1), maximum: .seconds(60))
        #expect(backoff.delay(attempt: 0, random: 1) == .seconds(1))
        #expect(backoff.delay(attempt: 0, random: 0) == .milliseconds(500))
        #expect(backoff.delay(attempt: 3, random: 1) == .seconds(8))
        #expect(backoff.delay(attempt: 10, random: 1) == .seconds(60))
        #expect(backoff.delay(attempt: 1000, random: 0) == .seconds(30))
    }

    @Test func theGatewayTokenIsSentWithoutTheBotPrefix() {
        let configuration = DiscordGatewayConfiguration(token: " Bot abc.def ")
        #expect(configuration.gatewayToken == "abc.def")
    }
}

/// Polls `condition` for up to five seconds.
func eventuallyTrue(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
