import DiscordWire

/// Why a conversation turn ended without an answer.
///
/// Every case's ``description`` says what happened and what the operator can do about it, because
/// these texts end up in API error bodies and logs read by people who never saw Discord.
public enum TurnError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Coze answered with its daily-limit / credits-exhausted text. `cozeText` is that text.
    /// A bot pool takes the bot (``CozeQuotaScope/creator``) or the sender
    /// (``CozeQuotaScope/sender``) out of rotation until the quota resets.
    case quotaExhausted(CozeQuotaScope, cozeText: String)
    /// Coze answered with one of its canned failure texts (overloaded, "something wrong occurs",
    /// unusual traffic). `retryable` is true when resending the prompt later may work.
    case cozeError(cozeText: String, retryable: Bool)
    /// The Coze bot never answered the prompt. `promptAuthoredByBot` says the prompt was posted by
    /// a bot account, the usual cause since Coze stopped answering bots in February 2024;
    /// `cozeTyped` says whether Coze at least showed a typing indicator.
    case noReply(promptAuthoredByBot: Bool, cozeTyped: Bool)
    /// The reply started but then stopped changing for `after` without any usable text or image.
    case idleTimeout(after: Duration)
    /// The turn took longer than the overall limit `after`. `partialText` is what had arrived.
    case overallTimeout(after: Duration, partialText: String)
    /// A message of Coze's reply was deleted while the answer was being followed.
    case replyDeleted(messageID: Snowflake)
    /// Our prompt message was deleted before Coze replied to it.
    case promptDeleted(messageID: Snowflake)
    /// The conversation's channel (or thread) was deleted during the turn.
    case channelDeleted(channelID: Snowflake)
    /// A Discord REST call of the turn (sending the prompt, mostly) failed.
    case discord(status: Int?, code: Int?, message: String)
    /// The caller cancelled the turn.
    case cancelled

    /// A Discord REST failure as a turn error (its full description becomes the message).
    public static func discord(_ error: DiscordHTTPError) -> TurnError {
        .discord(status: error.status, code: error.code, message: error.description)
    }

    /// Whether sending the same prompt again (possibly on another bot of the pool) can succeed
    /// without anyone changing anything.
    public var isRetryable: Bool {
        switch self {
        case .cozeError(_, let retryable): return retryable
        case .idleTimeout, .overallTimeout: return true
        case .discord(let status, _, _): return status.map { $0 >= 500 || $0 == 429 } ?? true
        case .quotaExhausted, .noReply, .replyDeleted, .promptDeleted, .channelDeleted, .cancelled: return false
        }
    }

    public var description: String {
        switch self {
        case .quotaExhausted(.sender, let text):
            return "Coze quota exhausted for the sending account (daily message limit or free credits used up); "
                + "it resets daily — add more sender accounts (user tokens) or bots to the pool. Coze said: \"\(text)\""
        case .quotaExhausted(.creator, let text):
            return "Coze quota exhausted: the bot developer's message credits are used up, so the Coze bot answers "
                + "nobody until they are refilled or reset; the bot is taken out of its pool. Coze said: \"\(text)\""
        case .cozeError(let text, let retryable):
            return "Coze reported an error instead of an answer"
                + (retryable ? " (retry later)" : "") + ": \"\(text)\""
        case .noReply(let byBot, let typed):
            if byBot {
                return "The Coze bot did not reply. The prompt was posted by a bot account, and Coze has ignored "
                    + "messages from bots since February 2024: set this bot's sender mode to `user` "
                    + "(Sender_Mode: user) so that a user token posts the prompts."
            }
            return typed
                ? "The Coze bot started typing but never replied; the Coze bot may be overloaded or the answer failed on Coze's side."
                : "The Coze bot did not reply. Check that it is online in the guild, can see the conversation channel, "
                    + "and that CozeBot_id is its user id."
        case .idleTimeout(let after):
            return "The Coze reply stopped changing for \(Self.seconds(after)) without any text or image."
        case .overallTimeout(let after, let partial):
            return "The turn took longer than \(Self.seconds(after)) (the overall timeout); "
                + (partial.isEmpty ? "no text had arrived." : "\(partial.count) characters had arrived.")
        case .replyDeleted(let id):
            return "The Coze reply message \(id) was deleted before the answer was complete."
        case .promptDeleted(let id):
            return "The prompt message \(id) was deleted before Coze replied to it."
        case .channelDeleted(let id):
            return "The conversation's channel \(id) was deleted during the turn; the conversation must be created again."
        case .discord(let status, let code, let message):
            var text = "Discord refused a request of the turn"
            if let status { text += " (HTTP \(status)" + (code.map { ", code \($0)" } ?? "") + ")" }
            return text + ": " + message
        case .cancelled:
            return "The turn was cancelled."
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}
