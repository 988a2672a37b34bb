import DiscordWire
import Foundation
import Testing

@testable import DiscordEmulator

/// An in-memory world that records what the simulated bot does, in order.
private final class FakeCozeWorld: CozeBotWorld, @unchecked Sendable {
    enum Action: Equatable {
        case typing(channel: Snowflake)
        case create(
            message: Snowflake, channel: Snowflake, content: String, replyTo: Snowflake?, embeds: [JSONValue],
            attachments: [AttachmentUpload], components: [JSONValue])
        case edit(
            message: Snowflake, channel: Snowflake, content: String?, embeds: [JSONValue]?,
            attachments: [AttachmentUpload], components: [JSONValue]?)
    }

    let publicBaseURL = "http://127.0.0.1:4321"
    // NSLock rather than a mutex type: the test target links Foundation anyway.
    private let lock = NSLock()
    private var recorded: [(action: Action, at: ContinuousClock.Instant)] = []
    private var deletedChannels: Set<Snowflake> = []
    private var nextMessageID: UInt64 = 1000

    var actions: [Action] { lock.withLock { recorded.map(\.action) } }
    var timestamps: [ContinuousClock.Instant] { lock.withLock { recorded.map(\.at) } }

    func deleteChannel(_ channelID: Snowflake) {
        lock.withLock { _ = deletedChannels.insert(channelID) }
    }

    func cozeStartTyping(channelID: Snowflake) {
        record(.typing(channel: channelID))
    }

    func cozeCreateMessage(
        channelID: Snowflake, content: String, replyTo: Snowflake?, embeds: [JSONValue],
        attachments: [AttachmentUpload], components: [JSONValue]
    ) -> Snowflake? {
        lock.withLock {
            guard !deletedChannels.contains(channelID) else { return nil }
            let id = Snowflake(nextMessageID)
            nextMessageID += 1
            recorded.append(
                (
                    .create(
                        message: id, channel: channelID, content: content, replyTo: replyTo, embeds: embeds,
                        attachments: attachments, components: components), .now
                ))
            return id
        }
    }

    func cozeEditMessage(
        channelID: Snowflake, messageID: Snowflake, content: String?, embeds: [JSONValue]?,
        newAttachments: [AttachmentUpload], components: [JSONValue]?
    ) -> Bool {
        lock.withLock {
            guard !deletedChannels.contains(channelID) else { return false }
            recorded.append(
                (
                    .edit(
                        message: messageID, channel: channelID, content: content, embeds: embeds,
                        attachments: newAttachments, components: components), .now
                ))
            return true
        }
    }

    private func record(_ action: Action) {
        lock.withLock { recorded.append((action, .now)) }
    }
}

private let botID = Snowflake(42)
private let userID = Snowflake(7)
private let channelA = Snowflake(500)
private let channelB = Snowflake(501)

private func fastSettings(_ change: (inout CozeSettings) -> Void = { _ in }) -> CozeSettings {
    var settings = CozeSettings()
    settings.startDelayMs = 1
    settings.editIntervalMs = 2
    settings.slowStartMs = 5
    change(&settings)
    return settings
}

private func prompt(
    _ content: String, id: UInt64 = 900, channel: Snowflake = channelA, author: Snowflake = userID,
    bot: Bool = false, attachments: [CozePrompt.Attachment] = []
) -> CozePrompt {
    CozePrompt(
        messageID: Snowflake(id), channelID: channel, authorID: author, authorIsBot: bot,
        content: content, attachments: attachments)
}

/// The action row the doc and discord-wire.md §7.4 specify, written out independently of the simulator.
private func buttonRow(_ labels: [String]) -> [JSONValue] {
    [
        [
            "type": 1, "id": 1,
            "components": [
                ["type": 2, "id": 2, "style": 2, "label": .string(labels[0]), "custom_id": "sugg_1"],
                ["type": 2, "id": 3, "style": 2, "label": .string(labels[1]), "custom_id": "sugg_2"],
                ["type": 2, "id": 4, "style": 2, "label": .string(labels[2]), "custom_id": "sugg_3"],
            ],
        ]
    ]
}

