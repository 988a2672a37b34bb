@testable import DiscordEmulator
import DiscordWire
import Testing

/// The simulated Coze bot seen through the real world: prompts go in by REST, the reply is watched
/// on a gateway connection of the bridge bot, and every text is computed with the public
/// `CozeAnswerGenerator`.
@Suite struct EmulatorCozeScenarioTests {
    static let seed: UInt64 = 7
    static let chunks = 4

    static func start(_ extra: JSONValue = [:]) async throws -> DiscordEmulator {
        try await DiscordEmulator.startForTests(
            EmulatorScenario.merge(
                ["seed": .int(Int64(seed)), "coze": ["chunks": .int(Int64(chunks)), "slow_start_ms": 300]], extra))
    }

    /// One Coze event of the timeline: its name and `d`.
    struct Event {
        var name: String
        var data: JSONValue
        var arrivedAt: ContinuousClock.Instant
    }

    /// Reads dispatches until `isDone` says the Coze bot has finished; returns the Coze bot's events
    /// (TYPING_START, MESSAGE_CREATE, MESSAGE_UPDATE by it), in order. Other dispatches are skipped.
    static func cozeEvents(
        _ probe: GatewayProbe, coze: Snowflake, timeout: Duration = .seconds(5), isDone: ([Event]) -> Bool
    ) async throws -> [Event] {
        var events: [Event] = []
        let deadline = ContinuousClock.now + timeout
        while !isDone(events) {
            let payload = try await probe.nextDispatch("a Coze event", timeout: max(deadline - .now, .milliseconds(1)))
            let name = payload["t"]?.stringValue ?? ""
            let data = payload["d"] ?? .null
            let byCoze =
                name == "TYPING_START" ? data["user_id"]?.snowflakeValue == coze : data["author"]?["id"]?.snowflakeValue == coze
            if byCoze { events.append(Event(name: name, data: data, arrivedAt: .now)) }
        }
        return events
    }

    /// Until the final edit (the one with components).
    static func untilButtons(_ events: [Event]) -> Bool {
        events.contains { $0.name == "MESSAGE_UPDATE" && !($0.data["components"]?.arrayValue ?? []).isEmpty }
    }

    /// `rewrite` as docs/emulator.md specifies it, written independently of the simulator.
    static func rewriteRenderings(of text: String, count: Int) -> [String] {
        let chunks = CozeAnswerGenerator.chunks(of: text, count: count)
        let drafts = chunks.map(CozeAnswerGenerator.draftRendering(of:))
        let n = chunks.count
        guard let k = (max(0, n / 2 - 1)..<n).first(where: { drafts[$0] != chunks[$0] }) else { return chunks }
        var renderings = Array(drafts[0...k]) + Array(chunks[k...])
        if k == n - 1 { renderings.append(text) }
        return renderings
    }

    /// Posts `content` (mentioning the Coze bot) as the bridge bot or the user; returns the message.
    static func post(
        _ emulator: DiscordEmulator, _ content: String, asUser: Bool = false, channel: Snowflake? = nil
    ) async throws -> JSONValue {
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(channel ?? emulator.info.generalChannelID)/messages"
        let response =
            asUser
            ? try await rest.user(.POST, path, json: ["content": .string(content)])
            : try await rest.bot(.POST, path, json: ["content": .string(content)])
        try #require(response.status == 200, "posting the prompt: \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        return try #require(response.json)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var scenario: CozeScenario
        var asUser = false
        var testDescription: String { "\(scenario.rawValue) by the \(asUser ? "user" : "bridge bot")" }
    }

    static let cases: [Case] =
        CozeScenario.allCases.map { Case(scenario: $0) } + [
            Case(scenario: .plain, asUser: true), Case(scenario: .long, asUser: true),
            Case(scenario: .imageAttachment, asUser: true),
        ]

