import DiscordEmulator
import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// Legacy import at start-up, the `threads` channel-cap strategy and user-token rotation.
@Suite("Engine legacy import, threads, user tokens", .serialized)
struct EngineGapsTests {
    @Test("start() imports conversation_<Key>.json onto the key's first bot; bad files are reported, not fatal")
    func legacyImportAtStart() async throws {
        let harness = try await EngineHarness.start()
        let info = harness.info
        let legacy = try await harness.inspector.createGuildChannel(
            guildID: info.guildID, name: "legacy-chat", parentID: info.categoryID)
        let legacyID = try #require(legacy["id"]?.snowflakeValue)
        let directory = NSTemporaryDirectory() + "legacy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("{\"Legacy Chat\": \"\(legacyID)\"}".utf8)
            .write(to: URL(fileURLWithPath: directory + "/conversation_\(EngineHarness.key).json"))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: directory + "/conversation_broken.json"))
        try Data("{\"x\": \"123\"}".utf8).write(to: URL(fileURLWithPath: directory + "/conversation_nobody.json"))

        var options = harness.bridge.options
        options.legacyImportDirectory = directory
        let storePath = NSTemporaryDirectory() + "engine-legacy-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: storePath) }
        let bridge = try CozeBridge(configuration: harness.bridge.configuration, storePath: storePath, options: options)
        bridge.start()
        #expect(await bridge.waitUntilReady(timeout: .seconds(5)))

        let report = try #require(bridge.legacyImportReport)
        #expect(report.imported.map(\.fileName) == ["conversation_\(EngineHarness.key).json"])
        #expect(report.imported.first?.importedCount == 1)
        #expect(report.failures.map(\.fileName) == ["conversation_broken.json", "conversation_nobody.json"])

        let conversation = try #require(try bridge.conversation(accessKey: EngineHarness.key, name: "Legacy Chat"))
        #expect(conversation.channelID == legacyID)
        #expect(conversation.kind == .channel)
        #expect(conversation.botIdentity == bridge.bots[0].identity)
        let prompt = "Hello from the old bridge"
        let result = try await bridge.send(accessKey: EngineHarness.key, conversation: "Legacy Chat", prompt: prompt)
        #expect(result.text == harness.answer(prompt))
        let posted = try await harness.inspector.messages(channelID: legacyID, limit: 10)
        #expect(posted.contains { $0["content"]?.stringValue?.hasSuffix(prompt) == true })
        await bridge.shutdown()

        // A second start finds the file already imported and leaves the mapping alone.
        let again = try CozeBridge(configuration: harness.bridge.configuration, storePath: storePath, options: options)
        again.start()
        #expect(again.legacyImportReport?.alreadyImported == ["conversation_\(EngineHarness.key).json"])
        #expect(try again.conversation(accessKey: EngineHarness.key, name: "Legacy Chat")?.channelID == legacyID)
        await again.shutdown()
        try await harness.stop()
    }

    @Test("ChannelCap_Strategy threads: beyond the cap conversations are threads in filled-in-order parents")
    func threadsStrategy() async throws {
        let harness = try await EngineHarness.start(
            conversations: ConversationConfiguration(channelCapStrategy: .threads, maxChannelsPerGuild: 2),
            options: EngineHarness.options(threadsPerParentChannel: 2))
        let bridge = harness.bridge
        let key = EngineHarness.key
        var created: [Conversation] = []
        for index in 1...5 { created.append(try await bridge.createConversation(accessKey: key, name: "chat \(index)")) }
        #expect(created[0].kind == .channel)
        #expect(created[1].kind == .channel)
        guard case .thread(let firstParent) = created[2].kind, case .thread(let sameParent) = created[3].kind,
            case .thread(let secondParent) = created[4].kind
        else {
            Issue.record("conversations beyond the cap are not threads: \(created.map(\.kind))")
            try await harness.stop()
            return
        }
        #expect(firstParent == sameParent)
        #expect(firstParent != secondParent)
        for (parent, name) in [(firstParent, "cozebridge-threads-1"), (secondParent, "cozebridge-threads-2")] {
            let channel = try await harness.inspector.channel(parent)
            #expect(channel["name"]?.stringValue == name)
            #expect(channel["parent_id"]?.snowflakeValue == harness.info.categoryID)
        }
        let thread = try await harness.inspector.channel(created[4].channelID)
        #expect(thread["parent_id"]?.snowflakeValue == secondParent)
        #expect(thread["type"]?.intValue == 11)

        let prompt = "Threads work the same"
        let result = try await bridge.send(accessKey: key, conversation: "chat 5", prompt: prompt)
        #expect(result.text == harness.answer(prompt))
        // Nothing was evicted: every conversation and its Discord channel or thread is still there.
        #expect(try bridge.conversations(accessKey: key).count == 5)
        for conversation in created {
            #expect(try await harness.inspector.channel(conversation.channelID)["id"]?.snowflakeValue == conversation.channelID)
        }
        try await harness.stop()
    }

    @Test("user tokens rotate round-robin; a sender quota rests one token; the bot leaves only when all rest")
    func tokenRotation() async throws {
        let configuration = BotConfiguration(
            accessKey: "k", botToken: "bot-token", userTokens: ["u1", "u2", "u2", "u3"], senderMode: .user,
            channelCategoryID: nil, serverID: Snowflake(1), cozeBotID: Snowflake(2))
        let bot = try BridgeBot(
            configuration: configuration,
            bridge: BridgeConfiguration(era: .c, bots: [configuration], discord: DiscordEndpoints(apiBaseURL: "http://127.0.0.1:9")),
            options: CozeBridgeOptions(legacyImportDirectory: nil))
        #expect(bot.senders.count == 3)
        #expect(!bot.senderIsBot)
        #expect([0, 1, 2, 3].map { _ in bot.pickSender(now: 0) } == [0, 1, 2, 0])

        bot.restSender(2, until: 1_000, text: "credits used up")
        #expect([0, 1, 2, 3].map { _ in bot.pickSender(now: 10) } == [1, 0, 1, 0])
        #expect(bot.quotaRest(now: 10) == nil)
        bot.restSender(0, until: 800, text: "credits used up")
        #expect(bot.pickSender(now: 10) == 1)
        #expect(bot.quotaRest(now: 10) == nil)
        bot.restSender(1, until: 900, text: "credits used up")
        // All rest: out of the pool until the first is free, which then posts.
        #expect(bot.quotaRest(now: 10)?.until == 800)
        #expect(bot.pickSender(now: 10) == 0)
        #expect(bot.quotaRest(now: 800) == nil)
        #expect(bot.pickSender(now: 800) == 0)
        #expect(bot.pickSender(now: 1_000) == 1)
        #expect(bot.pickSender(now: 1_000) == 2)

        // A creator-scoped quota takes the whole bot out whatever its tokens.
        bot.restQuota(until: 5_000, text: "the bot's owner is out of credits")
        #expect(bot.quotaRest(now: 1_000)?.until == 5_000)
        #expect(bot.quotaRest(now: 5_000) == nil)
        await bot.shutdown()
    }

    @Test("user sender mode with two tokens: a turn posts with the first and gets the exact answer")
    func userTokensEndToEnd() async throws {
        let harness = try await EngineHarness.start(bots: { info in
            [
                BotConfiguration(
                    accessKey: EngineHarness.key, botToken: info.bridgeBotToken, userTokens: [info.userToken, "spare-token"],
                    senderMode: .user, channelCategoryID: info.categoryID, serverID: info.guildID,
                    cozeBotID: info.cozeBotUserID)
            ]
        })
        let bot = harness.bridge.bots[0]
        #expect(bot.senders.count == 2)
        let prompt = "Rotate my tokens"
        let result = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "rotation", prompt: prompt)
        #expect(result.text == harness.answer(prompt))
        // The round-robin moved on: the next prompt would go out with the second token.
        #expect(bot.pickSender(now: WallClock.unixMilliseconds()) == 1)
        try await harness.stop()
    }

    @Test("a sender-scoped quota on one user token rests that token only; the bot stays in its pool")
    func senderQuotaRestsOneToken() async throws {
        let reset = WallClock.unixMilliseconds() + 60_000
        var options = EngineHarness.options()
        options.quotaResetTime = { _ in reset }
        let harness = try await EngineHarness.start(
            bots: { info in
                [
                    BotConfiguration(
                        accessKey: EngineHarness.key, botToken: info.bridgeBotToken,
                        userTokens: [info.userToken, "spare-token"], senderMode: .user, channelCategoryID: info.categoryID,
                        serverID: info.guildID, cozeBotID: info.cozeBotUserID)
                ]
            }, options: options)
        let bot = harness.bridge.bots[0]
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "spent", prompt: "Hi [scenario:quota]"))
        guard case .quotaExhausted(.sender, _) = log.error else {
            Issue.record("expected a sender-scoped quota error, got \(String(describing: log.terminal))")
            try await harness.stop()
            return
        }
        let now = WallClock.unixMilliseconds()
        #expect(harness.bridge.status().map(\.isAvailable) == [true])
        #expect(bot.quotaRest(now: now) == nil)
        // Only the second token is left: the rotation keeps choosing it until the reset.
        let picks: [Int] = [bot.pickSender(now: now), bot.pickSender(now: now)]
        #expect(picks == [1, 1])
        bot.restSender(1, until: reset, text: "spent too")
        #expect(harness.bridge.status().map(\.quotaExhaustedUntilMilliseconds) == [reset])
        try await harness.stop()
    }
}
