/// One step of a conversation turn as a consumer sees it.
///
/// The text contract: start with an empty text; append every ``delta(_:)``; on
/// ``correction(fullText:)`` replace the whole text with `fullText`. After the terminal
/// ``done(_:)`` the text built this way is exactly ``TurnResult/text`` (compared by Unicode
/// scalars, not merely by canonical equivalence). Streaming consumers that cannot take back what
/// they already sent (an OpenAI SSE stream) can treat a correction as "the rest of the text is
/// `fullText` minus the common prefix", but must not assume corrections only grow the text.
///
/// Exactly one terminal event (``done(_:)`` or ``failed(_:)``) ends every turn; nothing follows it.
public enum TurnEvent: Sendable, Hashable {
    /// New text to append to what was shown so far.
    case delta(String)
    /// Coze rewrote text that was already shown (e.g. it re-rendered a list): replace everything
    /// shown so far with `fullText`.
    case correction(fullText: String)
    /// An image of the answer, reported once per URL as soon as it is complete.
    case image(TurnImage)
    /// The suggestion-button labels of the final edit, right before ``done(_:)``.
    case suggestions([String])
    /// The answer is complete.
    case done(TurnResult)
    /// The turn ended without an answer.
    case failed(TurnError)

    /// Whether this event ends the turn.
    public var isTerminal: Bool {
        switch self {
        case .done, .failed: return true
        case .delta, .correction, .image, .suggestions: return false
        }
    }
}
