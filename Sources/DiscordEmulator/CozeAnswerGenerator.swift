/// The words of the simulated Coze bot: deterministic, so tests compute the exact text they expect.
///
/// Every answer depends only on the seed, the prompt (and its files) and the previous prompt of the
/// channel. Randomness comes from SplitMix64 seeded with the seed and a 64-bit FNV-1a hash of the
/// stripped prompt — never from Swift's `Hasher`, which is randomized per process.
///
/// Shape of a generated answer (`answer(prompt:previousPrompt:seed:files:)`):
///
///     [I see an image named NAME (N bytes). ]…[I read your file NAME (N characters). ]INTRO:
///     1. ITEM.
///     2. ITEM.
///     3. ITEM.
///     CLOSING.
///
/// A prompt containing `what did I say before?` (any case) gets, after the same file sentences,
/// `You said before: "P".` (P = the previous prompt stripped, cut to 1500 characters plus `…` if longer)
/// or `You have not said anything before.` instead of INTRO, list and CLOSING.
public enum CozeAnswerGenerator {
    /// A file attached to a prompt.
    public struct PromptFile: Sendable, Equatable {
        public var filename: String
        public var contentType: String?
        public var bytes: [UInt8]

        public init(filename: String, contentType: String?, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }

        /// A `.txt` file (by name) or `text/plain` (by content type): its text is read as the prompt.
        public var isText: Bool {
            filename.lowercased().hasSuffix(".txt") || (contentType?.lowercased().hasPrefix("text/plain") ?? false)
        }

        /// `image/*`, or a `.png`, `.jpg`, `.jpeg`, `.gif` or `.webp` name.
        public var isImage: Bool {
            if contentType?.lowercased().hasPrefix("image/") ?? false { return true }
            let name = filename.lowercased()
            return [".png", ".jpg", ".jpeg", ".gif", ".webp"].contains { name.hasSuffix($0) }
        }

        /// The bytes as UTF-8 (invalid sequences become U+FFFD).
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// The whole reply of the `quota` scenario (Coze's own wording).
    public static let quotaText =
        "You have exceeded the daily limit for sending messages to the bot. Please try again later."

    /// The phrase that makes the bot quote the previous prompt of the channel.
    public static let memoryQuestion = "what did I say before?"

    /// Longest quoted previous prompt, so that a memory answer stays under Discord's 2000 characters.
    static let memoryQuoteLimit = 1500

    // MARK: - Answers

    /// The answer to a prompt without files. See `answer(prompt:previousPrompt:seed:files:)`.
    public static func answer(prompt: String, previousPrompt: String?, seed: UInt64) -> String {
        answer(prompt: prompt, previousPrompt: previousPrompt, seed: seed, files: [])
    }

    /// The answer text (before any scenario-specific additions).
    ///
    /// - Parameters:
    ///   - prompt: the message content, mention and marker included (they are stripped here).
    ///     When `files` holds a text file, the first text file's content is the prompt instead.
    ///   - previousPrompt: the effective prompt (`effectivePrompt(content:files:)`) of the previous
    ///     prompt in the same channel, or `nil`; only used by the memory rule.
    ///   - seed: the scenario seed.
    ///   - files: the prompt's attachments. Each image adds `I see an image named NAME (N bytes). `,
    ///     then the first text file adds `I read your file NAME (N characters). ` (N = Swift
    ///     `Character` count of its UTF-8 text).
    public static func answer(prompt: String, previousPrompt: String?, seed: UInt64, files: [PromptFile]) -> String {
        var sentences: [String] = []
        for file in files where file.isImage {
            sentences.append("I see an image named \(file.filename) (\(file.bytes.count) bytes).")
        }
        if let textFile = files.first(where: \.isText) {
            sentences.append("I read your file \(textFile.filename) (\(textFile.text.count) characters).")
        }
        let question = CozePromptText.stripped(effectivePrompt(content: prompt, files: files))
        if question.lowercased().contains(memoryQuestion.lowercased()) {
            sentences.append(memoryAnswer(previousPrompt: previousPrompt))
        } else {
            var random = generator(seed: seed, text: question)
            sentences.append(body(using: &random))
        }
        return sentences.joined(separator: " ")
    }

    /// What the bot reads as the prompt: the first text file's content, else the message content.
    public static func effectivePrompt(content: String, files: [PromptFile]) -> String {
        files.first(where: \.isText)?.text ?? content
    }

