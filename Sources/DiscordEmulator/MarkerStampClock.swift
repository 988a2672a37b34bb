import DiscordWire
import NIOConcurrencyHelpers

/// Unix time in nanoseconds for `timestamp_markers`, never the same value twice.
///
/// Benchmarks key each edit by its marker. Replies run on several threads, so two edits stamped
/// in the same clock tick (or with the clock stepped back) would look like one edit and hide a
/// lost one; each stamp is therefore at least one nanosecond after the previous stamp.
final class MarkerStampClock: Sendable {
    /// The process's clock, shared by every reply.
    static let shared = MarkerStampClock(now: WallClock.unixNanoseconds)

    private let now: @Sendable () -> UInt64
    private let last = NIOLockedValueBox<UInt64>(0)

    /// `now` reads the wall clock (the benchmark client compares stamps with its own); tests pass a
    /// frozen one.
    init(now: @escaping @Sendable () -> UInt64) {
        self.now = now
    }

    /// The current time, or one nanosecond after the previous stamp when the clock has not moved past it.
    func stamp() -> UInt64 {
        let reading = now()
        return last.withLockedValue { last in
            last = max(reading, last + 1)
            return last
        }
    }
}

// MARK: - The marker's text

extension MarkerStampClock {
    /// A marker is `[t=NS]`, NS being a stamp in decimal; it follows the text an edit added.
    private static let markerOpening = "[t="
    private static let markerClosing: Character = "]"

    /// A new stamp as the marker that follows an edit's new text.
    func marker() -> String {
        Self.markerOpening + String(stamp()) + String(Self.markerClosing)
    }

    /// The newest `[t=NS]` marker in `content` (the one its edit added), if any.
    static func newestMarker(in content: String) -> UInt64? {
        let bytes = Array(content.utf8)
        let opening = Array(markerOpening.utf8)
        var open = bytes.count - opening.count
        while open >= 0 {
            defer { open -= 1 }
            guard bytes[open..<(open + opening.count)].elementsEqual(opening) else { continue }
            let digits = bytes[(open + opening.count)...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard digits.endIndex < bytes.count, bytes[digits.endIndex] == markerClosing.asciiValue,
                let value = UInt64(String(decoding: digits, as: UTF8.self))
            else { continue }
            return value
        }
        return nil
    }
}
