import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// Turns through the whole engine against the emulator's Coze bot: exact texts, images,
/// suggestions and typed errors per scenario.
@Suite("Engine turns", .serialized)
struct EngineTurnTests {
    @Test("plain: exact text, deltas fold to it, suggestions, stored turn")
    func plain() async throws {
        let harness = try await EngineHarness.start()
        let prompt = "Tell me about gardens"
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "Garden Talk", prompt: prompt))
        let answer = harness.answer(prompt)
        let result = try #require(log.result, "\(log.events) \(String(describing: log.thrown))")
        #expect(result.text == answer)
        #expect(log.foldedText == answer)
        #expect(result.completion == .suggestions)
        #expect(result.suggestions == CozeAnswerGenerator.suggestions(for: answer, seed: EngineHarness.seed))
        #expect(log.events.dropLast().last == .suggestions(result.suggestions))
        let conversation = try #require(try harness.bridge.conversation(accessKey: EngineHarness.key, name: "Garden Talk"))
        let turns = try harness.bridge.store.turns(of: conversation.id)
        #expect(turns.map(\.turn.answer) == [answer])
        #expect(turns.map(\.turn.prompt) == [prompt])
        #expect(turns.map(\.turn.outcome) == [.done])
        let activity = try harness.bridge.store.lastCozeActivity(botIdentity: conversation.botIdentity)
        #expect(activity != nil)
        #expect(harness.bridge.status().map(\.lastCozeActivityMilliseconds) == [activity])
        #expect(harness.bridge.status().map(\.inFlightTurns) == [0])
        try await harness.stop()
    }

    @Test("Coze's last activity: in the status as soon as the turn ends, and again after a restart")
    func cozeActivityInTheStatus() async throws {
        let harness = try await EngineHarness.start()
        #expect(harness.bridge.status().map(\.lastCozeActivityMilliseconds) == [nil])
        _ = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "Activity", prompt: "Hello there")
        let stored = try #require(try harness.bridge.store.lastCozeActivity(botIdentity: harness.bridge.status()[0].identity))
        #expect(harness.bridge.status().map(\.lastCozeActivityMilliseconds) == [stored])
        // The status reads no store: a new engine on the same file starts from what it holds.
        let restarted = try await harness.restartedBridge()
        #expect(restarted.status().map(\.lastCozeActivityMilliseconds) == [stored])
        await restarted.shutdown()
        try await harness.stop()
    }

    @Test(
        "scenarios: exact final text and images",
        arguments: [CozeScenario.long, .rewrite, .imageEmbed, .imageAttachment, .imageMarkdown])
    func scenario(_ scenario: CozeScenario) async throws {
        let harness = try await EngineHarness.start()
        let prompt = "Describe the sea [scenario:\(scenario.rawValue)]"
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "s-\(scenario.rawValue)", prompt: prompt))
        let expected = harness.expectedText(scenario, prompt)
        let result = try #require(log.result, "\(log.events) \(String(describing: log.thrown))")
        #expect(result.text == expected)
        #expect(log.foldedText == expected)
        let answer = harness.answer(prompt)
        let imageURL = CozeAnswerGenerator.imageURL(baseURL: harness.info.baseURL, answer: answer, seed: EngineHarness.seed)
        let filename = CozeAnswerGenerator.imageFilename(for: answer, seed: EngineHarness.seed)
        switch scenario {
        case .long:
            #expect(result.messageIDs.count == 3)
        case .rewrite:
            #expect(log.corrections >= 1)
        case .imageEmbed, .imageMarkdown:
            #expect(result.images.map(\.url) == [imageURL])
            #expect(log.images.map(\.url) == [imageURL])
        case .imageAttachment:
            #expect(result.images.map(\.filename) == [filename])
            #expect(result.images.count == 1)
        default:
            break
        }
        if scenario != .imageAttachment, scenario != .imageEmbed, scenario != .imageMarkdown {
            #expect(result.images.isEmpty)
        }
        try await harness.stop()
    }

    @Test("concurrent turns each follow only their own channel and leave no subscription behind")
    func concurrentTurnsLeaveNoSubscriptionBehind() async throws {
        let harness = try await EngineHarness.start()
        let bridge = harness.bridge
        let bot = try #require(bridge.bots.first)
        let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for index in 0..<8 {
                group.addTask {
                    let prompt = "routing \(index)"
                    let result = try await bridge.send(accessKey: EngineHarness.key, conversation: "c\(index)", prompt: prompt)
                    return (prompt, result.text)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 8)
        for (prompt, text) in answers { #expect(text == harness.answer(prompt)) }
        let counts = bot.gateway.channelSubscriptionCounts
        #expect(counts.subscribers == 0 && counts.channels == 0)
        try await harness.stop()
    }

    @Test("no-suggestions: ends on the idle timeout with the exact text")
    func noSuggestions() async throws {
        let harness = try await EngineHarness.start(
            reply: ReplyConfiguration(idleTimeout: .milliseconds(300), overallTimeout: .seconds(20)))
        let prompt = "Quiet answer [scenario:no-suggestions]"
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "quiet", prompt: prompt))
        let result = try #require(log.result, "\(log.events)")
        #expect(result.text == harness.expectedText(.noSuggestions, prompt))
        #expect(log.foldedText == result.text)
        #expect(result.completion == .idle)
        #expect(result.suggestions.isEmpty)
        try await harness.stop()
    }

    @Test("quota: a typed error, the bot leaves its pool until the reset time")
    func quota() async throws {
        let harness = try await EngineHarness.start()
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "q", prompt: "Hi [scenario:quota]"))
        guard case .quotaExhausted(_, let text) = log.error else {
            Issue.record("expected a quota error, got \(log.events)")
            try await harness.stop()
            return
        }
        #expect(text == CozeAnswerGenerator.quotaText)
        #expect(log.foldedText == "")  // held back, never shown as an answer
        let status = try #require(harness.bridge.status().first)
        #expect(status.quotaText == CozeAnswerGenerator.quotaText)
        let until = try #require(status.quotaExhaustedUntilMilliseconds)
        #expect(until % 86_400_000 == 0 && until > WallClock.unixMilliseconds())
        #expect(!status.isAvailable)
        let conversation = try #require(try harness.bridge.conversation(accessKey: EngineHarness.key, name: "q"))
        #expect(try harness.bridge.store.turns(of: conversation.id).map(\.turn.outcome) == [.error(code: "quota_exceeded")])
        // A new conversation has no bot to go to.
        await #expect(throws: CozeBridgeError.self) {
            try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "another")
        }
        try await harness.stop()
    }

    @Test("silent: no reply, the error says what happened")
    func silent() async throws {
        let harness = try await EngineHarness.start(options: EngineHarness.options(firstReply: .milliseconds(600)))
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "s", prompt: "Hello? [scenario:silent]"))
        #expect(log.error == .noReply(promptAuthoredByBot: true, cozeTyped: true))
        try await harness.stop()
    }

    @Test("slow: a first reply later than the idle timeout still ends with the exact text")
    func slow() async throws {
        // The idle timeout (500 ms) only runs once the reply exists; before that the first-reply
        // timeout does, here the engine's default, max(3 × idle, 60 s).
        var options = EngineHarness.options()
        options.firstReplyTimeout = nil
        let harness = try await EngineHarness.start(
            ["coze": ["slow_start_ms": 2500]],
            reply: ReplyConfiguration(idleTimeout: .milliseconds(500), overallTimeout: .seconds(20)), options: options)
        let prompt = "Take your time with this one [scenario:slow]"
        let started = ContinuousClock.now
        var log = EngineTurnLog()
        var firstDeltaAfter: Duration?
        for try await event in harness.bridge.stream(accessKey: EngineHarness.key, conversation: "slow", prompt: prompt) {
            if firstDeltaAfter == nil, case .delta = event { firstDeltaAfter = ContinuousClock.now - started }
            log.events.append(event)
        }
        let answer = harness.answer(prompt)
        let result = try #require(log.result, "\(log.events)")
        #expect(result.text == answer)
        #expect(log.foldedText == answer)
        #expect(log.corrections == 0)
        #expect(result.completion == .suggestions)
        #expect(result.suggestions == CozeAnswerGenerator.suggestions(for: answer, seed: EngineHarness.seed))
        // The slow start really happened: nothing was shown for longer than the idle timeout.
        let waited = try #require(firstDeltaAfter)
        #expect(waited >= .milliseconds(2500), "first delta after \(waited)")
        try await harness.stop()
    }

    @Test("slow beyond the first-reply timeout: noReply, and the late reply does not leak into the next turn")
    func slowBeyondFirstReplyTimeout() async throws {
        let harness = try await EngineHarness.start(
            ["coze": ["slow_start_ms": 2000]], options: EngineHarness.options(firstReply: .milliseconds(800)))
        let first = "Are you there? [scenario:slow]"
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "late", prompt: first))
        #expect(log.error == .noReply(promptAuthoredByBot: true, cozeTyped: true))
        #expect(log.foldedText == "")
        // Let the late reply land (it starts 2 s after the prompt and then streams).
        let conversation = try #require(try harness.bridge.conversation(accessKey: EngineHarness.key, name: "late"))
        let lateAnswer = harness.answer(first)
        let deadline = ContinuousClock.now + .seconds(20)
        var landed = false
        while !landed, ContinuousClock.now < deadline {
            let messages = try await harness.inspector.messages(channelID: conversation.channelID, limit: 10)
            landed = messages.contains { $0["content"]?.stringValue == lateAnswer && $0["components"]?[0] != nil }
            if !landed { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(landed)
        let second = "what did I say before?"
        let result = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "late", prompt: second)
        #expect(result.text == harness.answer(second, previous: first))
        #expect(result.text != lateAnswer)
        let turns = try harness.bridge.store.turns(of: conversation.id)
        #expect(turns.map(\.turn.outcome) == [.error(code: "no_reply"), .done])
        try await harness.stop()
    }

    @Test("Coze ignoring bots: bot mode fails saying to use user mode, user mode answers")
    func ignoreBotAuthors() async throws {
        let harness = try await EngineHarness.start(
            ["coze": ["ignore_bot_authors": true]],
            bots: EngineHarness.senderModeBots, options: EngineHarness.options(firstReply: .milliseconds(600)))
        await #expect(throws: TurnError.noReply(promptAuthoredByBot: true, cozeTyped: false)) {
            try await harness.bridge.send(accessKey: "botmode", conversation: "c", prompt: "Hello there")
        }
        #expect(TurnError.noReply(promptAuthoredByBot: true, cozeTyped: false).description.contains("Sender_Mode: user"))
        let result = try await harness.bridge.send(accessKey: "usermode", conversation: "c", prompt: "Hello there")
        #expect(result.text == harness.answer("Hello there"))
        let alone = try await harness.bridge.send(accessKey: "useronly", conversation: "c", prompt: "Hello alone")
        #expect(alone.text == harness.answer("Hello alone"))
        #expect(alone.suggestions == CozeAnswerGenerator.suggestions(for: alone.text, seed: EngineHarness.seed))
        try await harness.stop()
    }

    @Test("a dropped gateway mid-stream loses and duplicates no text")
    func droppedGateway() async throws {
        let harness = try await EngineHarness.start(["coze": ["chunks": 12, "edit_interval_ms": 40]])
        let prompt = "Tell me a long story about rivers"
        var log = EngineTurnLog()
        var dropped = false
        for try await event in harness.bridge.stream(accessKey: EngineHarness.key, conversation: "drop", prompt: prompt) {
            log.events.append(event)
            if !dropped, case .delta = event {
                dropped = true
                #expect(harness.emulator.dropGatewayConnections(token: harness.info.bridgeBotToken) == 1)
                #expect(harness.bridge.status().map(\.inFlightTurns) == [1])
            }
        }
        let answer = harness.answer(prompt)
        #expect(dropped)
        #expect(log.result?.text == answer)
        #expect(log.foldedText == answer)
        #expect((harness.emulator.counters["resumes"]?.intValue ?? 0) >= 1)
        try await harness.stop()
    }

    /// Soak finding (tests/soak/soak.py): Coze's silence was measured while the gateway was
    /// reconnecting, so a drop longer than the idle timeout ended the turn as done with the text
    /// shown so far; the edits replayed by RESUME came too late.
    @Test("a gateway drop longer than the idle timeout still ends with the whole answer")
    func longGatewayDrop() async throws {
        let harness = try await EngineHarness.start(["coze": ["chunks": 12, "edit_interval_ms": 40]])
        let prompt = "Tell me a long story about lighthouses"
        var log = EngineTurnLog()
        var dropped = false
        for try await event in harness.bridge.stream(accessKey: EngineHarness.key, conversation: "long-drop", prompt: prompt) {
            log.events.append(event)
            if !dropped, case .delta = event {
                dropped = true
                // No HELLO for 3 s, longer than the harness's 2 s idle timeout.
                #expect(harness.emulator.dropGatewayConnections(token: harness.info.bridgeBotToken, refuseMilliseconds: 3_000) == 1)
            }
        }
        let answer = harness.answer(prompt)
        #expect(dropped)
        #expect(log.result?.text == answer)
        #expect(log.foldedText == answer)
        try await harness.stop()
    }

    @Test("shutdown cancels a running turn: it ends with .cancelled and is recorded")
    func shutdownCancels() async throws {
        let harness = try await EngineHarness.start(options: EngineHarness.options(firstReply: .seconds(30)))
        let stream = harness.bridge.stream(accessKey: EngineHarness.key, conversation: "hang", prompt: "Wait [scenario:silent]")
        // Let the prompt go out before shutting down.
        let deadline = ContinuousClock.now + .seconds(5)
        while try harness.bridge.conversation(accessKey: EngineHarness.key, name: "hang") == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        await harness.bridge.shutdown()
        #expect(ContinuousClock.now - started < .seconds(5))
        let log = await EngineTurnLog.collect(stream)
        #expect(log.error == .cancelled)
        let conversation = try #require(try harness.bridge.conversation(accessKey: EngineHarness.key, name: "hang"))
        #expect(try harness.bridge.store.turns(of: conversation.id).map(\.turn.outcome) == [.error(code: "cancelled")])
        await #expect(throws: CozeBridgeError.notRunning) {
            try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "hang", prompt: "again")
        }
        try await harness.stop()
    }
}