/// Runs one prompt to completion.
private func run(
    _ prompts: [CozePrompt], settings: CozeSettings = fastSettings(), seed: UInt64 = 1
) async -> FakeCozeWorld {
    let world = FakeCozeWorld()
    let simulator = CozeBotSimulator(world: world, settings: settings, seed: seed, botUserID: botID)
    for prompt in prompts { simulator.handle(prompt) }
    await simulator.waitUntilIdle()
    await simulator.shutdown()
    return world
}

/// Final content of every created message, in creation order.
private func finalContents(_ actions: [FakeCozeWorld.Action]) -> [String] {
    var order: [Snowflake] = []
    var contents: [Snowflake: String] = [:]
    for action in actions {
        switch action {
        case .create(let message, _, let content, _, _, _, _):
            order.append(message)
            contents[message] = content
        case .edit(let message, _, let content, _, _, _):
            if let content { contents[message] = content }
        case .typing:
            break
        }
    }
    return order.map { contents[$0]! }
}

/// Final content of the (first) reply to each prompt, keyed by the prompt's message id.
private func finalContentsByPrompt(_ actions: [FakeCozeWorld.Action]) -> [Snowflake: String] {
    var byPrompt: [Snowflake: String] = [:]
    var promptOf: [Snowflake: Snowflake] = [:]
    for action in actions {
        switch action {
        case .create(let message, _, let content, let replyTo, _, _, _):
            guard let replyTo else { continue }
            promptOf[message] = replyTo
            byPrompt[replyTo] = content
        case .edit(let message, _, let content, _, _, _):
            if let prompt = promptOf[message], let content { byPrompt[prompt] = content }
        case .typing:
            break
        }
    }
    return byPrompt
}