    /// The final content of every message the bot sends for one prompt under `scenario`, in order
    /// (empty for `silent`). What a test compares the end state against.
    ///
    /// - `plain`, `slow`, `no-suggestions`, `rewrite`, `image-embed`, `image-attachment`: `[answer]`.
    /// - `image-markdown`: `[answer + "\n\n![image](" + imageURL + ")"]`.
    /// - `long`: `longAnswer(...)`.
    /// - `quota`: `[quotaText]`.
    public static func replyTexts(
        scenario: CozeScenario,
        prompt: String,
        previousPrompt: String?,
        seed: UInt64,
        files: [PromptFile] = [],
        baseURL: String,
        longAnswerMessages: Int = 3
    ) -> [String] {
        let text = answer(prompt: prompt, previousPrompt: previousPrompt, seed: seed, files: files)
        switch scenario {
        case .plain, .slow, .noSuggestions, .rewrite, .imageEmbed, .imageAttachment:
            return [text]
        case .imageMarkdown:
            return [text + "\n\n![image](" + imageURL(baseURL: baseURL, answer: text, seed: seed) + ")"]
        case .long:
            return longAnswer(answer: text, seed: seed, messages: longAnswerMessages)
        case .quota:
            return [quotaText]
        case .silent:
            return []
        }
    }

    /// The `long` scenario's messages: `max(messages, 2)` texts of 1400–2000 characters each (so
    /// more than 2000 in all). The first is `answer`, a blank line and filler sentences; the others
    /// are filler paragraphs. Filler is seeded by (`seed`, FNV-1a of `answer`).
    public static func longAnswer(answer: String, seed: UInt64, messages: Int) -> [String] {
        var random = generator(seed: seed, text: "long\u{0}" + answer)
        var parts: [String] = []
        for index in 0..<max(messages, 2) {
            var part = index == 0 ? answer + "\n\n" : ""
            var first = true
            while part.count < 1400 {
                let sentence = fillerSentence(using: &random)
                let addition = first ? sentence : " " + sentence
                guard part.count + addition.count <= 2000 else { break }
                part += addition
                first = false
            }
            parts.append(part)
        }
        return parts
    }

    // MARK: - Images

    /// Name of the generated picture for an answer: `coze-` + 16 hex digits + `.png`.
    public static func imageFilename(for answer: String, seed: UInt64) -> String {
        var random = generator(seed: seed, text: "image\u{0}" + answer)
        let digits = String(random.next(), radix: 16)
        return "coze-" + String(repeating: "0", count: 16 - digits.count) + digits + ".png"
    }

    /// Where the emulator serves the generated picture: `BASE/attachments/coze/NAME`.
    public static func imageURL(baseURL: String, answer: String, seed: UInt64) -> String {
        baseURL + "/attachments/coze/" + imageFilename(for: answer, seed: seed)
    }

    // MARK: - Streaming

    /// The cumulative renderings an answer is streamed in: `min(max(count, 1), words)` prefixes, the
    /// i-th ending after word `ceil(i × words / n)` (a word being a run of non-whitespace). The last
    /// is `answer` itself; a text without words gives `[answer]`.
    public static func chunks(of answer: String, count: Int) -> [String] {
        var wordEnds: [String.Index] = []
        var inWord = false
        var index = answer.startIndex
        while index < answer.endIndex {
            let isSpace = answer[index].isWhitespace
            if inWord, isSpace { wordEnds.append(index) }
            inWord = !isSpace
            index = answer.index(after: index)
        }
        if inWord { wordEnds.append(answer.endIndex) }
        guard !wordEnds.isEmpty else { return [answer] }
        let total = wordEnds.count
        let parts = min(max(count, 1), total)
        var result: [String] = []
        for part in 1...parts {
            let words = (part * total + parts - 1) / parts
            result.append(part == parts ? answer : String(answer[..<wordEnds[words - 1]]))
        }
        return result
    }

    /// The draft rendering the `rewrite` scenario shows before re-rendering: every line that starts
    /// with a list marker `N.` (followed by a space or the line end) has it written `N)` instead.
    public static func draftRendering(of text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let digits = line.prefix(while: \.isASCIIDigitCharacter)
            guard !digits.isEmpty else { return String(line) }
            let rest = line.dropFirst(digits.count)
            guard rest.first == ".", rest.count == 1 || rest.dropFirst().first == " " else { return String(line) }
            return String(digits) + ")" + String(rest.dropFirst())
        }.joined(separator: "\n")
    }

    // MARK: - Suggestions

    /// Three distinct follow-up questions for the final edit's buttons (each at most 80 characters),
    /// seeded by (`seed`, FNV-1a of `answer`).
    public static func suggestions(for answer: String, seed: UInt64) -> [String] {
        var random = generator(seed: seed, text: "suggest\u{0}" + answer)
        let topic = Words.topics.first { answer.contains($0) } ?? "this"
        return pickDistinct(3, from: Words.suggestions, using: &random).map {
            String($0.replacing("{t}", with: topic).prefix(80))
        }
    }

    // MARK: - Hashing and randomness

