import DiscordWire
import NIOConcurrencyHelpers

/// The simulated Coze bot: turns every prompt that mentions it into the message timeline the real
/// Coze bot produces on Discord (typing, inline reply, cumulative edits, suggestion buttons as the
/// end marker), with the variations of `CozeScenario`.
///
/// The world calls `handle(_:)` for each prompt; each reply then runs in its own `Task` and acts on
/// the world through `CozeBotWorld`, so replies to different prompts interleave as they would on
/// Discord. All text comes from `CozeAnswerGenerator`, so tests can compute it.
///
/// The world is held weakly: the world owns the simulator, and a strong reference back would keep
/// both alive forever. A reply in progress keeps the world alive until it ends.
final class CozeBotSimulator: Sendable {
    /// Per-channel memory is bounded so a long benchmark does not grow it without limit; only the
    /// last entry is ever read.
    static let memoryLimit = 64

    private struct WorldReference: Sendable {
        weak var world: (any CozeBotWorld)?
    }

    private struct State: Sendable {
        var settings: CozeSettings
        var seed: UInt64
        /// Effective prompts (see `CozeAnswerGenerator.effectivePrompt`) per channel, oldest first.
        var memory: [Snowflake: [String]] = [:]
        var replies: [UInt64: Task<Void, Never>] = [:]
        var nextReplyID: UInt64 = 0
        var isShutDown = false
    }

    /// Everything one reply needs, fixed when the prompt arrives: later `update` calls and later
    /// prompts do not change a reply in progress.
    private struct Job: Sendable {
        var prompt: CozePrompt
        var files: [CozeAnswerGenerator.PromptFile]
        var previousPrompt: String?
        var scenario: CozeScenario
        var settings: CozeSettings
        var seed: UInt64
    }

    private let worldReference: WorldReference
    private let botUserID: Snowflake
    private let state: NIOLockedValueBox<State>

    init(world: any CozeBotWorld, settings: CozeSettings, seed: UInt64, botUserID: Snowflake) {
        self.worldReference = WorldReference(world: world)
        self.botUserID = botUserID
        self.state = NIOLockedValueBox(State(settings: settings, seed: seed))
    }

    /// Replaces the settings and seed for prompts that arrive from now on.
    func update(settings: CozeSettings, seed: UInt64) {
        state.withLockedValue { state in
            state.settings = settings
            state.seed = seed
        }
    }

    /// Takes a prompt that mentions the bot. Returns at once; the reply runs in a task. Prompts by
    /// the bot itself, by bots while `ignore_bot_authors` is on, and after `shutdown()` are dropped
    /// (and not remembered).
    func handle(_ prompt: CozePrompt) {
        guard prompt.authorID != botUserID else { return }
        let files = prompt.attachments.map {
            CozeAnswerGenerator.PromptFile(filename: $0.filename, contentType: $0.contentType, bytes: $0.bytes)
        }
        let effective = CozeAnswerGenerator.effectivePrompt(content: prompt.content, files: files)
        // A text file stands for the prompt, so a marker inside it counts as well.
        let marked =
            CozeScenario.marked(in: prompt.content)
            ?? (effective == prompt.content ? nil : CozeScenario.marked(in: effective))
        state.withLockedValue { state in
            guard !state.isShutDown else { return }
            if prompt.authorIsBot, state.settings.ignoreBotAuthors { return }
            var history = state.memory[prompt.channelID, default: []]
            let job = Job(
                prompt: prompt,
                files: files,
                previousPrompt: history.last,
                scenario: marked ?? state.settings.defaultScenario,
                settings: state.settings,
                seed: state.seed
            )
            history.append(effective)
            if history.count > Self.memoryLimit { history.removeFirst(history.count - Self.memoryLimit) }
            state.memory[prompt.channelID] = history

            let id = state.nextReplyID
            state.nextReplyID += 1
            // Registered under the lock that the task's own deregistration takes, so a reply that
            // ends at once cannot be removed before it was added.
            state.replies[id] = Task {
                await self.reply(job)
                self.state.withLockedValue { _ = $0.replies.removeValue(forKey: id) }
            }
        }
    }