@Suite("CozeBotSimulator")
struct CozeBotSimulatorTests {
    @Test func plainTimeline() async {
        let content = "<@42> How do I start a garden?"
        let world = await run([prompt(content)], seed: 11)
        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: 11)
        let chunks = CozeAnswerGenerator.chunks(of: answer, count: 4)
        #expect(chunks.count == 4)
        let row = buttonRow(CozeAnswerGenerator.suggestions(for: answer, seed: 11))
        let id = Snowflake(1000)
        var expected: [FakeCozeWorld.Action] = [
            .typing(channel: channelA),
            .create(
                message: id, channel: channelA, content: chunks[0], replyTo: Snowflake(900), embeds: [],
                attachments: [], components: []),
        ]
        for (index, chunk) in chunks.enumerated().dropFirst() {
            expected.append(
                .edit(
                    message: id, channel: channelA, content: chunk, embeds: nil, attachments: [],
                    components: index == 3 ? row : nil))
        }
        #expect(world.actions == expected)
    }

    @Test func singleChunkStillEndsWithAMarkerEdit() async {
        let world = await run([prompt("<@42> hi")], settings: fastSettings { $0.chunks = 1 })
        let answer = CozeAnswerGenerator.answer(prompt: "hi", previousPrompt: nil, seed: 1)
        let actions = world.actions
        #expect(actions.count == 3)
        #expect(
            actions.last
                == .edit(
                    message: Snowflake(1000), channel: channelA, content: answer, embeds: nil, attachments: [],
                    components: buttonRow(CozeAnswerGenerator.suggestions(for: answer, seed: 1))))
    }

    @Test func defaultScenarioApplies() async {
        let world = await run([prompt("<@42> hi")], settings: fastSettings { $0.defaultScenario = .quota })
        #expect(finalContents(world.actions) == [CozeAnswerGenerator.quotaText])
    }

    @Test func longAnswerComesAsSeveralMessages() async {
        let content = "<@42> [scenario:long] explain everything"
        let world = await run([prompt(content)], settings: fastSettings { $0.chunks = 3 }, seed: 4)
        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: 4)
        let parts = CozeAnswerGenerator.longAnswer(answer: answer, seed: 4, messages: 3)
        let actions = world.actions
        #expect(finalContents(actions) == parts)
        #expect(parts.allSatisfy { $0.count <= 2000 })
        #expect(parts.joined().count > 2000)

        // Each message is created after the previous one is complete and then edited cumulatively;
        // only the very last edit carries buttons.
        var expected: [FakeCozeWorld.Action] = [.typing(channel: channelA)]
        for (index, part) in parts.enumerated() {
            let id = Snowflake(1000 + UInt64(index))
            let chunks = CozeAnswerGenerator.chunks(of: part, count: 3)
            expected.append(
                .create(
                    message: id, channel: channelA, content: chunks[0], replyTo: index == 0 ? Snowflake(900) : nil,
                    embeds: [], attachments: [], components: []))
            for (chunkIndex, chunk) in chunks.enumerated().dropFirst() {
                let isFinal = index == parts.count - 1 && chunkIndex == chunks.count - 1
                expected.append(
                    .edit(
                        message: id, channel: channelA, content: chunk, embeds: nil, attachments: [],
                        components: isFinal ? buttonRow(CozeAnswerGenerator.suggestions(for: answer, seed: 4)) : nil))
            }
        }
        #expect(actions == expected)
    }

    @Test func imageEmbed() async {
        let content = "<@42> [scenario:image-embed] draw a cat"
        let world = await run([prompt(content)], seed: 3)
        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: 3)
        let url = "http://127.0.0.1:4321/attachments/coze/" + CozeAnswerGenerator.imageFilename(for: answer, seed: 3)
        let embed: JSONValue = [
            "type": "image", "url": .string(url),
            "image": ["url": .string(url), "proxy_url": .string(url), "width": 8, "height": 8],
        ]
        let actions = world.actions
        #expect(finalContents(actions) == [answer])
        guard case .edit(_, _, _, let embeds, let attachments, let components) = actions.last else {
            Issue.record("no final edit")
            return
        }
        #expect(embeds == [embed])
        #expect(attachments.isEmpty)
        #expect(components == buttonRow(CozeAnswerGenerator.suggestions(for: answer, seed: 3)))
        // No earlier action carries the embed.
        for action in actions.dropLast() {
            if case .edit(_, _, _, let embeds, _, _) = action { #expect(embeds == nil) }
        }
    }

    @Test func imageAttachment() async {
        let content = "<@42> [scenario:image-attachment] draw a dog"
        let world = await run([prompt(content)], seed: 3)
        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: 3)
        let upload = AttachmentUpload(
            filename: CozeAnswerGenerator.imageFilename(for: answer, seed: 3), contentType: "image/png",
            bytes: SampleImage.png)
        let actions = world.actions
        #expect(finalContents(actions) == [answer])
        guard case .edit(_, _, _, let embeds, let attachments, let components) = actions.last else {
            Issue.record("no final edit")
            return
        }
        #expect(embeds == nil)
        #expect(attachments == [upload])
        #expect(components != nil)
        let uploads = actions.filter {
            if case .edit(_, _, _, _, let attachments, _) = $0 { return !attachments.isEmpty }
            return false
        }
        #expect(uploads.count == 1)
    }

    @Test func imageMarkdown() async {
        let content = "<@42> [scenario:image-markdown] draw a bird"
        let world = await run([prompt(content)], seed: 3)
        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: 3)
        let name = CozeAnswerGenerator.imageFilename(for: answer, seed: 3)
        let expected = answer + "\n\n![image](http://127.0.0.1:4321/attachments/coze/\(name))"
        #expect(finalContents(world.actions) == [expected])
        guard case .edit(_, _, let last, _, _, let components) = world.actions.last else {
            Issue.record("no final edit")
            return
        }
        #expect(last == expected)
        #expect(components != nil)
    }

    @Test func noSuggestions() async {
        let content = "<@42> [scenario:no-suggestions] quick question"
        let world = await run([prompt(content)])
        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: 1)
        let actions = world.actions
        #expect(actions.count == 1 + 4)
        #expect(finalContents(actions) == [answer])
        for action in actions {
            switch action {
            case .create(_, _, _, _, _, _, let components): #expect(components.isEmpty)
            case .edit(_, _, _, let embeds, let attachments, let components):
                #expect(components == nil && embeds == nil && attachments.isEmpty)
            case .typing: break
            }
        }
    }

    @Test func rewriteHasExactlyOneNonAppendEdit() async {
        for seed in UInt64(1)...12 {
            let content = "<@42> [scenario:rewrite] list some ideas \(seed)"
            let world = await run([prompt(content)], seed: seed)
            let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: seed)
            let contents = world.actions.compactMap { action -> String? in
                switch action {
                case .create(_, _, let content, _, _, _, _): return content
                case .edit(_, _, let content, _, _, _): return content
                case .typing: return nil
                }
            }
            #expect(contents.last == answer)
            let nonAppends = zip(contents, contents.dropFirst()).filter { !$1.hasPrefix($0) }
            #expect(nonAppends.count == 1, "seed \(seed): \(contents)")
            // The rewrite is a middle edit, not the final one, and turns `1)` into `1.`.
            // With 4 chunks and the list inside the second one, the rewrite is the second edit and
            // two appends follow it.
            let chunks = CozeAnswerGenerator.chunks(of: answer, count: 4)
            let draft = CozeAnswerGenerator.draftRendering(of:)
            #expect(contents == [draft(chunks[0]), draft(chunks[1]), chunks[1], chunks[2], answer])
            if case .edit(_, _, _, _, _, let components) = world.actions.last {
                #expect(components == buttonRow(CozeAnswerGenerator.suggestions(for: answer, seed: seed)))
            } else {
                Issue.record("no final edit")
            }
        }
    }

    @Test func quota() async {
        let world = await run([prompt("<@42> [scenario:quota] hello")])
        #expect(
            world.actions == [
                .typing(channel: channelA),
                .create(
                    message: Snowflake(1000), channel: channelA,
                    content:
                        "You have exceeded the daily limit for sending messages to the bot. Please try again later.",
                    replyTo: Snowflake(900), embeds: [], attachments: [], components: []),
            ])
    }

    @Test func slowStartsLate() async {
        let settings = fastSettings {
            $0.slowStartMs = 300
            $0.startDelayMs = 0
        }
        let start = ContinuousClock.now
        let world = await run([prompt("<@42> [scenario:slow] take your time")], settings: settings)
        let timestamps = world.timestamps
        #expect(world.actions.count == 5)
        // Typing comes when the prompt arrives, the reply only after the slow start: measured
        // between the two so a loaded machine cannot make it flaky.
        #expect(timestamps[1] - timestamps[0] >= .milliseconds(300))
        #expect(timestamps[1] - start >= .milliseconds(300))
        let answer = CozeAnswerGenerator.answer(prompt: "take your time", previousPrompt: nil, seed: 1)
        #expect(finalContents(world.actions) == [answer])
    }

    @Test func silentOnlyTypes() async {
        let world = await run([prompt("<@42> [scenario:silent] anyone?")])
        #expect(world.actions == [.typing(channel: channelA)])
    }

    @Test func memoryIsPerChannel() async {
        let world = await run(
            [
                prompt("<@42> I like green apples", id: 1, channel: channelA),
                prompt("<@42> [scenario:quota] Pears are fine too", id: 2, channel: channelA),
                prompt("<@42> what did I say before? [scenario:no-suggestions]", id: 3, channel: channelA),
                prompt("<@42> what did I say before? [scenario:no-suggestions]", id: 4, channel: channelB),
            ])
        let byReply = finalContentsByPrompt(world.actions)
        #expect(byReply[Snowflake(3)] == "You said before: \"Pears are fine too\".")
        #expect(byReply[Snowflake(4)] == "You have not said anything before.")
    }

    @Test func botAuthors() async {
        let fromBot = prompt("<@42> hello from a bot", author: Snowflake(8), bot: true)
        let ignoring = await run([fromBot], settings: fastSettings { $0.ignoreBotAuthors = true })
        #expect(ignoring.actions.isEmpty)
        let answering = await run([fromBot])
        #expect(answering.actions.count == 5)
        let itself = await run([prompt("<@42> talking to myself", author: botID, bot: true)])
        #expect(itself.actions.isEmpty)
    }

    @Test func ignoredBotPromptsAreNotRemembered() async {
        let world = await run(
            [
                prompt("<@42> human words", id: 1),
                prompt("<@42> bot words", id: 2, author: Snowflake(8), bot: true),
                prompt("<@42> what did I say before? [scenario:no-suggestions]", id: 3),
            ], settings: fastSettings { $0.ignoreBotAuthors = true })
        #expect(finalContentsByPrompt(world.actions)[Snowflake(3)] == "You said before: \"human words\".")
    }

    @Test func textFilePrompt() async {
        let text = "Please summarise the moving plan."
        let file = CozePrompt.Attachment(
            filename: "question.txt", contentType: "text/plain; charset=utf-8", bytes: Array(text.utf8))
        let world = await run([prompt("<@42>", attachments: [file])], seed: 8)
        let answer = finalContents(world.actions)[0]
        #expect(answer.hasPrefix("I read your file question.txt (33 characters). "))
        #expect(
            answer == "I read your file question.txt (33 characters). "
                + CozeAnswerGenerator.answer(prompt: text, previousPrompt: nil, seed: 8))
    }

    @Test func textFileCanCarryTheScenarioMarker() async {
        let file = CozePrompt.Attachment(filename: "q.txt", contentType: nil, bytes: Array("[scenario:quota] hi".utf8))
        let world = await run([prompt("<@42>", attachments: [file])])
        #expect(finalContents(world.actions) == [CozeAnswerGenerator.quotaText])
    }

    @Test func imagePrompt() async {
        let image = CozePrompt.Attachment(
            filename: "photo.jpg", contentType: "image/jpeg", bytes: [UInt8](repeating: 0, count: 1234))
        let world = await run([prompt("<@42> what is this?", attachments: [image])], seed: 8)
        let expected = CozeAnswerGenerator.answer(
            prompt: "<@42> what is this?", previousPrompt: nil, seed: 8,
            files: [.init(filename: "photo.jpg", contentType: "image/jpeg", bytes: image.bytes)])
        #expect(expected.hasPrefix("I see an image named photo.jpg (1234 bytes). "))
        #expect(finalContents(world.actions) == [expected])
    }

    @Test func determinism() async {
        let content = "<@42> tell me about breakfast"
        let first = finalContents(await run([prompt(content)], seed: 5).actions)
        let again = finalContents(await run([prompt(content)], seed: 5).actions)
        let other = finalContents(await run([prompt(content)], seed: 6).actions)
        #expect(first == again)
        #expect(first != other)
    }

    @Test func jitterIsDeterministicAndBounded() async {
        let settings = fastSettings {
            $0.editIntervalMs = 20
            $0.editJitterMs = 15
        }
        let world = await run([prompt("<@42> jitter")], settings: settings)
        let timestamps = world.timestamps
        #expect(timestamps.count == 5)
        for (earlier, later) in zip(timestamps.dropFirst(), timestamps.dropFirst(2)) {
            #expect(later - earlier >= .milliseconds(5))
        }
    }

    @Test func updateChangesLaterReplies() async {
        let world = FakeCozeWorld()
        let simulator = CozeBotSimulator(world: world, settings: fastSettings(), seed: 1, botUserID: botID)
        simulator.update(settings: fastSettings { $0.defaultScenario = .silent }, seed: 2)
        simulator.handle(prompt("<@42> hello"))
        await simulator.waitUntilIdle()
        #expect(world.actions == [.typing(channel: channelA)])
        await simulator.shutdown()
    }

    @Test func shutdownCancelsASlowReply() async {
        let world = FakeCozeWorld()
        let simulator = CozeBotSimulator(
            world: world, settings: fastSettings { $0.slowStartMs = 60_000 }, seed: 1, botUserID: botID)
        simulator.handle(prompt("<@42> [scenario:slow] are you there?"))
        try? await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        await simulator.shutdown()
        // Far below the reply's 60 s start; 2 s was too tight under AddressSanitizer with the suite in parallel.
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(world.actions == [.typing(channel: channelA)])
        simulator.handle(prompt("<@42> after shutdown"))
        try? await Task.sleep(for: .milliseconds(30))
        #expect(world.actions == [.typing(channel: channelA)])
    }

    @Test func deletedChannelStopsQuietly() async {
        let world = FakeCozeWorld()
        let simulator = CozeBotSimulator(
            world: world, settings: fastSettings { $0.editIntervalMs = 40 }, seed: 1, botUserID: botID)
        simulator.handle(prompt("<@42> this channel will vanish"))
        // Wait for the reply to exist, then delete the channel mid-stream.
        while world.actions.count < 2 { try? await Task.sleep(for: .milliseconds(2)) }
        world.deleteChannel(channelA)
        await simulator.waitUntilIdle()
        #expect(world.actions.count == 2)
        world.deleteChannel(channelB)
        simulator.handle(prompt("<@42> gone already", channel: channelB))
        await simulator.waitUntilIdle()
        #expect(world.actions.count == 3)  // typing only
        await simulator.shutdown()
    }
}