    /// 64-bit FNV-1a of the UTF-8 bytes: stable across processes and platforms.
    public static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// A generator for (seed, text). The seed goes through one SplitMix64 step first so that seeds
    /// and hashes that differ in few bits still give unrelated streams.
    static func generator(seed: UInt64, text: String) -> SplitMix64 {
        var seeding = SplitMix64(state: seed)
        return SplitMix64(state: seeding.next() ^ fnv1a64(text))
    }

    // MARK: - Composition

    static func memoryAnswer(previousPrompt: String?) -> String {
        guard let previousPrompt else { return "You have not said anything before." }
        var quoted = CozePromptText.stripped(previousPrompt)
        if quoted.count > memoryQuoteLimit { quoted = String(quoted.prefix(memoryQuoteLimit)) + "…" }
        return "You said before: \"\(quoted)\"."
    }

    private static func body(using random: inout SplitMix64) -> String {
        let topic = pick(Words.topics, using: &random)
        let intro = pick(Words.intros, using: &random).replacing("{t}", with: topic)
        let verbs = pickDistinct(3, from: Words.verbs, using: &random)
        let objects = pickDistinct(3, from: Words.objects, using: &random)
        let qualifiers = pickDistinct(3, from: Words.qualifiers, using: &random)
        var lines = [intro]
        for item in 0..<3 {
            lines.append("\(item + 1). \(verbs[item]) \(objects[item]) \(qualifiers[item]).")
        }
        let closingCount = 1 + Int(random.next() % 2)
        let closings = pickDistinct(closingCount, from: Words.closings, using: &random)
        lines.append(closings.map { $0.replacing("{t}", with: topic) }.joined(separator: " "))
        return lines.joined(separator: "\n")
    }

    private static func fillerSentence(using random: inout SplitMix64) -> String {
        let opener = pick(Words.openers, using: &random)
        let object = pick(Words.objects, using: &random)
        let qualifier = pick(Words.qualifiers, using: &random)
        if random.next() % 2 == 0 {
            let verb = pick(Words.verbs, using: &random).lowercased()
            return "\(opener) it helps to \(verb) \(object) \(qualifier)."
        }
        return "\(opener) paying attention to \(object) \(qualifier) makes a real difference."
    }

    private static func pick(_ words: [String], using random: inout SplitMix64) -> String {
        words[Int(random.next() % UInt64(words.count))]
    }

    /// `count` different entries, by a partial Fisher–Yates shuffle.
    private static func pickDistinct(_ count: Int, from words: [String], using random: inout SplitMix64) -> [String] {
        var pool = words
        for index in 0..<count {
            let other = index + Int(random.next() % UInt64(pool.count - index))
            pool.swapAt(index, other)
        }
        return Array(pool.prefix(count))
    }
}

/// Sebastiano Vigna's SplitMix64: tiny, fast, and identical on every platform.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// The bot's vocabulary. Changing any entry changes every expected answer, so treat it as frozen.
private enum Words {
    static let topics = [
        "the garden", "your project", "the weekend trip", "a healthy breakfast", "the new schedule",
        "learning a language", "the household budget", "your presentation", "the team meeting",
        "a morning routine", "the reading list", "the moving plan",
    ]
    static let intros = [
        "Here are a few thoughts about {t}:",
        "Good question! When it comes to {t}, a few things help:",
        "Thanks for asking about {t}. I would suggest this:",
        "Let me help you with {t}. Here is a simple plan:",
        "There are several ways to approach {t}:",
    ]
    static let verbs = [
        "Start with", "Think about", "Focus on", "Keep track of", "Write down", "Review", "Compare",
        "Share", "Prepare", "Check",
    ]
    static let objects = [
        "the main goal", "a simple example", "small steps", "the important details", "a clear outline",
        "the available time", "your notes", "the feedback you get", "a short checklist", "the costs involved",
        "the first draft", "a backup option",
    ]
    static let qualifiers = [
        "before anything else", "every few days", "with a little patience", "as early as possible",
        "one step at a time", "when you have a quiet moment", "to avoid surprises later",
        "so that nothing is missed", "together with a friend", "at the end of each week",
    ]
    static let closings = [
        "I hope this helps with {t}.",
        "Let me know if you would like more details.",
        "Feel free to ask a follow-up question.",
        "Small, steady progress usually works best.",
        "Most people find that this makes {t} much easier.",
        "You can adjust these steps to fit your situation.",
    ]
    static let openers = [
        "In my experience,", "For most people,", "Over time,", "As a rule,", "In practice,",
        "On the other hand,", "Interestingly,", "Above all,",
    ]
    static let suggestions = [
        "Tell me more about {t}",
        "Can you give me an example?",
        "What should I do first?",
        "What are common mistakes with {t}?",
        "Can you summarize that in one sentence?",
        "Why does that matter?",
        "What would you recommend next?",
        "Are there any alternatives?",
        "How can I explain {t} to a friend?",
    ]
}
