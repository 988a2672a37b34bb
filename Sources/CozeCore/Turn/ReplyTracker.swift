import DiscordWire

/// Follows the Coze bot's answer to one prompt through the gateway dispatches of its channel and
/// turns it into ``TurnEvent``s. Pure: no I/O, no clock, no tasks — the engine feeds it dispatches
/// (with the time it received them) and runs the timers, so every rule here is testable with
/// hand-built payloads.
///
/// ## What counts as the reply
/// - The reply is a message by the Coze bot that replies to the prompt (`type` 19 with
///   `message_reference.message_id` = the prompt). It is recognised on MESSAGE_CREATE and, should
///   the create have been missed, on its first MESSAGE_UPDATE.
/// - Fallback, for a Coze bot that answers without an inline reply: the Coze bot's first message
///   in the channel that is newer than the prompt (snowflakes are time-ordered) and does not
///   reply to anything. If a real reply to the prompt shows up later, it wins: the fallback
///   messages are dropped (with a ``TurnEvent/correction(fullText:)`` if they were shown).
/// - A long answer is split by Coze into several messages; the first is the reply, the rest are
///   plain messages. Every newer Coze message in the channel that does not reply to some *other*
///   message is followed as the next part, until the turn finishes.
///
/// ## Text
/// Every MESSAGE_UPDATE carries a message's whole content so far. The answer text is the final
/// contents of all parts joined with ``messageSeparator``. Whenever it changes, the tracker emits
/// what the consumer lacks: a ``TurnEvent/delta(_:)`` with the new suffix when the new text
/// extends what was shown (compared by UTF-8 bytes, so the rule is exact even for text that
/// differs only in Unicode normalisation), otherwise a ``TurnEvent/correction(fullText:)`` with
/// the whole text. Text is never located by searching for the old text inside the new one (the
/// seed and CDP do that with `replace`, which loses or duplicates text on rewrites and repeats).
///
/// While the text is still a leading part of one of Coze's canned failure texts
/// (``CozeReplyClassifier/mayBecomeFailure(_:)``) it is held back, so a quota message never
/// reaches a client as the beginning of an answer. Held text is released as soon as it diverges,
/// or when the turn finishes.
///
/// ## End
/// - An edit (or a create) that carries interactive components — Coze's action row of suggestion
///   buttons — ends the turn: `.suggestions` (the labels, when there are any), then `.done`.
/// - Without buttons the engine calls ``finishOnIdle(after:)`` once ``lastActivity`` is older
///   than its idle timeout, and ``finishOnOverallTimeout(after:)`` at its overall deadline.
/// - A text that ``CozeReplyClassifier`` recognises as a quota or error text ends in `.failed`
///   instead of `.done`, whichever way the end is detected.
/// - MESSAGE_DELETE (or MESSAGE_DELETE_BULK) of a reply part, of the prompt before any reply,
///   and CHANNEL_DELETE / THREAD_DELETE of the channel end the turn with `.failed`.
///
/// After the terminal event every call returns `[]`.
public struct ReplyTracker: Sendable {
    /// What joins the parts of an answer that Coze split over several messages.
    ///
    /// A line break, because the split point is whitespace in the original answer and Discord
    /// strips leading and trailing whitespace from every message, so the exact separator is lost;
    /// a line break is the smallest one that keeps the last word of one part from running into the
    /// first word of the next (joining with "" would produce `…difference.In practice…` for the
    /// emulator's `long` answer) and that keeps markdown blocks (list items, fences) intact. The
    /// emulator's `long` scenario therefore yields `replyTexts(...).joined(separator: "\n")`.
    public static let messageSeparator = "\n"

