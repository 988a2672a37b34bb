/// Whose Coze quota ran out. It decides what a bot pool can do about it.
public enum CozeQuotaScope: String, Sendable, Hashable, CaseIterable {
    /// The Discord account that posted the prompt used up its daily messages (or its free
    /// credits). With `user` sender mode another user token may still work, so only that sender
    /// should be rested until the limit resets.
    case sender
    /// The developer's (bot owner's) message credits are exhausted: the Coze bot answers nobody
    /// until the credits are refilled or reset. The whole bot leaves the pool.
    case creator
}

/// What a Coze reply's text means.
public enum CozeReplyClassification: Sendable, Hashable {
    /// An ordinary answer (including refusals: "I can't assist with that" is an answer).
    case answer
    /// Coze's daily-limit / credits-exhausted text.
    case quotaExhausted(CozeQuotaScope)
    /// Coze is overloaded ("too many users"); the same prompt may work a little later.
    case busy
    /// Coze's generic failure text ("Something wrong occurs…", "Some error occurred…",
    /// "unusual traffic…").
    case error

    /// Whether the text is one of Coze's canned failures rather than an answer.
    public var isFailure: Bool { self != .answer }

    /// Whether resending the same prompt later can be expected to work (on the same bot for
    /// ``busy``; ``error`` is Coze's own "please retry").
    public var isRetryable: Bool {
        switch self {
        case .busy, .error: return true
        case .answer, .quotaExhausted: return false
        }
    }
}

/// Recognises the canned texts the Coze bot sends instead of an answer.
///
/// Coze reports quota and service problems as an ordinary message whose whole content is a fixed
/// English sentence (discord-wire.md §5; the phrase lists the peers keep). Peers match them with
/// `contains`, which turns an answer that merely quotes such a sentence into a failure. Here a text
/// matches only when it *starts* with a known phrase (after normalisation) and is not much longer
/// than it: Coze sometimes appends an upgrade link to a phrase, but a real answer is never a
/// canned sentence followed by nothing of substance.
///
/// Normalisation makes the match robust against what Discord and Coze vary: letter case, runs of
/// whitespace and line breaks, typographic apostrophes, and trailing punctuation.
///
/// Refusals ("I'm sorry, but I can't assist with that.") are deliberately *not* failures: they are
/// the bot's answer, and treating them as errors would make a pool rotate bots for nothing.
public enum CozeReplyClassifier {
    /// One canned text: its normalised opening, and the classification it stands for.
    struct Pattern: Sendable {
        var phrase: String
        var classification: CozeReplyClassification
        var normalized: String

        init(_ phrase: String, _ classification: CozeReplyClassification) {
            self.phrase = phrase
            self.classification = classification
            self.normalized = CozeReplyClassifier.normalize(phrase)
        }
    }

    /// Coze's wording as observed by the bridges that depend on it (discord-wire.md §5,
    /// peer-bridges.md §1.3). A phrase may be a leading part of the full text; see ``slack``.
    static let patterns: [Pattern] = [
        Pattern(
            "You have exceeded the daily limit for sending messages to the bot. Please try again later.",
            .quotaExhausted(.sender)),
        // Followed on Discord by a markdown link to Coze Premium.
        Pattern("Hi there! You've used up your free chat credits.", .quotaExhausted(.sender)),
        Pattern("Hi there! You've used up your credits for today.", .quotaExhausted(.sender)),
        Pattern(
            "The bot's usage is covered by the developer, but due to the developer's message credits being exhausted, "
                + "the bot is temporarily unavailable.",
            .quotaExhausted(.creator)),
        Pattern("There are too many users now. Please try again a bit later.", .busy),
        Pattern(
            "Something wrong occurs, please retry. If the error persists, please contact the support team.", .error),
        Pattern("Some error occurred. Please try again or contact the support team in our communities.", .error),
        Pattern("We've detected unusual traffic from your network, so Coze is temporarily unavailable.", .error),
    ]

    /// How many characters (after normalisation) a canned text may carry beyond its phrase: room
    /// for Coze's upgrade sentence and link, too little for an answer that happens to start with
    /// the phrase.
    static let slack = 400

