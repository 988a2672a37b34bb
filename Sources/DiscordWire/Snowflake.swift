import NIOConcurrencyHelpers

/// A Discord id: milliseconds since the Discord epoch in the top 42 bits, then worker, process
/// and a 12-bit increment. Serialized as a decimal string.
public struct Snowflake: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 2015-01-01T00:00:00Z in Unix milliseconds.
    public static let discordEpochMilliseconds: UInt64 = 1_420_070_400_000

    public let rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Parses the decimal form; `nil` for anything else.
    public init?(_ text: String) {
        guard let value = UInt64(text) else { return nil }
        self.rawValue = value
    }

    /// The smallest snowflake of a Unix millisecond, for time-based pagination.
    public init(unixMilliseconds: UInt64) {
        self.rawValue = (unixMilliseconds &- Snowflake.discordEpochMilliseconds) << 22
    }

    /// When the id was made, in Unix milliseconds.
    public var unixMilliseconds: UInt64 {
        (rawValue >> 22) + Snowflake.discordEpochMilliseconds
    }

    public var description: String { String(rawValue) }

    public static func < (lhs: Snowflake, rhs: Snowflake) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// Makes strictly increasing snowflakes that carry the time they were made. Thread-safe.
public final class SnowflakeGenerator: Sendable {
    private struct State {
        var lastMilliseconds: UInt64 = 0
        var increment: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    private let workerAndProcess: UInt64
    private let clock: @Sendable () -> UInt64

    /// - Parameters:
    ///   - worker: 5-bit worker id.
    ///   - process: 5-bit process id.
    ///   - clock: Unix milliseconds now; injectable for tests.
    public init(worker: UInt64 = 1, process: UInt64 = 0, clock: @escaping @Sendable () -> UInt64 = WallClock.unixMilliseconds) {
        self.workerAndProcess = (worker & 0x1F) << 17 | (process & 0x1F) << 12
        self.clock = clock
    }

    public func next() -> Snowflake {
        let now = clock()
        return state.withLockedValue { state in
            if now > state.lastMilliseconds {
                state.lastMilliseconds = now
                state.increment = 0
            } else {
                // Same millisecond (or the clock went back): borrow the next millisecond once the
                // 12-bit increment is used up, so ids stay strictly increasing.
                state.increment += 1
                if state.increment > 0xFFF {
                    state.lastMilliseconds += 1
                    state.increment = 0
                }
            }
            let milliseconds = state.lastMilliseconds - Snowflake.discordEpochMilliseconds
            return Snowflake(milliseconds << 22 | workerAndProcess | state.increment)
        }
    }
}
