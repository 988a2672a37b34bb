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
