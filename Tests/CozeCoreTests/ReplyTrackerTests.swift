import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// The reply tracker against timelines shaped exactly like the emulator's Coze bot.
@Suite struct ReplyTrackerTests {
    typealias P = TurnPayloads
    static let seed: UInt64 = 7
    static let reply = Snowflake(10_001)

    static func tracker(byBot: Bool = false) -> ReplyTracker {
        ReplyTracker(promptMessageID: P.prompt, channelID: P.channel, cozeBotUserID: P.coze, promptAuthoredByBot: byBot)
    }

    /// Streams `renderings` as the emulator does: a reply with the first, edits with the rest, the
    /// last edit carrying `components` (and `embeds` / `attachments`). Returns the events per step.
    static func stream(
        _ tracker: inout ReplyTracker, _ renderings: [String], id: Snowflake = reply, replyTo: Snowflake? = P.prompt,
        finalComponents: [JSONValue] = [], finalEmbeds: [JSONValue] = [], finalAttachments: [JSONValue] = [],
        startMs: Int = 0
    ) -> [[TurnEvent]] {
        var steps: [[TurnEvent]] = []
        for (index, content) in renderings.enumerated() {
            let isFinal = index == renderings.count - 1 && index > 0
            let data = P.message(
                id: id, content: content, replyTo: replyTo, edited: index > 0,
                embeds: isFinal ? finalEmbeds : [], attachments: isFinal ? finalAttachments : [],
                components: isFinal ? finalComponents : [])
            steps.append(
                tracker.handle(
                    event: index == 0 ? "MESSAGE_CREATE" : "MESSAGE_UPDATE", data: data, at: P.at(startMs + index * 250)))
        }
        return steps
    }

    // MARK: - Plain

    @Test func cumulativeEditsBecomeDeltasThatConcatenateToTheFinalText() throws {
        let answer = CozeAnswerGenerator.answer(prompt: "Tell me about gardens", previousPrompt: nil, seed: Self.seed)
        let chunks = CozeAnswerGenerator.chunks(of: answer, count: 4)
        #expect(chunks.count == 4)
        let labels = CozeAnswerGenerator.suggestions(for: answer, seed: Self.seed)
        var tracker = Self.tracker()
        // The emulator's final edit repeats the whole text with the buttons.
        let steps = Self.stream(&tracker, chunks + [answer], finalComponents: P.buttons(labels))

        var expected: [[TurnEvent]] = [[.delta(chunks[0])]]
        for index in 1..<4 { expected.append([.delta(String(chunks[index].dropFirst(chunks[index - 1].count)))]) }
        expected.append([
            .suggestions(labels),
            .done(TurnResult(text: answer, images: [], suggestions: labels, messageIDs: [Self.reply], completion: .suggestions)),
        ])
        #expect(steps == expected)
        #expect(P.same(P.fold(steps.flatMap { $0 }), answer))
        #expect(tracker.isFinished)
        #expect(tracker.lastActivity == P.at(1000))
        // Nothing after the end.
        #expect(tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "late", replyTo: P.prompt), at: P.at(2000)) == [])
        #expect(tracker.finishOnIdle(after: .seconds(10)) == [])
    }

