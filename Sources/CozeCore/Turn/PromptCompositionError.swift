/// Why a prompt cannot be sent.
public enum PromptCompositionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Neither text nor images.
    case emptyPrompt
    /// The prompt does not fit in one message and long prompts are refused
    /// (``PromptComposer/Options/refusesLongPrompts``, the seed's `Disable_2000Limit_Unlock`).
    /// `length` and `limit` are in UTF-16 code units, mention included.
    case promptTooLong(length: Int, limit: Int)
    /// Even as a `.txt` attachment the prompt is over the upload limit.
    case promptFileTooLarge(bytes: Int, limit: Int)
    /// Image number `index` (0-based, in the order given) was refused.
    case invalidImage(index: Int, PromptImage.Problem)
    /// More files than Discord allows on one message.
    case tooManyAttachments(count: Int, limit: Int)

    public var description: String {
        switch self {
        case .emptyPrompt:
            return "The prompt is empty: send some text or an image."
        case .promptTooLong(let length, let limit):
            return "The prompt is \(length) characters with the mention, over Discord's limit of \(limit), and long "
                + "prompts are refused by configuration (Disable_2000Limit_Unlock); shorten it or allow long prompts "
                + "to have it sent as a .txt attachment."
        case .promptFileTooLarge(let bytes, let limit):
            return "The prompt is \(bytes) bytes, over Discord's upload limit of \(limit) bytes even as an attachment."
        case .invalidImage(let index, let problem):
            return "Image \(index + 1) cannot be sent: \(problem)."
        case .tooManyAttachments(let count, let limit):
            return "The prompt needs \(count) attachments, but a Discord message holds at most \(limit)."
        }
    }
}