    /// Cancels every reply in progress and waits for them to stop; later prompts are ignored.
    func shutdown() async {
        let running = state.withLockedValue { state in
            state.isShutDown = true
            return Array(state.replies.values)
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// Waits until no reply is in progress (including replies started while waiting).
    func waitUntilIdle() async {
        while true {
            let running = state.withLockedValue { Array($0.replies.values) }
            if running.isEmpty { return }
            for task in running { await task.value }
        }
    }

    // MARK: - One reply

    private func reply(_ job: Job) async {
        guard let world = worldReference.world else { return }
        let channelID = job.prompt.channelID
        let settings = job.settings
        world.cozeStartTyping(channelID: channelID)
        if job.scenario == .silent { return }

        let startDelay = job.scenario == .slow ? settings.slowStartMs : settings.startDelayMs
        guard await pause(milliseconds: startDelay) else { return }

        if job.scenario == .quota {
            _ = world.cozeCreateMessage(
                channelID: channelID, content: CozeAnswerGenerator.quotaText, replyTo: job.prompt.messageID,
                embeds: [], attachments: [], components: [])
            return
        }

        let answer = CozeAnswerGenerator.answer(
            prompt: job.prompt.content, previousPrompt: job.previousPrompt, seed: job.seed, files: job.files)
        let texts = CozeAnswerGenerator.replyTexts(
            scenario: job.scenario, prompt: job.prompt.content, previousPrompt: job.previousPrompt, seed: job.seed,
            files: job.files, baseURL: world.publicBaseURL, longAnswerMessages: settings.longAnswerMessages)
        let final = finalExtras(job: job, answer: answer, baseURL: world.publicBaseURL)
        let plans = texts.map { text in
            Self.renderings(of: text, chunks: settings.chunks, rewrite: job.scenario == .rewrite)
        }

        var pace = CozeAnswerGenerator.generator(
            seed: job.seed,
            text: "pace\u{0}"
                + CozePromptText.stripped(
                    CozeAnswerGenerator.effectivePrompt(
                        content: job.prompt.content, files: job.files)))
        func interval() -> Int {
            guard settings.editJitterMs > 0 else { return settings.editIntervalMs }
            let offset = Int(pace.next() % UInt64(2 * settings.editJitterMs + 1)) - settings.editJitterMs
            return max(0, settings.editIntervalMs + offset)
        }

        // `timestamp_markers`: the text added by each rendering is followed by `[t=NS]`; earlier
        // markers are kept, so each content still extends the previous one.
        var markedPlain = ""
        var markedSent = ""
        func stamped(_ content: String) -> String {
            guard settings.timestampMarkers else { return content }
            let extends = content.hasPrefix(markedPlain)
            let added = extends ? String(content.dropFirst(markedPlain.count)) : content
            if !extends { markedSent = "" }
            markedPlain = content
            markedSent += added + MarkerStampClock.shared.marker()
            return markedSent
        }

        for (messageIndex, plannedRenderings) in plans.enumerated() {
            let isLastMessage = messageIndex == plans.count - 1
            var renderings = plannedRenderings
            // The end marker is an edit of its own even when the text fits in one rendering.
            if isLastMessage, final.hasAny, renderings.count == 1 { renderings.append(renderings[0]) }

            if messageIndex > 0 {
                guard await pause(milliseconds: interval()) else { return }
                markedPlain = ""
                markedSent = ""
            }
            guard
                let messageID = world.cozeCreateMessage(
                    channelID: channelID, content: stamped(renderings[0]),
                    replyTo: messageIndex == 0 ? job.prompt.messageID : nil,
                    embeds: [], attachments: [], components: [])
            else { return }

            for (index, content) in renderings.enumerated().dropFirst() {
                guard await pause(milliseconds: interval()) else { return }
                let isFinal = isLastMessage && index == renderings.count - 1
                let edited = world.cozeEditMessage(
                    channelID: channelID, messageID: messageID, content: stamped(content),
                    embeds: isFinal ? final.embeds : nil,
                    newAttachments: isFinal ? final.attachments : [],
                    components: isFinal ? final.components : nil)
                guard edited else { return }
            }
        }
    }

    private struct FinalExtras {
        var embeds: [JSONValue]?
        var attachments: [AttachmentUpload] = []
        var components: [JSONValue]?

        var hasAny: Bool { embeds != nil || !attachments.isEmpty || components != nil }
    }

    private func finalExtras(job: Job, answer: String, baseURL: String) -> FinalExtras {
        var extras = FinalExtras()
        if job.scenario != .noSuggestions {
            extras.components = Self.suggestionRow(CozeAnswerGenerator.suggestions(for: answer, seed: job.seed))
        }
        switch job.scenario {
        case .imageEmbed:
            let url = JSONValue.string(CozeAnswerGenerator.imageURL(baseURL: baseURL, answer: answer, seed: job.seed))
            extras.embeds = [
                [
                    "type": "image",
                    "url": url,
                    "image": [
                        "url": url, "proxy_url": url,
                        "width": JSONValue(SampleImage.width), "height": JSONValue(SampleImage.height),
                    ],
                ]
            ]
        case .imageAttachment:
            extras.attachments = [
                AttachmentUpload(
                    filename: CozeAnswerGenerator.imageFilename(for: answer, seed: job.seed),
                    contentType: SampleImage.contentType, bytes: SampleImage.png)
            ]
        default:
            break
        }
        return extras
    }

    /// One action row of grey (style 2) buttons with ids 2, 3, 4 and custom ids `sugg_1`…, as the
    /// real bot's final edit carries.
    static func suggestionRow(_ labels: [String]) -> [JSONValue] {
        let buttons: [JSONValue] = labels.enumerated().map { index, label in
            [
                "type": 2, "id": JSONValue(index + 2), "style": 2, "label": .string(label),
                "custom_id": .string("sugg_\(index + 1)"),
            ]
        }
        return [["type": 1, "id": 1, "components": .array(buttons)]]
    }

    /// The successive contents of one message: the chunks, or for `rewrite` (with chunks c₀…cₙ₋₁
    /// and D the draft rendering) D(c₀), …, D(cₖ), cₖ, cₖ₊₁, …, cₙ₋₁ — k being the first index
    /// ≥ max(0, ⌊n/2⌋ − 1) with D(cₖ) ≠ cₖ, so the re-rendering edit falls in the middle and more
    /// text follows it when the list starts early enough. When k = n − 1 the whole text is repeated
    /// once more, so that the final edit (the one with buttons) is never the rewriting one. Text
    /// without a list marker has no k and streams as plain chunks.
    static func renderings(of text: String, chunks count: Int, rewrite: Bool) -> [String] {
        let chunks = CozeAnswerGenerator.chunks(of: text, count: count)
        guard rewrite else { return chunks }
        let drafts = chunks.map(CozeAnswerGenerator.draftRendering(of:))
        let earliest = max(0, chunks.count / 2 - 1)
        guard let k = (earliest..<chunks.count).first(where: { drafts[$0] != chunks[$0] }) else { return chunks }
        var renderings = Array(drafts[...k]) + Array(chunks[k...])
        if k == chunks.count - 1 { renderings.append(text) }
        return renderings
    }

    /// Sleeps; `false` when the reply was cancelled meanwhile.
    private func pause(milliseconds: Int) async -> Bool {
        if milliseconds > 0 {
            do {
                try await Task.sleep(for: .milliseconds(milliseconds))
            } catch {
                return false
            }
        }
        return !Task.isCancelled
    }
}