    /// How many characters a normalised text that matches a pattern, or could still grow into
    /// one, has at most. Past it a text is an answer, so normalising stops there: the whole
    /// answer is classified at its end, and it may be long.
    static let longestFailure = patterns.map(\.normalized.count).max()! + slack

    /// The classification of a reply's whole text.
    public static func classify(_ text: String) -> CozeReplyClassification {
        guard let normalized = normalize(text, unlessLongerThan: longestFailure), !normalized.isEmpty else {
            return .answer
        }
        for pattern in patterns where matches(normalized, pattern) {
            return pattern.classification
        }
        return .answer
    }

    /// Whether `text` could still grow into a canned failure text: it is empty or a leading part
    /// of a known phrase (or already one). The reply tracker holds such text back instead of
    /// streaming it, so that a quota message never reaches a client as the start of an answer.
    public static func mayBecomeFailure(_ text: String) -> Bool {
        guard let normalized = normalize(text, unlessLongerThan: longestFailure) else { return false }
        guard !normalized.isEmpty else { return true }
        return patterns.contains { $0.normalized.hasPrefix(normalized) || matches(normalized, $0) }
    }

    private static func matches(_ normalized: String, _ pattern: Pattern) -> Bool {
        normalized.hasPrefix(pattern.normalized) && normalized.count <= pattern.normalized.count + slack
    }

    /// What ``normalize(_:)`` trims from the end (with spaces).
    private static let trailingPunctuation: Set<Character> = [".", "!", "?", "。", "！", "？", "…"]
    /// The ASCII ones, checked by byte on the fast path of ``normalize(_:unlessLongerThan:)``.
    private static let trailingPunctuationASCII: [UInt8] = trailingPunctuation.compactMap(\.asciiValue)

    /// Lower case, typographic quotes made straight, every whitespace run one space, no leading or
    /// trailing whitespace, no trailing sentence punctuation.
    static func normalize(_ text: String) -> String {
        normalize(text, unlessLongerThan: .max)!
    }

    /// ``normalize(_:)``, or `nil` as soon as the result is sure to be longer than `limit`
    /// characters: more than `limit` of them are ones the trailing trim cannot remove.
    static func normalize(_ text: String, unlessLongerThan limit: Int) -> String? {
        // Built as UTF-8 bytes, and ASCII (most text) classified by its byte, without the Unicode
        // property lookups, the String that `lowercased()` allocates and the hashing of a
        // `Set<Character>` lookup per character: a whole answer's end is classified on the
        // gateway's event loop before its last chunk goes out.
        let space = UInt8(ascii: " ")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(text.utf8.count, limit))
        var kept = 0
        var pendingSpace = false
        for character in text {
            let ascii = character.asciiValue
            let isWhitespace = ascii.map { $0 == space || (0x09...0x0D).contains($0) } ?? character.isWhitespace
            if isWhitespace {
                pendingSpace = !bytes.isEmpty
                continue
            }
            if pendingSpace {
                bytes.append(space)
                pendingSpace = false
            }
            let isTrailingPunctuation: Bool
            if let ascii {
                switch ascii {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(ascii + 32)
                case UInt8(ascii: "`"): bytes.append(UInt8(ascii: "'"))
                default: bytes.append(ascii)
                }
                isTrailingPunctuation = trailingPunctuationASCII.contains(ascii)
            } else {
                switch character {
                case "\u{2018}", "\u{2019}", "\u{02BC}": bytes.append(UInt8(ascii: "'"))
                case "\u{201C}", "\u{201D}": bytes.append(UInt8(ascii: "\""))
                default: bytes.append(contentsOf: character.lowercased().utf8)
                }
                isTrailingPunctuation = trailingPunctuation.contains(character)
            }
            if !isTrailingPunctuation {
                kept += 1
                if kept > limit { return nil }
            }
        }
        var result = String(decoding: bytes, as: UTF8.self)
        while let last = result.last, trailingPunctuation.contains(last) || last == " " {
            result.removeLast()
        }
        return result
    }
}
