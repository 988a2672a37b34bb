import DiscordEmulator
import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// Conversations, ordering, isolation, pools, restarts and bot health through the engine.
@Suite("Engine conversations", .serialized)
struct EngineConversationTests {
    @Test("create, rename, list, exists, delete round trip against Discord")
    func roundTrip() async throws {
        let harness = try await EngineHarness.start()
        let bridge = harness.bridge
        let key = EngineHarness.key
        let created = try await bridge.createConversation(accessKey: key, name: "My Chat")
        let channel = try await harness.inspector.channel(created.channelID)
        #expect(channel["name"]?.stringValue == "my-chat")
        #expect(channel["parent_id"]?.snowflakeValue == harness.info.categoryID)
        #expect(channel["guild_id"]?.snowflakeValue == harness.info.guildID)
        await #expect(throws: CozeBridgeError.conversationExists(accessKey: key, name: "My Chat")) {
            try await bridge.createConversation(accessKey: key, name: "My Chat")
        }

        let renamed = try bridge.renameConversation(accessKey: key, from: "My Chat", to: "Our Chat")
        #expect(renamed.channelID == created.channelID)
        #expect(try await harness.inspector.channel(created.channelID)["name"]?.stringValue == "my-chat")
        #expect(try bridge.conversationExists(accessKey: key, name: "Our Chat"))
        #expect(try !bridge.conversationExists(accessKey: key, name: "My Chat"))
        #expect(try bridge.conversations(accessKey: key).map(\.name) == ["Our Chat"])

