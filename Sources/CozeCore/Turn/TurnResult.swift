import DiscordWire

/// A finished answer: what `.done` carries.
public struct TurnResult: Sendable, Hashable {
    /// Why the turn counts as finished.
    public enum Completion: String, Sendable, Hashable {
        /// The final edit added Coze's suggestion buttons: the bot said it was done.
        case suggestions
        /// No buttons came (auto-suggestion off, refusals, some long answers) and the reply stayed
        /// unchanged for the idle timeout.
        case idle
    }

    /// The whole answer text: the final content of every message of the reply, joined as
    /// ``ReplyTracker/messageSeparator`` describes. Equal to the concatenation of all `.delta`
    /// texts, with each `.correction` replacing what came before it.
    public var text: String
    /// The images of the answer, each URL once, in order of appearance.
    public var images: [TurnImage]
    /// The suggestion-button labels of the final edit (empty when the turn ended on idle).
    public var suggestions: [String]
    /// The Coze messages that make up the answer, in order (the reply first; more for a split
    /// answer).
    public var messageIDs: [Snowflake]
    /// How the end was detected.
    public var completion: Completion

    public init(
        text: String, images: [TurnImage], suggestions: [String], messageIDs: [Snowflake], completion: Completion
    ) {
        self.text = text
        self.images = images
        self.suggestions = suggestions
        self.messageIDs = messageIDs
        self.completion = completion
    }
}
