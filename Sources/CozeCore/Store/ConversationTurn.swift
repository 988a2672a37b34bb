/// How a turn ended.
public enum TurnOutcome: Hashable, Sendable {
    /// The Coze bot's answer was complete.
    case done
    /// The turn failed; `code` is the engine's stable error code (for example `quota_exceeded`).
    case error(code: String)
}

/// One prompt and what came back, as the engine reports it when the turn has finished.
public struct ConversationTurn: Hashable, Sendable {
    /// The user's prompt text as the client sent it (before any Discord mention or attachment).
    public var prompt: String
    /// The final answer text (empty when the turn failed before any text).
    public var answer: String
    /// Images of the answer, as URLs.
    public var imageURLs: [String]
    /// The Coze bot's suggestion buttons, in order.
    public var suggestions: [String]
    /// When the prompt was sent, in Unix milliseconds.
    public var startedAtMilliseconds: UInt64
    /// When the answer completed or the turn failed, in Unix milliseconds.
    public var finishedAtMilliseconds: UInt64
    public var outcome: TurnOutcome

    public init(
        prompt: String,
        answer: String,
        imageURLs: [String] = [],
        suggestions: [String] = [],
        startedAtMilliseconds: UInt64,
        finishedAtMilliseconds: UInt64,
        outcome: TurnOutcome
    ) {
        self.prompt = prompt
        self.answer = answer
        self.imageURLs = imageURLs
        self.suggestions = suggestions
        self.startedAtMilliseconds = startedAtMilliseconds
        self.finishedAtMilliseconds = finishedAtMilliseconds
        self.outcome = outcome
    }
}

/// A turn as stored, with its position in the conversation.
public struct RecordedTurn: Hashable, Sendable {
    /// 1-based position among all turns of the conversation, failed ones included.
    public let sequence: Int
    /// 1-based position among the conversation's ``TurnOutcome/done`` turns; `nil` for failed
    /// turns, which are not part of the history a client sees.
    public let completedIndex: Int?
    public let turn: ConversationTurn

    public init(sequence: Int, completedIndex: Int?, turn: ConversationTurn) {
        self.sequence = sequence
        self.completedIndex = completedIndex
        self.turn = turn
    }
}

/// A (prompt, answer) pair of a chat history, as an OpenAI client resends it.
public struct TurnExchange: Hashable, Sendable {
    public var prompt: String
    public var answer: String

    public init(prompt: String, answer: String) {
        self.prompt = prompt
        self.answer = answer
    }
}

/// A conversation whose completed-turn history starts with the exchanges that were asked for.
public struct TurnHistoryMatch: Hashable, Sendable {
    public let conversation: Conversation
    /// How many exchanges matched (the length of the query).
    public let matchedTurnCount: Int

    /// `true` when the conversation has no completed turns beyond the match, so the client's
    /// next prompt continues it exactly; `false` when the client's history is a strict prefix
    /// (for example a regenerated or edited message).
    public var isExactContinuation: Bool { conversation.completedTurnCount == matchedTurnCount }

    public init(conversation: Conversation, matchedTurnCount: Int) {
        self.conversation = conversation
        self.matchedTurnCount = matchedTurnCount
    }
}
