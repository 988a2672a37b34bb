import DiscordEmulator
import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// Discord faults during turns, and prompts that travel as attachments.
@Suite("Engine faults and attachments", .serialized)
struct EngineFaultTests {
    @Test("INVALID_SESSION mid-stream (re-identify) loses and duplicates no text")
    func invalidSession() async throws {
        let harness = try await EngineHarness.start(["coze": ["chunks": 12, "edit_interval_ms": 40]])
        let prompt = "Explain tides in detail"
        var log = EngineTurnLog()
        var sent = false
        for try await event in harness.bridge.stream(accessKey: EngineHarness.key, conversation: "inv", prompt: prompt) {
            log.events.append(event)
            if !sent, case .delta = event {
                sent = true
                #expect(harness.emulator.sendInvalidSession(token: harness.info.bridgeBotToken, resumable: false) == 1)
            }
        }
        let answer = harness.answer(prompt)
        #expect(sent)
        #expect(log.result?.text == answer)
        #expect(log.foldedText == answer)
        #expect((harness.emulator.counters["identifies"]?.intValue ?? 0) >= 2)
        try await harness.stop()
    }

    @Test("the end of an answer sent while the gateway re-identifies is caught up over REST")
    func endDuringReidentify() async throws {
        var options = EngineHarness.options()
        let tune = options.configureGateway
        options.configureGateway = { configuration in
            tune(&configuration)
            // Long enough that the rest of the answer, buttons included, lands between sessions.
            configuration.invalidSessionDelay = .milliseconds(300) ... .milliseconds(350)
        }
        let harness = try await EngineHarness.start(["coze": ["chunks": 4, "edit_interval_ms": 20]], options: options)
        let prompt = "Summarise the history of bridges"
        var log = EngineTurnLog()
        var sent = false
        for try await event in harness.bridge.stream(accessKey: EngineHarness.key, conversation: "gap", prompt: prompt) {
            log.events.append(event)
            if !sent, case .delta = event {
                sent = true
                #expect(harness.emulator.sendInvalidSession(token: harness.info.bridgeBotToken, resumable: false) == 1)
            }
        }
        let answer = harness.answer(prompt)
        let result = try #require(log.result, "\(log.events)")
        #expect(result.text == answer)
        #expect(log.foldedText == answer)
        // Buttons seen (over REST), not an idle-timeout guess.
        #expect(result.completion == .suggestions)
        #expect(result.suggestions == CozeAnswerGenerator.suggestions(for: answer, seed: EngineHarness.seed))
        try await harness.stop()
    }

    @Test("a 429 storm and a burst of 5xx delay the turn but do not fail it")
    func restFaults() async throws {
        let harness = try await EngineHarness.start()
        harness.emulator.forceRateLimits(count: 4, retryAfter: 0.05)
        let first = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "storm", prompt: "Rain please")
        #expect(first.text == harness.answer("Rain please"))
        harness.emulator.failNextRequests(count: 3, status: 502)
        let second = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "storm2", prompt: "Sun please")
        #expect(second.text == harness.answer("Sun please"))
        try await harness.stop()
    }

    /// The prompt's POST is carried out but answered with a 502, and sent again: its nonce with
    /// `enforce_nonce` makes Discord return the first message, so the channel holds one prompt
    /// and Coze answers once.
    @Test("a prompt post whose answer was lost is sent again without a second prompt")
    func promptPostAnsweredWithAServerErrorAfterItWasMade() async throws {
        let harness = try await EngineHarness.start()
        let conversation = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "once")
        harness.emulator.failNextRequests(count: 1, status: 502, afterProcessing: true)
        let result = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "once", prompt: "Only once")
        #expect(result.text == harness.answer("Only once"))
        let messages = try await harness.inspector.request(.listMessages(channelID: conversation.channelID))
        let prompts = (messages.arrayValue ?? []).filter { $0["author"]?["id"]?.snowflakeValue == harness.info.bridgeBotUserID }
        #expect(prompts.count == 1)
        let replies = (messages.arrayValue ?? []).filter { $0["author"]?["id"]?.snowflakeValue == harness.info.cozeBotUserID }
        #expect(replies.count == 1)
        try await harness.stop()
    }

    @Test("a prompt over 2000 characters goes as prompt.txt and is answered from the file")
    func longPrompt() async throws {
        let harness = try await EngineHarness.start()
        let prompt = String(repeating: "All work and no play. ", count: 120)
        let composed = try PromptComposer(cozeBotUserID: harness.info.cozeBotUserID).compose(prompt: prompt)
        #expect(composed.promptIsAttached)
        let files = composed.files.map {
            CozeAnswerGenerator.PromptFile(filename: $0.filename, contentType: $0.contentType, bytes: $0.bytes)
        }
        let result = try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "long", prompt: prompt)
        #expect(result.text == CozeAnswerGenerator.answer(prompt: composed.content, previousPrompt: nil, seed: EngineHarness.seed, files: files))
        #expect(result.text.hasPrefix("I read your file prompt.txt"))
        try await harness.stop()
    }

    @Test("a base64 image is uploaded with the prompt")
    func imageUpload() async throws {
        let harness = try await EngineHarness.start()
        // A 1×1 PNG.
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
        let composed = try PromptComposer(cozeBotUserID: harness.info.cozeBotUserID)
            .compose(prompt: "What is this?", imageReferences: ["data:image/png;base64," + png])
        let files = composed.files.map {
            CozeAnswerGenerator.PromptFile(filename: $0.filename, contentType: $0.contentType, bytes: $0.bytes)
        }
        #expect(files.count == 1)
        let result = try await harness.bridge.send(
            accessKey: EngineHarness.key, conversation: "img", prompt: "What is this?", images: ["data:image/png;base64," + png])
        #expect(result.text == CozeAnswerGenerator.answer(prompt: composed.content, previousPrompt: nil, seed: EngineHarness.seed, files: files))
        #expect(result.text.hasPrefix("I see an image named"))
        try await harness.stop()
    }
}