    @Test func finalEditWithTextAndButtonsAtOnceStillDeltasFirst() {
        var tracker = Self.tracker()
        let steps = Self.stream(&tracker, ["Hello", "Hello world."], finalComponents: P.buttons(["More?"]))
        #expect(steps[1] == [
            .delta(" world."), .suggestions(["More?"]),
            .done(TurnResult(text: "Hello world.", images: [], suggestions: ["More?"], messageIDs: [Self.reply], completion: .suggestions)),
        ])
    }

    // MARK: - Rewrite

    @Test func rewriteScenarioGivesOneCorrectionAndTheExactFinalText() throws {
        let answer = CozeAnswerGenerator.answer(prompt: "Plan my week", previousPrompt: nil, seed: Self.seed)
        let renderings = P.rewriteRenderings(of: answer, chunks: 6)
        let drafts = renderings.filter { $0.contains("1)") }
        #expect(!drafts.isEmpty)
        var tracker = Self.tracker()
        let labels = CozeAnswerGenerator.suggestions(for: answer, seed: Self.seed)
        let steps = Self.stream(&tracker, renderings, finalComponents: P.buttons(labels))
        let events = steps.flatMap { $0 }
        let corrections = events.compactMap { event -> String? in
            if case .correction(let full) = event { return full }
            return nil
        }
        // The one non-append edit is the re-rendering D(cₖ) → cₖ; it is corrected with the whole cₖ.
        let k = try #require((1..<renderings.count).first { !renderings[$0].hasPrefix(renderings[$0 - 1]) })
        #expect(CozeAnswerGenerator.draftRendering(of: renderings[k]) != renderings[k])
        #expect(corrections == [renderings[k]])
        #expect(!renderings[k].contains("1)"))
        #expect(P.same(P.fold(events), answer))
        guard case .done(let result) = events.last else {
            Issue.record("no done: \(events)")
            return
        }
        #expect(P.same(result.text, answer))
        #expect(result.suggestions == labels)
    }

    @Test func nonAppendEditThatShrinksIsCorrected() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Abc def", replyTo: P.prompt), at: P.at(0))
        let shrink = tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "Abc", replyTo: P.prompt), at: P.at(1))
        #expect(shrink == [.correction(fullText: "Abc")])
        let grow = tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "Abc xyz", replyTo: P.prompt), at: P.at(2))
        #expect(grow == [.delta(" xyz")])
        #expect(tracker.shownText == "Abc xyz")
    }

    /// Deltas are cut by bytes: a combining accent added in a later edit is a delta of its own,
    /// and a change of normalisation (precomposed → decomposed) is a correction, never lost.
    @Test func unicodeEditsStayExact() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Caf" + "e", replyTo: P.prompt), at: P.at(0))
        let accent = tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "Cafe\u{301} 👍🏽", replyTo: P.prompt), at: P.at(1))
        #expect(accent == [.delta("\u{301} 👍🏽")])
        let recomposed = tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "Caf\u{E9} 👍🏽!", replyTo: P.prompt), at: P.at(2))
        #expect(recomposed == [.correction(fullText: "Caf\u{E9} 👍🏽!")])
        let done = tracker.finishOnIdle(after: .seconds(10))
        guard case .done(let result) = done.last else {
            Issue.record("\(done)")
            return
        }
        #expect(P.same(result.text, "Caf\u{E9} 👍🏽!"))
        #expect(P.same(P.fold(accent + recomposed, into: "Cafe"), result.text))
    }

    // MARK: - Long answers

    @Test func longAnswerOverThreeMessagesIsFollowedAndJoinedWithALineBreak() {
        let answer = CozeAnswerGenerator.answer(prompt: "Explain everything", previousPrompt: nil, seed: Self.seed)
        let parts = CozeAnswerGenerator.longAnswer(answer: answer, seed: Self.seed, messages: 3)
        #expect(parts.count == 3)
        let labels = CozeAnswerGenerator.suggestions(for: answer, seed: Self.seed)
        var tracker = Self.tracker()
        var events: [TurnEvent] = []
        let ids = [Self.reply, Snowflake(10_010), Snowflake(10_020)]
        for (index, part) in parts.enumerated() {
            let isLast = index == parts.count - 1
            let steps = Self.stream(
                &tracker, CozeAnswerGenerator.chunks(of: part, count: 4), id: ids[index],
                replyTo: index == 0 ? P.prompt : nil, finalComponents: isLast ? P.buttons(labels) : [],
                startMs: index * 2000)
            events += steps.flatMap { $0 }
            if !isLast { #expect(!tracker.isFinished) }
        }
        let expected = parts.joined(separator: ReplyTracker.messageSeparator)
        #expect(!events.contains { if case .correction = $0 { return true } else { return false } })
        #expect(P.same(P.fold(events), expected))
        // The second part starts with the separator as part of its first delta.
        #expect(events.contains(.delta("\n" + CozeAnswerGenerator.chunks(of: parts[1], count: 4)[0])))
        #expect(events.last == .done(TurnResult(text: expected, images: [], suggestions: labels, messageIDs: ids, completion: .suggestions)))
    }

    @Test func splitAnswerWithoutButtonsEndsOnIdleWithAllParts() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Part one.", replyTo: P.prompt), at: P.at(0))
        let second = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Snowflake(10_005), content: "Part two."), at: P.at(300))
        #expect(second == [.delta("\nPart two.")])
        let done = tracker.finishOnIdle(after: .seconds(10))
        #expect(done == [.done(TurnResult(text: "Part one.\nPart two.", images: [], suggestions: [], messageIDs: [Self.reply, Snowflake(10_005)], completion: .idle))])
    }

    @Test func messagesThatAreNotPartsOfTheAnswerAreIgnored() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Answer.", replyTo: P.prompt), at: P.at(0))
        // A Coze reply to another prompt, a message by someone else, another channel, an older Coze message.
        let ignored: [(String, JSONValue)] = [
            ("MESSAGE_CREATE", P.message(id: Snowflake(10_002), content: "Other answer", replyTo: Snowflake(9_999))),
            ("MESSAGE_CREATE", P.message(id: Snowflake(10_003), content: "hi", author: P.stranger)),
            ("MESSAGE_CREATE", P.message(id: Snowflake(10_004), content: "elsewhere", channel: P.otherChannel)),
            ("MESSAGE_UPDATE", P.message(id: Snowflake(9_000), content: "old answer edited")),
            ("MESSAGE_CREATE", P.message(id: P.prompt, content: "<@4000> hello", author: P.bridge)),
            ("GUILD_CREATE", ["id": JSONValue(P.guild)]),
        ]
        for (name, data) in ignored { #expect(tracker.handle(event: name, data: data, at: P.at(500)) == []) }
        #expect(tracker.messageIDs == [Self.reply])
        #expect(tracker.lastActivity == P.at(0))
    }

    // MARK: - Images

    @Test func embedImageFromTheFinalEdit() {
        let answer = CozeAnswerGenerator.answer(prompt: "Draw a cat", previousPrompt: nil, seed: Self.seed)
        let url = CozeAnswerGenerator.imageURL(baseURL: P.baseURL, answer: answer, seed: Self.seed)
        let name = CozeAnswerGenerator.imageFilename(for: answer, seed: Self.seed)
        let labels = CozeAnswerGenerator.suggestions(for: answer, seed: Self.seed)
        var tracker = Self.tracker()
        let steps = Self.stream(
            &tracker, CozeAnswerGenerator.chunks(of: answer, count: 3) + [answer], finalComponents: P.buttons(labels),
            finalEmbeds: [P.imageEmbed(url)])
        let image = TurnImage(url: url, source: .embed, filename: name, width: 8, height: 8)
        let result = TurnResult(text: answer, images: [image], suggestions: labels, messageIDs: [Self.reply], completion: .suggestions)
        #expect(steps.last == [.image(image), .suggestions(labels), .done(result)])
        #expect(P.same(P.fold(steps.flatMap { $0 }), answer))
    }

    @Test func attachmentImageFromTheFinalEdit() {
        var tracker = Self.tracker()
        let attachment = P.imageAttachment(id: Snowflake(10_050), filename: "coze-00000000000000ab.png")
        let url = "\(P.baseURL)/attachments/\(P.channel)/10050/coze-00000000000000ab.png"
        let steps = Self.stream(&tracker, ["Here", "Here it is."], finalComponents: P.buttons(["Again"]), finalAttachments: [attachment])
        let image = TurnImage(url: url, source: .attachment, filename: "coze-00000000000000ab.png", contentType: "image/png", width: 8, height: 8)
        #expect(steps[1] == [
            .delta(" it is."), .image(image), .suggestions(["Again"]),
            .done(TurnResult(text: "Here it is.", images: [image], suggestions: ["Again"], messageIDs: [Self.reply], completion: .suggestions)),
        ])
    }

    @Test func attachmentsThatAreNotImagesAreSkippedAndExtensionsCountWithoutContentType() {
        var tracker = Self.tracker()
        let text = P.imageAttachment(id: Snowflake(10_060), filename: "notes.txt", contentType: "text/plain")
        let untyped = P.imageAttachment(id: Snowflake(10_061), filename: "photo.JPG", contentType: nil)
        let events = tracker.handle(
            event: "MESSAGE_CREATE",
            data: P.message(id: Self.reply, content: "Files", replyTo: P.prompt, attachments: [text, untyped]), at: P.at(0))
        #expect(events.count == 2)
        #expect(events[1] == .image(TurnImage(
            url: "\(P.baseURL)/attachments/\(P.channel)/10061/photo.JPG", source: .attachment, filename: "photo.JPG", width: 8, height: 8)))
    }

    @Test func markdownImageIsReportedOnceCompleteAndDeduplicated() {
        let answer = CozeAnswerGenerator.answer(prompt: "Paint", previousPrompt: nil, seed: Self.seed)
        let url = CozeAnswerGenerator.imageURL(baseURL: P.baseURL, answer: answer, seed: Self.seed)
        let text = answer + "\n\n![image](" + url + ")"
        var tracker = Self.tracker()
        var events: [TurnEvent] = []
        // Cut inside the link: nothing yet.
        let cut = String(text.dropLast(10))
        events += tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: cut, replyTo: P.prompt), at: P.at(0))
        #expect(!events.contains { if case .image = $0 { return true } else { return false } })
        events += tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: text, replyTo: P.prompt), at: P.at(250))
        // The final edit repeats it, and an embed of the same URL is a duplicate.
        let final = tracker.handle(
            event: "MESSAGE_UPDATE",
            data: P.message(id: Self.reply, content: text, replyTo: P.prompt, embeds: [P.imageEmbed(url)], components: P.buttons(["x"])),
            at: P.at(500))
        events += final
        let image = TurnImage(
            url: url, source: .markdown, filename: CozeAnswerGenerator.imageFilename(for: answer, seed: Self.seed), altText: "image")
        #expect(events.filter { if case .image = $0 { return true } else { return false } } == [.image(image)])
        #expect(final == [.suggestions(["x"]), .done(TurnResult(text: text, images: [image], suggestions: ["x"], messageIDs: [Self.reply], completion: .suggestions))])
        #expect(P.same(P.fold(events), text))
    }

    @Test func markdownParserHandlesTitlesAngleBracketsParenthesesAndSkipsNonHTTP() {
        let text = """
            A ![one](https://a.example/1.png "Title") B ![](<https://a.example/two two.webp>)
            ![paren](https://a.example/img_(3).gif) ![local](attachment://x.png) ![dup](https://a.example/1.png)
            ![broken](https://a.example/4.png
            """
        let found = MarkdownImages.find(in: text)
        #expect(found.map(\.url) == ["https://a.example/1.png", "https://a.example/two two.webp", "https://a.example/img_(3).gif"])
        #expect(found.map(\.filename) == ["1.png", "two two.webp", "img_(3).gif"])
        #expect(found.map(\.altText) == ["one", nil, "paren"])
    }

    // MARK: - Without buttons

    @Test func noSuggestionsEndsOnlyOnIdle() {
        let answer = CozeAnswerGenerator.answer(prompt: "No buttons", previousPrompt: nil, seed: Self.seed)
        let chunks = CozeAnswerGenerator.chunks(of: answer, count: 4)
        var tracker = Self.tracker()
        let steps = Self.stream(&tracker, chunks)
        #expect(!tracker.isFinished)
        #expect(!steps.flatMap { $0 }.contains { $0.isTerminal })
        #expect(tracker.lastActivity == P.at(750))
        #expect(tracker.classification == .answer)
        let end = tracker.finishOnIdle(after: .seconds(10))
        #expect(end == [.done(TurnResult(text: answer, images: [], suggestions: [], messageIDs: [Self.reply], completion: .idle))])
        #expect(P.same(P.fold(steps.flatMap { $0 } + end), answer))
    }

    @Test func linkPreviewUpdatesAreNotActivity() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "See https://example.com", replyTo: P.prompt), at: P.at(0))
        // Discord's unfurl: same content, an article embed without an image.
        let preview: JSONValue = ["type": "article", "url": "https://example.com", "title": "Example"]
        let full = tracker.handle(
            event: "MESSAGE_UPDATE",
            data: P.message(id: Self.reply, content: "See https://example.com", replyTo: P.prompt, embeds: [preview]), at: P.at(5000))
        // The old partial form: only id, channel and embeds.
        let partial = tracker.handle(
            event: "MESSAGE_UPDATE",
            data: ["id": JSONValue(Self.reply), "channel_id": JSONValue(P.channel), "guild_id": JSONValue(P.guild), "embeds": [preview]],
            at: P.at(6000))
        #expect(full == [])
        #expect(partial == [])
        #expect(tracker.lastActivity == P.at(0))
        #expect(tracker.text == "See https://example.com")
    }

    @Test func emptyComponentsAndLayoutOnlyDoNotEndTheTurn() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "A", replyTo: P.prompt), at: P.at(0))
        let emptyRow = tracker.handle(
            event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "A", replyTo: P.prompt, components: [["type": 1, "components": []]]),
            at: P.at(1))
        #expect(emptyRow == [])
        // A link button ends the answer but is no suggestion.
        let link: [JSONValue] = [["type": 1, "components": [["type": 2, "style": 5, "label": "Open", "url": "https://x"], ["type": 2, "style": 1, "label": "  "]]]]
        let end = tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "A", replyTo: P.prompt, components: link), at: P.at(2))
        #expect(end == [.done(TurnResult(text: "A", images: [], suggestions: [], messageIDs: [Self.reply], completion: .suggestions))])
    }

    // MARK: - Quota and errors

    @Test func quotaTextIsHeldBackAndFailsOnIdle() {
        var tracker = Self.tracker()
        let created = tracker.handle(
            event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: CozeAnswerGenerator.quotaText, replyTo: P.prompt), at: P.at(300))
        #expect(created == [])
        #expect(tracker.shownText == "")
        #expect(tracker.hasReply)
        #expect(tracker.lastActivity == P.at(300))
        #expect(tracker.classification == .quotaExhausted(.sender))
        #expect(tracker.finishOnIdle(after: .seconds(10)) == [.failed(.quotaExhausted(.sender, cozeText: CozeAnswerGenerator.quotaText))])
    }

    @Test func cozeErrorWithButtonsIsStillAFailure() {
        var tracker = Self.tracker()
        let text = "Something wrong occurs, please retry. If the error persists, please contact the support team."
        let events = tracker.handle(
            event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: text, replyTo: P.prompt, components: P.buttons(["Retry"])), at: P.at(0))
        #expect(events == [.failed(.cozeError(cozeText: text, retryable: true))])
    }

    @Test func creatorCreditsExhaustedStreamedInPiecesNeverShows() {
        var tracker = Self.tracker()
        let text = "The bot's usage is covered by the developer, but due to the developer's message credits being exhausted, the bot is temporarily unavailable."
        let steps = Self.stream(&tracker, CozeAnswerGenerator.chunks(of: text, count: 5))
        #expect(steps.allSatisfy { $0.isEmpty })
        #expect(tracker.finishOnIdle(after: .seconds(10)) == [.failed(.quotaExhausted(.creator, cozeText: text))])
    }

    @Test func answerThatStartsLikeACannedTextIsReleasedWhenItDiverges() {
        var tracker = Self.tracker()
        let first = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "There are", replyTo: P.prompt), at: P.at(0))
        #expect(first == [])
        let second = tracker.handle(
            event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "There are several ways", replyTo: P.prompt), at: P.at(250))
        #expect(second == [.delta("There are several ways")])
        // A short answer that never diverged is flushed at the end.
        var short = Self.tracker()
        _ = short.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "You", replyTo: P.prompt), at: P.at(0))
        #expect(short.finishOnIdle(after: .seconds(1)) == [
            .delta("You"), .done(TurnResult(text: "You", images: [], suggestions: [], messageIDs: [Self.reply], completion: .idle)),
        ])
    }

    // MARK: - Fallback recognition

    @Test func plainCozeMessageAfterThePromptIsTheFallbackReply() {
        var tracker = Self.tracker()
        let older = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Snowflake(9_990), content: "stale"), at: P.at(0))
        #expect(older == [])
        let steps = Self.stream(&tracker, ["Plain", "Plain reply."], id: Snowflake(10_003), replyTo: nil, finalComponents: P.buttons(["Go"]))
        #expect(steps[0] == [.delta("Plain")])
        #expect(steps[1] == [
            .delta(" reply."), .suggestions(["Go"]),
            .done(TurnResult(text: "Plain reply.", images: [], suggestions: ["Go"], messageIDs: [Snowflake(10_003)], completion: .suggestions)),
        ])
    }

    @Test func realReplyReplacesAFallbackGuess() {
        var tracker = Self.tracker()
        let guess = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Snowflake(10_002), content: "Leftover of an earlier answer"), at: P.at(0))
        #expect(guess == [.delta("Leftover of an earlier answer")])
        let real = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Snowflake(10_004), content: "Real", replyTo: P.prompt), at: P.at(100))
        #expect(real == [.correction(fullText: "Real")])
        #expect(tracker.messageIDs == [Snowflake(10_004)])
        // The guess's later edits no longer matter.
        #expect(tracker.handle(event: "MESSAGE_UPDATE", data: P.message(id: Snowflake(10_002), content: "Leftover, edited"), at: P.at(200)) == [])
    }

    @Test func fallbackCanBeTurnedOff() {
        var tracker = ReplyTracker(
            promptMessageID: P.prompt, channelID: P.channel, cozeBotUserID: P.coze, acceptsUnreferencedReply: false)
        #expect(tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Snowflake(10_002), content: "Plain"), at: P.at(0)) == [])
        #expect(!tracker.hasReply)
    }

    @Test func replyFirstSeenInAnUpdateIsAdopted() {
        var tracker = Self.tracker()
        let events = tracker.handle(
            event: "MESSAGE_UPDATE", data: P.message(id: Self.reply, content: "Missed the create", replyTo: P.prompt, edited: true), at: P.at(0))
        #expect(events == [.delta("Missed the create")])
    }

    // MARK: - Deletions and timeouts

    @Test func deletingTheReplyFailsTheTurn() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Part", replyTo: P.prompt), at: P.at(0))
        let other = tracker.handle(
            event: "MESSAGE_DELETE", data: ["id": "12345", "channel_id": JSONValue(P.channel), "guild_id": JSONValue(P.guild)], at: P.at(1))
        #expect(other == [])
        let deleted = tracker.handle(
            event: "MESSAGE_DELETE", data: ["id": JSONValue(Self.reply), "channel_id": JSONValue(P.channel), "guild_id": JSONValue(P.guild)],
            at: P.at(2))
        #expect(deleted == [.failed(.replyDeleted(messageID: Self.reply))])
        #expect(tracker.finishOnIdle(after: .seconds(1)) == [])
    }

    @Test func bulkDeleteOfAPartAndPromptDeletionBeforeAnyReply() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Part", replyTo: P.prompt), at: P.at(0))
        let bulk = tracker.handle(
            event: "MESSAGE_DELETE_BULK", data: ["ids": ["1", JSONValue(Self.reply)], "channel_id": JSONValue(P.channel)], at: P.at(1))
        #expect(bulk == [.failed(.replyDeleted(messageID: Self.reply))])

        var waiting = Self.tracker()
        let prompt = waiting.handle(event: "MESSAGE_DELETE", data: ["id": JSONValue(P.prompt), "channel_id": JSONValue(P.channel)], at: P.at(0))
        #expect(prompt == [.failed(.promptDeleted(messageID: P.prompt))])
    }

    @Test func channelOrThreadDeletionFailsTheTurn() {
        for name in ["CHANNEL_DELETE", "THREAD_DELETE"] {
            var tracker = Self.tracker()
            #expect(tracker.handle(event: name, data: ["id": JSONValue(P.otherChannel), "type": 0], at: P.at(0)) == [])
            let events = tracker.handle(event: name, data: ["id": JSONValue(P.channel), "guild_id": JSONValue(P.guild), "type": 0], at: P.at(0))
            #expect(events == [.failed(.channelDeleted(channelID: P.channel))])
        }
    }

    @Test func noReplyNamesTheSenderModeWhenABotPosted() {
        var tracker = Self.tracker(byBot: true)
        #expect(tracker.lastActivity == nil)
        let events = tracker.finishOnIdle(after: .seconds(10))
        #expect(events == [.failed(.noReply(promptAuthoredByBot: true, cozeTyped: false))])
        guard case .failed(let error) = events[0] else { return }
        #expect(error.description.contains("sender mode to `user`"))
    }

    @Test func typingCountsAsActivityAndIsRemembered() {
        var tracker = Self.tracker()
        let typing: JSONValue = ["channel_id": JSONValue(P.channel), "guild_id": JSONValue(P.guild), "user_id": JSONValue(P.coze), "timestamp": 1]
        #expect(tracker.handle(event: "TYPING_START", data: typing, at: P.at(40)) == [])
        #expect(tracker.cozeTyped)
        #expect(tracker.lastActivity == P.at(40))
        #expect(tracker.finishOnOverallTimeout(after: .seconds(300)) == [.failed(.noReply(promptAuthoredByBot: false, cozeTyped: true))])
    }

    @Test func overallTimeoutCarriesThePartialText() {
        var tracker = Self.tracker()
        _ = tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "Half an", replyTo: P.prompt), at: P.at(0))
        #expect(tracker.finishOnOverallTimeout(after: .seconds(300)) == [.failed(.overallTimeout(after: .seconds(300), partialText: "Half an"))])
        #expect(tracker.fail(.cancelled) == [])
    }

    @Test func failIsTerminalOnce() {
        var tracker = Self.tracker()
        #expect(tracker.fail(.cancelled) == [.failed(.cancelled)])
        #expect(tracker.fail(.cancelled) == [])
        #expect(tracker.handle(event: "MESSAGE_CREATE", data: P.message(id: Self.reply, content: "x", replyTo: P.prompt), at: P.at(0)) == [])
    }
}
