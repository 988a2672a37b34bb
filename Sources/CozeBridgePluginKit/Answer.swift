import CozeBridgeHeaders

/// A complete answer (`coze_answer`), copied out of the core's memory.
public struct Answer: Hashable, Sendable {
    /// The final text.
    public var text: String
    /// The images, in order of appearance.
    public var images: [AnswerImage]
    /// The suggestion buttons Coze offered after the answer (may be none).
    public var suggestions: [String]
    /// How the end was detected: "suggestions" or "idle".
    public var completion: String

    public init(text: String, images: [AnswerImage] = [], suggestions: [String] = [], completion: String = "") {
        self.text = text
        self.images = images
        self.suggestions = suggestions
        self.completion = completion
    }

    /// Copies a borrowed `coze_answer`.
    public init(_ answer: UnsafePointer<coze_answer>) {
        let value = answer.pointee
        self.init(
            text: CString.string(value.text, length: value.text_length),
            images: CString.buffer(value.images, count: value.image_count).map(AnswerImage.init),
            suggestions: CString.strings(value.suggestions, count: value.suggestion_count),
            completion: value.completion.map { String(cString: $0) } ?? "")
    }
}
