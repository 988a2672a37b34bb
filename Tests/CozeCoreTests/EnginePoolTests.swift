import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// Pool choice: offline and quota-spent bots are skipped; the keepalive timer runs on its own.
@Suite("Engine pools", .serialized)
struct EnginePoolTests {
    @Test("an offline bot of the pool is skipped for new conversations")
    func offlineBotSkipped() async throws {
        let harness = try await EngineHarness.start(
            bots: { info in
                [
                    BotConfiguration(
                        accessKey: "pool", botToken: "revoked-token", senderMode: .bot, channelCategoryID: info.categoryID,
                        serverID: info.guildID, cozeBotID: info.cozeBotUserID),
                    EngineHarness.defaultBot(info, key: "pool"),
                ]
            }, waitForReady: false)
        let bridge = harness.bridge
        _ = await bridge.waitUntilReady(timeout: .seconds(5))
        let statuses = bridge.status()
        #expect(statuses.map(\.isAvailable) == [false, true])
        #expect(statuses.map(\.userID) == [nil, harness.info.bridgeBotUserID])
        for index in 0..<3 {
            let result = try await bridge.send(accessKey: "pool", conversation: "c\(index)", prompt: "Ping \(index)")
            #expect(result.text == harness.answer("Ping \(index)"))
        }
        #expect(Set(try bridge.conversations(accessKey: "pool").map(\.botIdentity)) == [statuses[1].identity])
        try await harness.stop()
    }

    @Test("status names the Discord account each bot's gateway runs as, from READY")
    func statusNamesTheAccount() async throws {
        let harness = try await EngineHarness.start(bots: EngineHarness.senderModeBots)
        let info = harness.info
        let statuses = harness.bridge.status()
        #expect(statuses.map(\.accessKey) == ["botmode", "usermode", "useronly"])
        #expect(statuses.map(\.userID) == [info.bridgeBotUserID, info.bridgeBotUserID, info.userID])
        #expect(zip(statuses, harness.bridge.bots).allSatisfy { $0.user == $1.gateway.currentUser })
        // The user name is the account's own, as REST reports it.
        let me = try await harness.inspector.currentUser()
        #expect(statuses[2].user?.username == me["username"]?.stringValue)
        #expect(statuses.allSatisfy { $0.user?.username.isEmpty == false })
        try await harness.stop()
    }

    @Test("a bot whose Coze quota is spent leaves the pool until its reset time")
    func quotaBotSkipped() async throws {
        let harness = try await EngineHarness.start(
            bots: { info in
                [
                    EngineHarness.defaultBot(info, key: "pool"),
                    BotConfiguration(
                        accessKey: "pool", botToken: info.spareBotToken, senderMode: .bot,
                        channelCategoryID: info.categoryID, serverID: info.guildID, cozeBotID: info.cozeBotUserID),
                ]
            },
            options: {
                var options = EngineHarness.options()
                // Counted from the quota reply, not from before the harness starts: under a
                // sanitizer the start alone took longer than the window.
                options.quotaResetTime = { finishedAt in finishedAt + 3_000 }
                return options
            }())
        let bridge = harness.bridge
        let identities = bridge.status().map(\.identity)
        // Both idle: the first bot of the pool takes the first conversation.
        await #expect(throws: TurnError.self) {
            try await bridge.send(accessKey: "pool", conversation: "spent", prompt: "Hi [scenario:quota]")
        }
        #expect(try bridge.conversation(accessKey: "pool", name: "spent")?.botIdentity == identities[0])
        let reset = try #require(bridge.status()[0].quotaExhaustedUntilMilliseconds)
        #expect(bridge.status()[1].quotaExhaustedUntilMilliseconds == nil)
        for index in 0..<3 {
            _ = try await bridge.send(accessKey: "pool", conversation: "n\(index)", prompt: "Hello \(index)")
            #expect(try bridge.conversation(accessKey: "pool", name: "n\(index)")?.botIdentity == identities[1])
        }
        // After the reset the first bot is back (and, equally idle, first again).
        try await Task.sleep(for: .milliseconds(Int(reset - min(reset, WallClock.unixMilliseconds())) + 50))
        #expect(bridge.status().map(\.isAvailable) == [true, true])
        _ = try await bridge.createConversation(accessKey: "pool", name: "back")
        #expect(try bridge.conversation(accessKey: "pool", name: "back")?.botIdentity == identities[0])
        try await harness.stop()
    }

    @Test("the Keepalive_timer scheduler sends the keepalive prompt by itself")
    func keepaliveTimer() async throws {
        let harness = try await EngineHarness.start(
            keepalive: KeepaliveConfiguration(
                period: .milliseconds(200), maxSilence: .seconds(3600), conversationName: "ka", message: "Tick"))
        let bridge = harness.bridge
        let deadline = ContinuousClock.now + .seconds(5)
        var turns: [RecordedTurn] = []
        while ContinuousClock.now < deadline {
            if let conversation = try bridge.conversation(accessKey: EngineHarness.key, name: "ka") {
                turns = try bridge.store.turns(of: conversation.id)
                if !turns.isEmpty { break }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(turns.map(\.turn.answer) == [harness.answer("Tick")])
        // Active now, so later periods send nothing more.
        try await Task.sleep(for: .milliseconds(500))
        let conversation = try #require(try bridge.conversation(accessKey: EngineHarness.key, name: "ka"))
        #expect(try bridge.store.turns(of: conversation.id).count == 1)
        try await harness.stop()
    }
}
