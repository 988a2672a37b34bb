/// One event of a streamed turn (see ``HostAPI/stream(key:conversation:prompt:images:)``).
///
/// A stream yields any number of `delta`, `correction`, `image` and `suggestions` events, then
/// `done` and finishes; a turn that fails finishes the stream by throwing a ``CozeError``.
public enum StreamEvent: Hashable, Sendable {
    /// New text to append to what was shown.
    case delta(String)
    /// Coze rewrote text already shown: everything shown so far is replaced by this full text.
    case correction(String)
    /// An image of the answer, once per URL, as soon as it is complete.
    case image(AnswerImage)
    /// The suggestion buttons, right before `done`.
    case suggestions([String])
    /// The answer is complete (the exact final text, whatever the deltas and corrections were).
    case done(Answer)
}