        try await bridge.deleteConversation(accessKey: key, name: "Our Chat")
        #expect(try bridge.conversations(accessKey: key).isEmpty)
        await #expect(throws: DiscordHTTPError.self) { try await harness.inspector.channel(created.channelID) }
        await #expect(throws: CozeBridgeError.conversationNotFound(accessKey: key, name: "Our Chat")) {
            try await bridge.deleteConversation(accessKey: key, name: "Our Chat")
        }
        await #expect(throws: CozeBridgeError.unknownAccessKey("nope")) {
            try await bridge.createConversation(accessKey: "nope", name: "x")
        }
        try await harness.stop()
    }

    @Test("two conversations in parallel stay isolated (each channel's own memory)")
    func isolation() async throws {
        let harness = try await EngineHarness.start()
        let bridge = harness.bridge
        let key = EngineHarness.key
        async let first = bridge.send(accessKey: key, conversation: "alpha", prompt: "Alpha likes apples")
        async let second = bridge.send(accessKey: key, conversation: "beta", prompt: "Beta likes bananas")
        let (a, b) = try await (first, second)
        #expect(a.text == harness.answer("Alpha likes apples"))
        #expect(b.text == harness.answer("Beta likes bananas"))
        let question = CozeAnswerGenerator.memoryQuestion
        async let memoryA = bridge.send(accessKey: key, conversation: "alpha", prompt: question)
        async let memoryB = bridge.send(accessKey: key, conversation: "beta", prompt: question)
        let (ma, mb) = try await (memoryA, memoryB)
        #expect(ma.text == harness.answer(question, previous: "Alpha likes apples"))
        #expect(mb.text == harness.answer(question, previous: "Beta likes bananas"))
        #expect(ma.text.contains("Alpha likes apples"))
        try await harness.stop()
    }

    @Test("turns on one conversation run in call order")
    func fifo() async throws {
        let harness = try await EngineHarness.start()
        let bridge = harness.bridge
        let question = CozeAnswerGenerator.memoryQuestion
        // Requested back to back, before the first has even resolved its conversation.
        let streams = [
            bridge.stream(accessKey: EngineHarness.key, conversation: "ordered", prompt: "First comes one"),
            bridge.stream(accessKey: EngineHarness.key, conversation: "ordered", prompt: question),
            bridge.stream(accessKey: EngineHarness.key, conversation: "ordered", prompt: question),
        ]
        var results: [String] = []
        for stream in streams { results.append(await EngineTurnLog.collect(stream).result?.text ?? "<failed>") }
        #expect(results[0] == harness.answer("First comes one"))
        #expect(results[1] == harness.answer(question, previous: "First comes one"))
        #expect(results[2] == harness.answer(question, previous: question))
        let conversation = try #require(try bridge.conversation(accessKey: EngineHarness.key, name: "ordered"))
        #expect(try bridge.store.turns(of: conversation.id).map(\.turn.answer) == results)
        try await harness.stop()
    }

    @Test("a consumer that stops iterating does not stop the turn; it is stored")
    func abandonedConsumer() async throws {
        let harness = try await EngineHarness.start()
        let prompt = "Abandon me halfway"
        for try await event in harness.bridge.stream(accessKey: EngineHarness.key, conversation: "gone", prompt: prompt) {
            if case .delta = event { break }
        }
        // The next turn queues behind the abandoned one, which therefore finished first.
        let next = try await harness.bridge.send(
            accessKey: EngineHarness.key, conversation: "gone", prompt: CozeAnswerGenerator.memoryQuestion)
        #expect(next.text == harness.answer(CozeAnswerGenerator.memoryQuestion, previous: prompt))
        let conversation = try #require(try harness.bridge.conversation(accessKey: EngineHarness.key, name: "gone"))
        #expect(try harness.bridge.store.turns(of: conversation.id).first?.turn.answer == harness.answer(prompt))
        try await harness.stop()
    }

    @Test("20 concurrent turns over 2 bots sharing a key all finish, both bots work")
    func pool() async throws {
        let harness = try await EngineHarness.start(bots: { info in
            [
                EngineHarness.defaultBot(info, key: "pool"),
                BotConfiguration(
                    accessKey: "pool", botToken: info.spareBotToken, senderMode: .bot, channelCategoryID: info.categoryID,
                    serverID: info.guildID, cozeBotID: info.cozeBotUserID),
            ]
        })
        let bridge = harness.bridge
        let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<20 {
                group.addTask {
                    (index, try await bridge.send(accessKey: "pool", conversation: "c\(index)", prompt: "Question number \(index)").text)
                }
            }
            var texts: [Int: String] = [:]
            for try await (index, text) in group { texts[index] = text }
            return texts
        }
        for index in 0..<20 { #expect(texts[index] == harness.answer("Question number \(index)")) }
        let perBot = Dictionary(grouping: try bridge.conversations(accessKey: "pool"), by: \.botIdentity).mapValues(\.count)
        #expect(perBot.count == 2)
        #expect(perBot.values.allSatisfy { $0 >= 5 }, "\(perBot)")
        #expect(bridge.status().allSatisfy { $0.inFlightTurns == 0 })
        try await harness.stop()
    }

    @Test("restart: a new engine on the same store finds the conversation on its channel")
    func restart() async throws {
        let harness = try await EngineHarness.start()
        let first = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "Keep Me", prompt: "Remember the lighthouse")
        #expect(first.text == harness.answer("Remember the lighthouse"))
        let before = try #require(try harness.bridge.conversation(accessKey: EngineHarness.key, name: "Keep Me"))
        await harness.bridge.shutdown()

        let restarted = try await harness.restartedBridge()
        let after = try #require(try restarted.conversation(accessKey: EngineHarness.key, name: "Keep Me"))
        #expect(after.channelID == before.channelID)
        #expect(after.botIdentity == before.botIdentity)
        let memory = try await restarted.send(
            accessKey: EngineHarness.key, conversation: "Keep Me", prompt: CozeAnswerGenerator.memoryQuestion)
        #expect(memory.text == harness.answer(CozeAnswerGenerator.memoryQuestion, previous: "Remember the lighthouse"))
        await restarted.shutdown()
        try await harness.stop()
    }

    @Test("a bad token: the bot's status carries the 4004 error, turns fail clearly")
    func badToken() async throws {
        let harness = try await EngineHarness.start(
            bots: { info in
                [
                    BotConfiguration(
                        accessKey: EngineHarness.key, botToken: "not-a-token", senderMode: .bot,
                        channelCategoryID: info.categoryID, serverID: info.guildID, cozeBotID: info.cozeBotUserID)
                ]
            }, waitForReady: false)
        _ = await harness.bridge.waitUntilReady(timeout: .seconds(5))
        let status = try #require(harness.bridge.status().first)
        guard case .stopped(let reason) = status.state else {
            Issue.record("expected a stopped bot, got \(status.state)")
            try await harness.stop()
            return
        }
        #expect(reason.contains("4004"))
        do {
            _ = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "x", prompt: "Hi")
            Issue.record("the turn should have failed")
        } catch let error as CozeBridgeError {
            #expect(error.description.contains("4004"), "\(error)")
        }
        try await harness.stop()
    }

    @Test("channel cap: the least recently used idle conversation is evicted")
    func channelCap() async throws {
        let harness = try await EngineHarness.start(
            conversations: ConversationConfiguration(maxChannelsPerGuild: 2))
        let bridge = harness.bridge
        let key = EngineHarness.key
        let oldest = try await bridge.createConversation(accessKey: key, name: "one")
        try await Task.sleep(for: .milliseconds(5))
        _ = try await bridge.send(accessKey: key, conversation: "two", prompt: "Second")
        try await Task.sleep(for: .milliseconds(5))
        _ = try await bridge.createConversation(accessKey: key, name: "three")
        #expect(try bridge.conversations(accessKey: key).map(\.name).sorted() == ["three", "two"])
        await #expect(throws: DiscordHTTPError.self) { try await harness.inspector.channel(oldest.channelID) }
        try await harness.stop()
    }

    @Test("keepalive: on demand, and due only after the max interval")
    func keepalive() async throws {
        let harness = try await EngineHarness.start(
            keepalive: KeepaliveConfiguration(maxSilence: .seconds(3600), conversationName: "ka", message: "Stay awake"))
        let bridge = harness.bridge
        let due = await bridge.keepaliveIfDue()  // never active: due
        #expect(due.count == 1)
        #expect(due.first?.result?.text == harness.answer("Stay awake"))
        #expect(due.first?.conversationName == "ka")
        #expect(await bridge.keepaliveIfDue().isEmpty)  // just active
        let onDemand = try await bridge.keepalive(accessKey: EngineHarness.key)
        #expect(onDemand.map(\.succeeded) == [true])
        #expect(try bridge.conversations(accessKey: EngineHarness.key).map(\.name) == ["ka"])
        try await harness.stop()
    }

    @Test("a channel deleted by hand: the turn fails with channelDeleted, the next one recreates it")
    func channelDeletedByHand() async throws {
        let harness = try await EngineHarness.start()
        let bridge = harness.bridge
        let created = try await bridge.createConversation(accessKey: EngineHarness.key, name: "fragile")
        try await harness.inspector.deleteChannel(created.channelID)
        await #expect(throws: TurnError.channelDeleted(channelID: created.channelID)) {
            try await bridge.send(accessKey: EngineHarness.key, conversation: "fragile", prompt: "Anyone there?")
        }
        #expect(try !bridge.conversationExists(accessKey: EngineHarness.key, name: "fragile"))
        let result = try await bridge.send(accessKey: EngineHarness.key, conversation: "fragile", prompt: "Anyone there?")
        #expect(result.text == harness.answer("Anyone there?"))
        let recreated = try #require(try bridge.conversation(accessKey: EngineHarness.key, name: "fragile"))
        #expect(recreated.channelID != created.channelID)
        try await harness.stop()
    }
}
