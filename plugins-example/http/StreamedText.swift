/// What a streamed answer has shown its client, and what to send next.
///
/// A server-sent stream cannot take text back. When Coze rewrites text already shown (a
/// correction), the client keeps what it has and gets only the text past the position it has
/// already seen (counted in Unicode scalars), so a rewrite of the same length, the usual case
/// (list markers, formatting), loses nothing new; the rewritten part itself stays as first shown.
/// The final answer then differs from what the client shows, and a later request carrying it back
/// no longer matches the stored history (it continues as a new conversation with context).
struct StreamedText: Sendable {
    /// The core's current text (deltas appended, corrections replacing it).
    private(set) var current = ""
    /// How many scalars of text the client has.
    private(set) var sentScalars = 0
    /// Whether a correction made the client's text differ from the core's.
    private(set) var diverged = false
    /// Whether the client has as many scalars as ``current``: then a delta is all new, and its
    /// text is sent as it is, without counting the whole answer's scalars on every chunk.
    private var caughtUp = true

    /// Applies a delta; returns the text to send (nil when nothing is new).
    mutating func append(_ delta: String) -> String? {
        current += delta
        guard caughtUp else { return flush() }
        guard !delta.isEmpty else { return nil }
        sentScalars += delta.unicodeScalars.count
        return delta
    }

    /// Applies a correction (the whole text so far); returns the text to send.
    mutating func replace(with full: String) -> String? {
        if !full.unicodeScalars.starts(with: current.unicodeScalars) { diverged = true }
        current = full
        return flush()
    }

    private mutating func flush() -> String? {
        let scalars = current.unicodeScalars
        let count = scalars.count
        caughtUp = count >= sentScalars
        guard count > sentScalars else { return nil }
        let new = String(String.UnicodeScalarView(scalars.dropFirst(sentScalars)))
        sentScalars = count
        return new
    }
}