    /// The file extensions that make an attachment (or embed URL) an image when no content type
    /// says so.
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "avif", "apng"]

    /// One Coze message that belongs to the answer.
    struct Part: Sendable {
        var id: Snowflake
        var content: String = ""
        var images: [TurnImage] = []
        /// Non-nil once the message carries interactive components: the labels of its suggestion
        /// buttons (possibly empty).
        var suggestions: [String]?
    }

    /// The prompt message the reply answers.
    public let promptMessageID: Snowflake
    /// The conversation's channel (or thread).
    public let channelID: Snowflake
    /// The Coze bot's user id.
    public let cozeBotUserID: Snowflake
    /// Whether a bot account posted the prompt; only used to make ``TurnError/noReply(promptAuthoredByBot:cozeTyped:)``
    /// say what to do.
    public let promptAuthoredByBot: Bool
    /// Whether the fallback (the Coze bot's next message without a reply reference) is accepted.
    public let acceptsUnreferencedReply: Bool

    /// When the Coze bot last did something for this turn: typed, created a part, or changed a
    /// part's text, images or components. `nil` until then. Updates that change nothing we use
    /// (link-preview embeds, for instance) do not count, so they cannot keep an answer alive.
    public private(set) var lastActivity: ContinuousClock.Instant?
    /// Whether the Coze bot showed a typing indicator in the channel.
    public private(set) var cozeTyped = false
    /// Whether the terminal event was produced.
    public private(set) var isFinished = false
    /// The text the consumer has, per the ``TurnEvent`` contract (held-back text excluded).
    public private(set) var shownText = ""
    /// The images reported so far, in order.
    public private(set) var images: [TurnImage] = []

    private var parts: [Part] = []
    private var adoptedByFallback = false
    private var holdReleased = false
    private var imageURLs: Set<String> = []

    /// - Parameters:
    ///   - promptMessageID: the id of our prompt message (from the create-message response).
    ///   - channelID: the conversation's channel or thread; dispatches of other channels are ignored.
    ///   - cozeBotUserID: the Coze bot's user id (`CozeBot_id`).
    ///   - promptAuthoredByBot: the prompt was posted with a bot token (sender mode `bot`).
    ///   - acceptsUnreferencedReply: accept the Coze bot's next plain message as the reply when no
    ///     inline reply comes first.
    public init(
        promptMessageID: Snowflake, channelID: Snowflake, cozeBotUserID: Snowflake, promptAuthoredByBot: Bool = false,
        acceptsUnreferencedReply: Bool = true
    ) {
        self.promptMessageID = promptMessageID
        self.channelID = channelID
        self.cozeBotUserID = cozeBotUserID
        self.promptAuthoredByBot = promptAuthoredByBot
        self.acceptsUnreferencedReply = acceptsUnreferencedReply
    }

    // MARK: - State for the engine

    /// Whether a reply (or its fallback) was recognised.
    public var hasReply: Bool { !parts.isEmpty }
    /// The ids of the Coze messages followed, in order.
    public var messageIDs: [Snowflake] { parts.map(\.id) }
    /// The whole answer text so far (held-back text included).
    public var text: String {
        // A loop, not `lazy…joined`, which ran generic code on every edit; appending to an
        // empty string takes the part's storage, so a one-message answer is not copied.
        var joined = ""
        for part in parts where !part.content.isEmpty {
            if !joined.isEmpty { joined += Self.messageSeparator }
            joined += part.content
        }
        return joined
    }
    /// What the text so far would mean if the reply ended now. The engine may use a short grace
    /// period instead of the full idle timeout once this is a failure: Coze sends its canned
    /// texts in one message and never edits them.
    public var classification: CozeReplyClassification {
        parts.isEmpty ? .answer : CozeReplyClassifier.classify(text)
    }

    // MARK: - Input

    /// Feeds one gateway dispatch (`t` and `d`) received at `now`. Dispatches of other channels
    /// and of other kinds are ignored. Returns the events it causes, in order.
    public mutating func handle(event name: String, data: JSONValue, at now: ContinuousClock.Instant) -> [TurnEvent] {
        guard !isFinished else { return [] }
        switch name {
        case "MESSAGE_CREATE", "MESSAGE_UPDATE":
            guard data["channel_id"]?.snowflakeValue == channelID else { return [] }
            return message(data, at: now)
        case "MESSAGE_DELETE":
            guard data["channel_id"]?.snowflakeValue == channelID, let id = data["id"]?.snowflakeValue else { return [] }
            return deleted([id])
        case "MESSAGE_DELETE_BULK":
            guard data["channel_id"]?.snowflakeValue == channelID else { return [] }
            return deleted((data["ids"]?.arrayValue ?? []).compactMap(\.snowflakeValue))
        case "CHANNEL_DELETE", "THREAD_DELETE":
            guard data["id"]?.snowflakeValue == channelID else { return [] }
            return fail(.channelDeleted(channelID: channelID))
        case "TYPING_START":
            guard data["channel_id"]?.snowflakeValue == channelID, data["user_id"]?.snowflakeValue == cozeBotUserID
            else { return [] }
            cozeTyped = true
            lastActivity = now
            return []
        default:
            return []
        }
    }

    /// Ends a reply that has gone quiet: `.done` with the text so far (completion ``TurnResult/Completion/idle``),
    /// or `.failed` — ``TurnError/noReply(promptAuthoredByBot:cozeTyped:)`` without any reply,
    /// the quota / error classification of a canned Coze text, or ``TurnError/idleTimeout(after:)``
    /// for a reply with neither text nor images. `idle` is only used in error descriptions.
    public mutating func finishOnIdle(after idle: Duration) -> [TurnEvent] {
        guard !isFinished else { return [] }
        guard !parts.isEmpty else {
            return fail(.noReply(promptAuthoredByBot: promptAuthoredByBot, cozeTyped: cozeTyped))
        }
        if text.allSatisfy(\.isWhitespace), images.isEmpty { return fail(.idleTimeout(after: idle)) }
        return complete(.idle, suggestions: [])
    }

    /// Ends the turn at the engine's overall deadline `after`.
    public mutating func finishOnOverallTimeout(after limit: Duration) -> [TurnEvent] {
        guard !isFinished else { return [] }
        if parts.isEmpty { return fail(.noReply(promptAuthoredByBot: promptAuthoredByBot, cozeTyped: cozeTyped)) }
        return fail(.overallTimeout(after: limit, partialText: text))
    }

    /// Ends the turn with `error` (a REST failure, cancellation, …) unless it already ended.
    public mutating func fail(_ error: TurnError) -> [TurnEvent] {
        guard !isFinished else { return [] }
        isFinished = true
        return [.failed(error)]
    }

    // MARK: - Messages

    private mutating func message(_ data: JSONValue, at now: ContinuousClock.Instant) -> [TurnEvent] {
        guard let id = data["id"]?.snowflakeValue else { return [] }
        let index: Int
        let isNew: Bool
        if let known = parts.firstIndex(where: { $0.id == id }) {
            index = known
            isNew = false
        } else {
            guard let adopted = adopt(id, data) else { return [] }
            index = adopted
            isNew = true
        }
        let changed = apply(data, to: index)
        guard changed || isNew else { return [] }
        lastActivity = now
        return emit()
    }

    /// Decides whether an unknown message belongs to the answer; returns its index in `parts`.
    private mutating func adopt(_ id: Snowflake, _ data: JSONValue) -> Int? {
        // An update without an author (an old-style partial MESSAGE_UPDATE) cannot be attributed.
        guard data["author"]?["id"]?.snowflakeValue == cozeBotUserID else { return nil }
        // Older than the prompt: a late edit of an earlier turn's answer, never ours.
        guard id > promptMessageID else { return nil }
        // System messages (pins, thread starters, …) are not answers.
        if let type = data["type"]?.intValue, type != 0, type != 19 { return nil }

        let reference = data["message_reference"]
        let isForward = reference?["type"]?.intValue == 1
        let referenced = isForward ? nil : reference?["message_id"]?.snowflakeValue
        if let referenced, referenced != promptMessageID {
            // A reply to another message: some other prompt's answer.
            return nil
        }
        let repliesToPrompt = referenced == promptMessageID

        if parts.isEmpty {
            guard repliesToPrompt || acceptsUnreferencedReply else { return nil }
            adoptedByFallback = !repliesToPrompt
            parts = [Part(id: id)]
            return 0
        }
        if repliesToPrompt, adoptedByFallback {
            // The true reply beats the guess: what the fallback followed was something else.
            adoptedByFallback = false
            parts = [Part(id: id)]
            return 0
        }
        // Another part of a split answer: it follows the newest part.
        guard let last = parts.last, id > last.id else { return nil }
        parts.append(Part(id: id))
        return parts.count - 1
    }

    /// Applies the fields present in a create/update to a part; whether anything we use changed.
    /// Absent keys leave the old value (MESSAGE_UPDATEs used to be partial).
    private mutating func apply(_ data: JSONValue, to index: Int) -> Bool {
        var part = parts[index]
        var changed = false
        if let content = data["content"]?.stringValue, content != part.content {
            part.content = content
            changed = true
        }
        let images = Self.images(of: data, previous: part)
        if images != part.images {
            part.images = images
            changed = true
        }
        if let components = data["components"]?.arrayValue {
            let suggestions = Self.suggestions(in: components)
            if suggestions != part.suggestions {
                part.suggestions = suggestions
                changed = true
            }
        }
        parts[index] = part
        return changed
    }

    private mutating func deleted(_ ids: [Snowflake]) -> [TurnEvent] {
        if let id = ids.first(where: { id in parts.contains { $0.id == id } }) {
            return fail(.replyDeleted(messageID: id))
        }
        if parts.isEmpty, ids.contains(promptMessageID) {
            return fail(.promptDeleted(messageID: promptMessageID))
        }
        return []
    }

    // MARK: - Output

    /// The events that bring the consumer up to date, and the end when a part carries buttons.
    private mutating func emit() -> [TurnEvent] {
        let full = text
        var events: [TurnEvent] = []
        if !holdReleased, parts.count == 1, CozeReplyClassifier.mayBecomeFailure(full) {
            // Held back; nothing to show yet.
        } else {
            holdReleased = true
            events += show(full)
        }
        events += newImages()
        if let finalPart = parts.last(where: { $0.suggestions != nil }), let suggestions = finalPart.suggestions {
            events += complete(.suggestions, suggestions: suggestions)
        }
        return events
    }

    /// Brings ``shownText`` to `full`: a delta when it extends what was shown, else a correction.
    private mutating func show(_ full: String) -> [TurnEvent] {
        // Bytes, not `==`: String equality is canonical equivalence, and a re-encoded accent must
        // still reach the consumer for the text to be exact.
        guard !full.utf8Equals(shownText) else { return [] }
        defer { shownText = full }
        if full.utf8HasPrefix(shownText) {
            let start = full.utf8.index(full.utf8.startIndex, offsetBy: shownText.utf8.count)
            return [.delta(String(full[start...]))]
        }
        return [.correction(fullText: full)]
    }

    private mutating func newImages() -> [TurnEvent] {
        var events: [TurnEvent] = []
        for part in parts {
            for image in part.images where !imageURLs.contains(image.url) {
                imageURLs.insert(image.url)
                if let proxy = image.proxyURL { imageURLs.insert(proxy) }
                images.append(image)
                events.append(.image(image))
            }
        }
        return events
    }

    private mutating func complete(_ completion: TurnResult.Completion, suggestions: [String]) -> [TurnEvent] {
        let full = text
        switch CozeReplyClassifier.classify(full) {
        case .quotaExhausted(let scope):
            return fail(.quotaExhausted(scope, cozeText: full))
        case .busy:
            return fail(.cozeError(cozeText: full, retryable: true))
        case .error:
            return fail(.cozeError(cozeText: full, retryable: true))
        case .answer:
            break
        }
        holdReleased = true
        var events = show(full)
        events += newImages()
        if !suggestions.isEmpty { events.append(.suggestions(suggestions)) }
        isFinished = true
        events.append(
            .done(
                TurnResult(
                    text: full, images: images, suggestions: suggestions, messageIDs: messageIDs,
                    completion: completion)))
        return events
    }

    // MARK: - Reading Discord's message JSON

    /// The labels of the suggestion buttons in `components`, or `nil` when there is nothing
    /// interactive (an empty array, or only layout). Link and premium buttons (styles 5, 6) end
    /// the answer like any button but are not suggestions.
    static func suggestions(in components: [JSONValue]) -> [String]? {
        var labels: [String] = []
        var interactive = false
        func visit(_ list: [JSONValue]) {
            for component in list {
                switch component["type"]?.intValue {
                case 2:
                    interactive = true
                    let style = component["style"]?.intValue ?? 2
                    if style != 5, style != 6, let label = component["label"]?.stringValue,
                        !label.allSatisfy(\.isWhitespace)
                    {
                        labels.append(label)
                    }
                case 3, 5, 6, 7, 8:
                    interactive = true
                default:
                    break
                }
                if let children = component["components"]?.arrayValue { visit(children) }
            }
        }
        visit(components)
        return interactive ? labels : nil
    }

    /// A part's images in order: markdown links in the text, then attachments, then embeds.
    /// Keys absent from an update keep the previous part's images of that kind.
    static func images(of data: JSONValue, previous: Part) -> [TurnImage] {
        let markdown: [TurnImage]
        if let content = data["content"]?.stringValue {
            markdown = MarkdownImages.find(in: content)
        } else {
            markdown = previous.images.filter { $0.source == .markdown }
        }
        let attachments: [TurnImage]
        if let list = data["attachments"]?.arrayValue {
            attachments = list.compactMap(attachmentImage)
        } else {
            attachments = previous.images.filter { $0.source == .attachment }
        }
        let embeds: [TurnImage]
        if let list = data["embeds"]?.arrayValue {
            embeds = list.compactMap(embedImage)
        } else {
            embeds = previous.images.filter { $0.source == .embed }
        }
        return markdown + attachments + embeds
    }

    static func attachmentImage(_ attachment: JSONValue) -> TurnImage? {
        guard let url = attachment["url"]?.stringValue ?? attachment["proxy_url"]?.stringValue else { return nil }
        let filename = attachment["filename"]?.stringValue
        let contentType = attachment["content_type"]?.stringValue
        let isImage =
            contentType.map { $0.lowercased().hasPrefix("image/") }
            ?? filename.map { imageExtensions.contains(fileExtension($0)) } ?? false
        guard isImage else { return nil }
        let proxy = attachment["proxy_url"]?.stringValue
        return TurnImage(
            url: url, source: .attachment, filename: filename, contentType: contentType,
            width: attachment["width"]?.intValue, height: attachment["height"]?.intValue,
            proxyURL: proxy == url ? nil : proxy)
    }

    static func embedImage(_ embed: JSONValue) -> TurnImage? {
        // `image` is the big picture of any embed; an embed of type `image` (a link preview of an
        // image URL) may carry only `thumbnail` and its own `url`.
        var media = embed["image"]
        if media?["url"]?.stringValue == nil, embed["type"]?.stringValue == "image" {
            media = embed["thumbnail"]
        }
        guard let url = media?["url"]?.stringValue ?? (embed["type"]?.stringValue == "image" ? embed["url"]?.stringValue : nil)
        else { return nil }
        let proxy = media?["proxy_url"]?.stringValue
        let name = lastPathComponent(url)
        return TurnImage(
            url: url, source: .embed, filename: imageExtensions.contains(fileExtension(name)) ? name : nil,
            width: media?["width"]?.intValue, height: media?["height"]?.intValue,
            proxyURL: proxy == url ? nil : proxy)
    }

    static func lastPathComponent(_ url: String) -> String {
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        return path.split(separator: "/").last.map(String.init) ?? path
    }

    static func fileExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}
