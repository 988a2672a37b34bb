import DiscordWire

/// Builds the Discord message that asks the Coze bot a prompt.
///
/// - The content is `<@COZE> prompt`, with image URLs on lines of their own after the prompt
///   (Coze's vision plugin reads URLs from the text).
/// - When that does not fit Discord's content limit, the prompt (and the URLs) go into a
///   `prompt.txt` attachment and the content becomes `<@COZE> ` plus a short instruction to read
///   it — the seed's intended design, whose length check was inverted (seed-bridge.md §3.8). The
///   URLs stay in the content too when they fit, since a plugin may only look there.
/// - Base64 and data-URI images are decoded and uploaded as attachments of the same message.
///
/// ## Counting length
/// Discord's limit is "2000 characters". Its clients measure JavaScript string length (UTF-16
/// code units); other measures of the same text (Unicode scalars, grapheme clusters — what the
/// emulator counts) are never larger. Counting UTF-16 code units is therefore the conservative
/// choice: a prompt that fits by this count fits by any of them. The cost is that text full of
/// astral characters (emoji) goes as a file a little earlier than strictly needed.
public struct PromptComposer: Sendable {
    /// Limits and wording.
    public struct Options: Sendable, Hashable {
        /// Discord's content limit, in UTF-16 code units.
        public var maxContentLength: Int
        /// The largest file Discord accepts without boosts (10 MiB since 2024).
        public var maxFileBytes: Int
        /// Files per message.
        public var maxAttachments: Int
        /// Refuse prompts that do not fit instead of attaching them (`Disable_2000Limit_Unlock`).
        public var refusesLongPrompts: Bool
        /// The name of the prompt file.
        public var promptFilename: String
        /// The content line that points Coze at the prompt file; `nil` for the default, which
        /// names ``promptFilename``.
        public var promptFileInstruction: String?

        public init(
            maxContentLength: Int = 2000,
            maxFileBytes: Int = 10 * 1024 * 1024,
            maxAttachments: Int = 10,
            refusesLongPrompts: Bool = false,
            promptFilename: String = "prompt.txt",
            promptFileInstruction: String? = nil
        ) {
            self.maxContentLength = maxContentLength
            self.maxFileBytes = maxFileBytes
            self.maxAttachments = maxAttachments
            self.refusesLongPrompts = refusesLongPrompts
            self.promptFilename = promptFilename
            self.promptFileInstruction = promptFileInstruction
        }

        /// The instruction line actually sent.
        public var effectivePromptFileInstruction: String {
            promptFileInstruction
                ?? "My message is too long for Discord, so it is in the attached file \(promptFilename). "
                + "Please read it and answer it as if I had written it here."
        }
    }

    /// The Coze bot's user id (`CozeBot_id`).
    public var cozeBotUserID: Snowflake
    public var options: Options

    public init(cozeBotUserID: Snowflake, options: Options = Options()) {
        self.cozeBotUserID = cozeBotUserID
        self.options = options
    }

    /// The mention that makes the Coze bot answer.
    public var mention: String { "<@\(cozeBotUserID)>" }

    /// Discord's measure of content length (see the type's discussion): UTF-16 code units.
    public static func length(_ text: String) -> Int { text.utf16.count }

    /// Composes a prompt whose images are client references (URLs, data URIs, base64).
    public func compose(prompt: String, imageReferences: [String]) throws(PromptCompositionError) -> ComposedPrompt {
        var images: [PromptImage] = []
        for (index, reference) in imageReferences.enumerated() {
            do {
                images.append(try PromptImage(reference: reference, maxBytes: options.maxFileBytes))
            } catch {
                throw .invalidImage(index: index, error)
            }
        }
        return try compose(prompt: prompt, images: images)
    }

    /// Composes a prompt with already parsed images.
    public func compose(prompt: String, images: [PromptImage] = []) throws(PromptCompositionError) -> ComposedPrompt {
        var urls: [String] = []
        var files: [DiscordFileUpload] = []
        for (index, image) in images.enumerated() {
            switch image.content {
            case .url(let url):
                urls.append(url)
            case .data(let bytes, let contentType, let fileExtension):
                guard bytes.count <= options.maxFileBytes else {
                    throw .invalidImage(index: index, .tooLarge(bytes: bytes.count, limit: options.maxFileBytes))
                }
                files.append(
                    DiscordFileUpload(
                        filename: "image-\(files.count + 1).\(fileExtension)", contentType: contentType, bytes: bytes))
            }
        }
        let hasText = !prompt.allSatisfy(\.isWhitespace)
        guard hasText || !images.isEmpty else { throw .emptyPrompt }

        let text = ((hasText ? [prompt] : []) + urls).joined(separator: "\n")
        let inline = text.isEmpty ? mention : mention + " " + text
        let allowedMentions: JSONValue = [
            "parse": [], "users": [JSONValue(cozeBotUserID)], "replied_user": false,
        ]
        if Self.length(inline) <= options.maxContentLength {
            try checkCount(files.count)
            return ComposedPrompt(content: inline, files: files, allowedMentions: allowedMentions, promptIsAttached: false)
        }
        if options.refusesLongPrompts {
            throw .promptTooLong(length: Self.length(inline), limit: options.maxContentLength)
        }

        let fileBytes = Array(text.utf8)
        guard fileBytes.count <= options.maxFileBytes else {
            throw .promptFileTooLarge(bytes: fileBytes.count, limit: options.maxFileBytes)
        }
        var content = mention + " " + options.effectivePromptFileInstruction
        let withURLs = ([content] + urls).joined(separator: "\n")
        if !urls.isEmpty, Self.length(withURLs) <= options.maxContentLength { content = withURLs }
        if Self.length(content) > options.maxContentLength {
            // Only a misconfigured instruction can get here; the mention alone always fits.
            content = mention
        }
        let promptFile = DiscordFileUpload(
            filename: options.promptFilename, contentType: "text/plain; charset=utf-8", bytes: fileBytes)
        try checkCount(files.count + 1)
        return ComposedPrompt(
            content: content, files: [promptFile] + files, allowedMentions: allowedMentions, promptIsAttached: true)
    }

    private func checkCount(_ count: Int) throws(PromptCompositionError) {
        guard count <= options.maxAttachments else {
            throw .tooManyAttachments(count: count, limit: options.maxAttachments)
        }
    }
}