    @Test(arguments: cases)
    func scenarioTimeline(_ testCase: Case) async throws {
        let scenario = testCase.scenario
        let emulator = try await Self.start()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let rest = RESTProbe(emulator: emulator)
        let content = "<@\(info.cozeBotUserID)> [scenario:\(scenario.rawValue)]  How should I plan   my week?"
        let authorID = testCase.asUser ? info.userID : info.bridgeBotUserID

        let postedAt = ContinuousClock.now
        let prompt = try await Self.post(emulator, content, asUser: testCase.asUser)
        let promptID = try #require(prompt["id"]?.stringValue)

        // The prompt itself comes first, then the Coze bot types.
        let promptEvent = try await probe.nextDispatch("the prompt's MESSAGE_CREATE")
        #expect(promptEvent["t"] == "MESSAGE_CREATE")
        #expect(promptEvent["d"]?["id"]?.stringValue == promptID)
        let typing = try await probe.nextDispatch("TYPING_START")
        #expect(typing["t"] == "TYPING_START")
        #expect(typing["d"]?["user_id"]?.snowflakeValue == info.cozeBotUserID)
        #expect(typing["d"]?["channel_id"]?.snowflakeValue == info.generalChannelID)

        if scenario == .silent {
            #expect(try await probe.expectSilence(for: .milliseconds(500)) == nil)
            let listed = try await rest.bot(.GET, "/channels/\(info.generalChannelID)/messages")
            #expect(listed.json?.arrayValue?.count == 1)
            try await emulator.shutdown()
            return
        }

        let answer = CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: Self.seed)
        let texts = CozeAnswerGenerator.replyTexts(
            scenario: scenario, prompt: content, previousPrompt: nil, seed: Self.seed, baseURL: info.baseURL,
            longAnswerMessages: 3)
        let hasButtons = ![.noSuggestions, .quota].contains(scenario)
        var expected: [[String]] = texts.map {
            switch scenario {
            case .quota: return [$0]
            case .rewrite: return Self.rewriteRenderings(of: $0, count: Self.chunks)
            default: return CozeAnswerGenerator.chunks(of: $0, count: Self.chunks)
            }
        }
        if hasButtons, expected[expected.count - 1].count == 1 { expected[expected.count - 1].append(texts.last!) }
        let expectedEventCount = expected.map(\.count).reduce(0, +)

        let events = try await Self.cozeEvents(probe, coze: info.cozeBotUserID) { $0.count == expectedEventCount }
        // Nothing after the end.
        #expect(try await probe.expectSilence(for: .milliseconds(200)) == nil)

        // Nothing arrives before the start delay (events can arrive late, never early): 300 ms for
        // `slow`, 10 ms otherwise.
        #expect(events[0].arrivedAt - postedAt >= .milliseconds(scenario == .slow ? 300 : 10))

        // Split into messages: each MESSAGE_CREATE starts one, its MESSAGE_UPDATEs follow.
        var messages: [(id: String, events: [Event])] = []
        for event in events {
            let id = event.data["id"]?.stringValue ?? ""
            if event.name == "MESSAGE_CREATE" {
                messages.append((id, [event]))
            } else {
                #expect(event.name == "MESSAGE_UPDATE")
                #expect(messages.last?.id == id, "an edit of an earlier message")
                #expect(event.data["edited_timestamp"]?.stringValue != nil)
                messages[messages.count - 1].events.append(event)
            }
        }
        try #require(messages.count == texts.count)
        #expect(Set(messages.map(\.id)).count == messages.count)

