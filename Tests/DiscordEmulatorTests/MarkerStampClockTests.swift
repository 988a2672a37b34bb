import DiscordWire
import Testing

@testable import DiscordEmulator

@Suite("MarkerStampClock")
struct MarkerStampClockTests {
    @Test func aClockThatDoesNotMoveStillGivesDistinctIncreasingStamps() {
        let clock = MarkerStampClock(now: { 1_000 })
        let stamps = (0..<5).map { _ in clock.stamp() }
        #expect(stamps == [1_000, 1_001, 1_002, 1_003, 1_004])
    }

    @Test func aClockSteppedBackDoesNotRepeatAStamp() {
        let readings = [UInt64(5_000), 4_000, 6_000]
        let next = ReadingSequence(readings)
        let clock = MarkerStampClock(now: { next.take() })
        #expect([clock.stamp(), clock.stamp(), clock.stamp()] == [5_000, 5_001, 6_000])
    }

    @Test func stampsTakenOnManyThreadsAtOnceAreAllDistinct() async {
        let clock = MarkerStampClock(now: { 42 })
        let stamps = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<8 { group.addTask { (0..<500).map { _ in clock.stamp() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(stamps).count == 4_000)
    }

    @Test func aMarkerIsItsStampInBracketsAndReadsBackAsTheNewest() {
        let clock = MarkerStampClock(now: { 1_700_000_000_123_456_789 })
        let first = clock.marker()
        let second = clock.marker()
        #expect(first == "[t=1700000000123456789]")
        #expect(MarkerStampClock.newestMarker(in: "Hello" + first + " world" + second) == 1_700_000_000_123_456_790)
    }

    @Test func theSharedClockFollowsTheWallClock() {
        // Against the millisecond clock: a stamp in another unit or from another clock fails.
        let before = WallClock.unixMilliseconds()
        let stampMilliseconds = MarkerStampClock.shared.stamp() / 1_000_000
        #expect(stampMilliseconds >= before && stampMilliseconds < before + 60_000)
    }
}

/// Hands out fixed clock readings in order.
private final class ReadingSequence: @unchecked Sendable {
    private var readings: [UInt64]

    init(_ readings: [UInt64]) { self.readings = readings }

    func take() -> UInt64 { readings.removeFirst() }
}