@Suite("CozeBotSimulator rewrite rule")
struct CozeRewriteRuleTests {
    /// Holds for every chunk count and with file sentences in front, since the list starts within
    /// the first half of every generated answer.
    @Test func exactlyOneNonAppendForAnyChunkCount() {
        let image = CozeAnswerGenerator.PromptFile(
            filename: "a-rather-long-picture-name-for-testing.png", contentType: nil, bytes: [1])
        let text = CozeAnswerGenerator.PromptFile(filename: "question.txt", contentType: nil, bytes: Array("why?".utf8))
        for seed in UInt64(0)..<40 {
            for files in [[], [image], [image, image, text]] {
                let answer = CozeAnswerGenerator.answer(
                    prompt: "p\(seed)", previousPrompt: nil, seed: seed, files: files)
                for count in 1...12 {
                    let renderings = CozeBotSimulator.renderings(of: answer, chunks: count, rewrite: true)
                    let nonAppends = zip(renderings, renderings.dropFirst()).filter { !$1.hasPrefix($0) }
                    #expect(nonAppends.count == 1, "seed \(seed), chunks \(count)")
                    #expect(renderings.last == answer)
                    // The rewriting edit is a middle one: neither the first message nor the final edit.
                    if let index = renderings.indices.dropLast().first(where: {
                        !renderings[$0 + 1].hasPrefix(renderings[$0])
                    }) {
                        #expect(index + 1 < renderings.count - 1)
                        #expect(renderings[index].contains("\n1)"))
                        #expect(renderings[index + 1].contains("\n1."))
                    }
                    let chunks = CozeAnswerGenerator.chunks(of: answer, count: count)
                    #expect(renderings.count == chunks.count + 1 || renderings.count == chunks.count + 2)
                }
            }
        }
    }

    @Test func answersWithoutAListStreamPlainly() {
        let answer = "You said before: \"hello\"."
        #expect(
            CozeBotSimulator.renderings(of: answer, chunks: 2, rewrite: true)
                == CozeAnswerGenerator.chunks(of: answer, count: 2))
    }
}