        for (index, message) in messages.enumerated() {
            let first = message.events[0].data
            #expect(first["author"]?["id"]?.snowflakeValue == info.cozeBotUserID)
            #expect(first["author"]?["bot"] == true)
            if index == 0 {
                #expect(first["type"] == 19)
                #expect(first["message_reference"]?["message_id"]?.stringValue == promptID)
                #expect(first["message_reference"]?["channel_id"]?.snowflakeValue == info.generalChannelID)
                #expect(first["referenced_message"]?["id"]?.stringValue == promptID)
                #expect(first["referenced_message"]?["content"]?.stringValue == content)
                #expect(first["mentions"]?.arrayValue?.contains { $0["id"]?.snowflakeValue == authorID } == true)
            } else {
                #expect(first["type"] == 0)
                #expect(first["message_reference"] == nil)
            }
            let contents = message.events.compactMap { $0.data["content"]?.stringValue }
            #expect(contents == expected[index], "contents of message \(index)")
            #expect(contents.last == texts[index])
            #expect(texts[index].count <= 2000)

            if scenario == .rewrite {
                let appends = zip(contents, contents.dropFirst()).map { $1.hasPrefix($0) }
                #expect(appends.contains(false), "rewrite needs one edit that is not an append")
                #expect(contents.last?.hasPrefix(contents[contents.count - 2]) == true, "the final edit appends")
            } else {
                // Each edit appends to the previous content; the deltas add up to the final text.
                var assembled = ""
                for content in contents {
                    #expect(content.hasPrefix(assembled), "edit is not an append")
                    assembled += content.dropFirst(assembled.count)
                }
                #expect(assembled == texts[index])
            }

            for (eventIndex, event) in message.events.enumerated() {
                let isFinal = index == messages.count - 1 && eventIndex == message.events.count - 1
                let components = event.data["components"]?.arrayValue ?? []
                if isFinal && hasButtons {
                    #expect(event.name == "MESSAGE_UPDATE")
                    try #require(components.count == 1)
                    let row = components[0]
                    #expect(row["type"] == 1)
                    #expect(row["id"]?.intValue != nil)
                    let buttons = row["components"]?.arrayValue ?? []
                    #expect(buttons.count == 3)
                    #expect(buttons.allSatisfy { $0["type"] == 2 && $0["id"]?.intValue != nil })
                    #expect(buttons.compactMap { $0["label"]?.stringValue } == CozeAnswerGenerator.suggestions(for: answer, seed: Self.seed))
                    #expect(buttons.compactMap { $0["custom_id"]?.stringValue } == ["sugg_1", "sugg_2", "sugg_3"])
                    let ids = [row["id"]?.intValue] + buttons.map { $0["id"]?.intValue }
                    #expect(Set(ids.compactMap { $0 }).count == 4, "component ids are unique")
                } else {
                    #expect(components.isEmpty, "buttons before the end (message \(index), event \(eventIndex))")
                }
                let embeds = event.data["embeds"]?.arrayValue ?? []
                let attachments = event.data["attachments"]?.arrayValue ?? []
                if isFinal && scenario == .imageEmbed {
                    let url = JSONValue.string(CozeAnswerGenerator.imageURL(baseURL: info.baseURL, answer: answer, seed: Self.seed))
                    #expect(
                        embeds == [["type": "image", "url": url, "image": ["url": url, "proxy_url": url, "width": 8, "height": 8]]])
                } else {
                    #expect(embeds.isEmpty)
                }
                if isFinal && scenario == .imageAttachment {
                    try #require(attachments.count == 1)
                    #expect(attachments[0]["filename"]?.stringValue == CozeAnswerGenerator.imageFilename(for: answer, seed: Self.seed))
                    #expect(attachments[0]["content_type"] == "image/png")
                    #expect(attachments[0]["width"] == 8)
                    #expect(attachments[0]["height"] == 8)
                } else {
                    #expect(attachments.isEmpty)
                }
            }
        }

        // Images are served by the emulator.
        let finalData = try #require(messages.last?.events.last?.data)
        var imageURLs: [String] = []
        switch scenario {
        case .imageEmbed: imageURLs = [finalData["embeds"]?[0]?["image"]?["url"]?.stringValue].compactMap { $0 }
        case .imageAttachment: imageURLs = [finalData["attachments"]?[0]?["url"]?.stringValue].compactMap { $0 }
        case .imageMarkdown:
            let url = CozeAnswerGenerator.imageURL(baseURL: info.baseURL, answer: answer, seed: Self.seed)
            #expect(texts[0] == answer + "\n\n![image](\(url))")
            imageURLs = [url]
        default: break
        }
        #expect(imageURLs.count == ([.imageEmbed, .imageAttachment, .imageMarkdown].contains(scenario) ? 1 : 0))
        for url in imageURLs {
            #expect(url.hasPrefix(info.baseURL + "/attachments/"))
            let image = try await rest.request(.GET, url, authorization: nil)
            #expect(image.status == 200)
            #expect(image.header("Content-Type") == "image/png")
            #expect(image.body.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            if scenario == .imageAttachment { #expect(finalData["attachments"]?[0]?["size"]?.intValue == image.body.count) }
        }

        switch scenario {
        case .plain, .slow, .noSuggestions, .rewrite, .imageEmbed, .imageAttachment:
            #expect(texts == [answer])
        case .quota:
            #expect(texts == [CozeAnswerGenerator.quotaText])
            #expect(events.count == 1)
        case .long:
            #expect(texts.count == 3)
            #expect(texts[0].hasPrefix(answer + "\n\n"))
            #expect(texts.map(\.count).reduce(0, +) > 2000)
        default:
            break
        }

        // REST agrees with the gateway.
        let stored = try await rest.bot(.GET, "/channels/\(info.generalChannelID)/messages/\(messages[0].id)")
        #expect(stored.json?["content"]?.stringValue == texts[0])
        try await emulator.shutdown()
    }

    /// The final edit's `d` for the next reply (plain scenario).
    static func finalReply(_ probe: GatewayProbe, _ emulator: DiscordEmulator) async throws -> JSONValue {
        let events = try await cozeEvents(probe, coze: emulator.info.cozeBotUserID, isDone: untilButtons)
        return try #require(events.last?.data)
    }

    @Test func memoryQuotesThePreviousPromptOfTheSameChannelOnly() async throws {
        let emulator = try await Self.start()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let rest = RESTProbe(emulator: emulator)
        let created = try await rest.bot(.POST, "/guilds/\(info.guildID)/channels", json: ["name": "second"])
        let otherChannel = try #require(created.json?["id"]?.snowflakeValue)
        let coze = "<@\(info.cozeBotUserID)>"

        // A fresh channel has no memory.
        let firstQuestion = "\(coze) what did I say before?"
        _ = try await Self.post(emulator, firstQuestion, channel: otherChannel)
        #expect(try await Self.finalReply(probe, emulator)["content"] == "You have not said anything before.")

        let apples = "\(coze) Tell me   about apples"
        _ = try await Self.post(emulator, apples)
        _ = try await Self.finalReply(probe, emulator)
        let bananas = "\(coze) Tell me about bananas [scenario:plain]"
        _ = try await Self.post(emulator, bananas, asUser: true, channel: otherChannel)
        _ = try await Self.finalReply(probe, emulator)

        let question = "\(coze) What did I say before?"
        _ = try await Self.post(emulator, question)
        let inGeneral = try await Self.finalReply(probe, emulator)
        #expect(inGeneral["content"] == "You said before: \"Tell me about apples\".")
        #expect(
            inGeneral["content"]?.stringValue
                == CozeAnswerGenerator.answer(prompt: question, previousPrompt: apples, seed: Self.seed))

        _ = try await Self.post(emulator, question, channel: otherChannel)
        let inOther = try await Self.finalReply(probe, emulator)
        #expect(inOther["content"] == "You said before: \"Tell me about bananas\".")

        // The memory question itself becomes the previous prompt.
        _ = try await Self.post(emulator, question)
        #expect(try await Self.finalReply(probe, emulator)["content"] == "You said before: \"What did I say before?\".")
        try await emulator.shutdown()
    }

    /// Posts a multipart prompt with one file; returns the prompt message.
    static func postWithFile(
        _ emulator: DiscordEmulator, content: String, filename: String, contentType: String?, bytes: [UInt8]
    ) async throws -> JSONValue {
        var multipart = MultipartBody()
        let payload: JSONValue = ["content": .string(content), "attachments": [["id": 0, "filename": .string(filename)]]]
        multipart.add(name: "payload_json", contentType: "application/json", bytes: payload.serializedBytes())
        multipart.add(name: "files[0]", filename: filename, contentType: contentType, bytes: bytes)
        let response = try await RESTProbe(emulator: emulator).request(
            .POST, "/channels/\(emulator.info.generalChannelID)/messages",
            authorization: "Bot \(emulator.info.bridgeBotToken)", body: multipart.bytes, contentType: multipart.contentType)
        try #require(response.status == 200)
        return try #require(response.json)
    }

    @Test func textFilePromptIsReadAsThePrompt() async throws {
        let emulator = try await Self.start()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let fileText = "Plan the garden for spring, please. Ünïcödé ok."
        let content = "<@\(info.cozeBotUserID)> please read this"
        let prompt = try await Self.postWithFile(
            emulator, content: content, filename: "notes.txt", contentType: "text/plain", bytes: Array(fileText.utf8))
        let final = try await Self.finalReply(probe, emulator)
        let text = try #require(final["content"]?.stringValue)
        #expect(text.hasPrefix("I read your file notes.txt (\(fileText.count) characters). "))
        let file = CozeAnswerGenerator.PromptFile(filename: "notes.txt", contentType: "text/plain", bytes: Array(fileText.utf8))
        #expect(text == CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: Self.seed, files: [file]))
        // The file, not the message text, is what the answer is about.
        #expect(text != CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: Self.seed))
        #expect(final["message_reference"]?["message_id"] == prompt["id"])
        try await emulator.shutdown()
    }

    @Test func imageAttachmentPromptIsDescribedFirst() async throws {
        let emulator = try await Self.start()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let image: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 92)
        let content = "<@\(info.cozeBotUserID)> what is in this picture?"
        _ = try await Self.postWithFile(emulator, content: content, filename: "cat.png", contentType: "image/png", bytes: image)
        let final = try await Self.finalReply(probe, emulator)
        let text = try #require(final["content"]?.stringValue)
        #expect(text.hasPrefix("I see an image named cat.png (100 bytes). "))
        let file = CozeAnswerGenerator.PromptFile(filename: "cat.png", contentType: "image/png", bytes: image)
        #expect(text == CozeAnswerGenerator.answer(prompt: content, previousPrompt: nil, seed: Self.seed, files: [file]))
        try await emulator.shutdown()
    }

    @Test func ignoreBotAuthorsAnswersOnlyTheUser() async throws {
        let emulator = try await Self.start(["coze": ["ignore_bot_authors": true]])
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let botPrompt = try await Self.post(emulator, "<@\(info.cozeBotUserID)> I am a bot")
        let userPrompt = try await Self.post(emulator, "<@!\(info.cozeBotUserID)> I am a person", asUser: true)
        let events = try await Self.cozeEvents(probe, coze: info.cozeBotUserID, isDone: Self.untilButtons)
        #expect(try await probe.expectSilence(for: .milliseconds(300)) == nil)
        #expect(events.filter { $0.name == "TYPING_START" }.count == 1)
        let creates = events.filter { $0.name == "MESSAGE_CREATE" }
        #expect(creates.count == 1)
        #expect(creates.first?.data["message_reference"]?["message_id"] == userPrompt["id"])
        #expect(creates.first?.data["message_reference"]?["message_id"] != botPrompt["id"])
        #expect(
            events.last?.data["content"]?.stringValue
                == CozeAnswerGenerator.answer(prompt: "<@!\(info.cozeBotUserID)> I am a person", previousPrompt: nil, seed: Self.seed))

        // The ignored prompt is not remembered either.
        _ = try await Self.post(emulator, "<@\(info.cozeBotUserID)> what did I say before?", asUser: true)
        #expect(try await Self.finalReply(probe, emulator)["content"] == "You said before: \"I am a person\".")
        try await emulator.shutdown()
    }

    @Test func botAuthorsAreAnsweredByDefaultAndTheDefaultScenarioApplies() async throws {
        let emulator = try await Self.start(["coze": ["default_scenario": "quota"]])
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let prompt = try await Self.post(emulator, "<@\(info.cozeBotUserID)> hello")
        let events = try await Self.cozeEvents(probe, coze: info.cozeBotUserID) { $0.count == 2 }
        #expect(events.map(\.name) == ["TYPING_START", "MESSAGE_CREATE"])
        #expect(events[1].data["content"]?.stringValue == CozeAnswerGenerator.quotaText)
        #expect(events[1].data["message_reference"]?["message_id"] == prompt["id"])
        #expect(try await probe.expectSilence(for: .milliseconds(200)) == nil)
        try await emulator.shutdown()
    }

    @Test func messagesWithoutAMentionAndTheBotsOwnMessagesGetNoReply() async throws {
        let emulator = try await Self.start()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        _ = try await Self.post(emulator, "no mention of coze here")
        _ = try await Self.post(emulator, "<@\(info.spareBotUserID)> only the spare bot", asUser: true)
        let ownByCoze = try await RESTProbe(emulator: emulator).bot(
            .POST, "/channels/\(info.generalChannelID)/messages", json: ["content": .string("<@\(info.cozeBotUserID)> myself")],
            token: info.cozeBotToken)
        #expect(ownByCoze.status == 200)
        for _ in 0..<3 { #expect(try await probe.nextDispatch()["t"] == "MESSAGE_CREATE") }
        #expect(try await probe.expectSilence(for: .milliseconds(300)) == nil)
        try await emulator.shutdown()
    }
}
