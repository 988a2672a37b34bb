import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import CozeCore

/// The timer that replaced the turns' fixed 50 ms tick: one wake-up per deadline, not per tick.
@Suite struct TurnDeadlineTimerTests {
    /// Records when `fire` ran.
    final class Firings: Sendable {
        private let times = Synchronization.Mutex<[ContinuousClock.Instant]>([])
        func record() { times.withLock { $0.append(.now) } }
        var all: [ContinuousClock.Instant] { times.withLock { $0 } }
    }

    @Test func firesOnceWhenTheDeadlinePasses() async throws {
        let firings = Firings()
        let timer = TurnDeadlineTimer { firings.record() }
        let start = ContinuousClock.now
        timer.arm(at: start + .milliseconds(100))
        // Not before the deadline: checked on the firing's own time, not on a test sleep that a
        // loaded machine can stretch past it.
        #expect(await eventuallyTrue { firings.all.count == 1 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(firings.all.count == 1)
        #expect(try #require(firings.all.first) - start >= .milliseconds(100))
        timer.stop()
    }

    @Test func aLaterDeadlineIsWhatFiresNotTheOneItReplaced() async throws {
        let firings = Firings()
        let timer = TurnDeadlineTimer { firings.record() }
        let start = ContinuousClock.now
        timer.arm(at: start + .milliseconds(2000))
        // Like edits arriving: each moves the deadline later, long before it passes (the slack
        // is for sanitizer builds on a busy machine).
        for step in 1...3 {
            try await Task.sleep(for: .milliseconds(10))
            timer.arm(at: start + .milliseconds(2000 + 100 * step))
        }
        #expect(await eventuallyTrue { firings.all.count == 1 })
        #expect(try #require(firings.all.first) - start >= .milliseconds(2300))
        try await Task.sleep(for: .milliseconds(150))
        #expect(firings.all.count == 1)
        timer.stop()
    }

    @Test func anEarlierDeadlineReplacesTheSleeper() async throws {
        let firings = Firings()
        let timer = TurnDeadlineTimer { firings.record() }
        let start = ContinuousClock.now
        timer.arm(at: start + .seconds(30))
        timer.arm(at: start + .milliseconds(50))
        #expect(await eventuallyTrue { firings.all.count == 1 })
        #expect(try #require(firings.all.first) - start < .seconds(20))
        timer.stop()
    }

    @Test func rearmedAfterFiringItFiresAgainAndStopSilencesIt() async throws {
        let firings = Firings()
        let timer = TurnDeadlineTimer { firings.record() }
        timer.arm(at: .now + .milliseconds(20))
        #expect(await eventuallyTrue { firings.all.count == 1 })
        timer.arm(at: .now + .milliseconds(20))
        #expect(await eventuallyTrue { firings.all.count == 2 })
        timer.arm(at: .now + .milliseconds(100))
        timer.stop()
        timer.arm(at: .now + .milliseconds(10))
        try await Task.sleep(for: .milliseconds(300))
        #expect(firings.all.count == 2)
    }

    @Test func firesOnTheEventLoopItWasGivenAndSleepsOnThere() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let firings = Synchronization.Mutex<[(onLoop: Bool, at: ContinuousClock.Instant)]>([])
        let timer = TurnDeadlineTimer(on: loop) { firings.withLock { $0.append((loop.inEventLoop, .now)) } }
        let start = ContinuousClock.now
        // Moved later before it passes, on the loop as the gateway's edits do (one job, so a busy
        // machine cannot let the first deadline pass in between): the task that runs at 50 ms
        // schedules itself again for 150 ms.
        try await loop.submit {
            timer.arm(at: start + .milliseconds(50))
            timer.arm(at: start + .milliseconds(150))
        }.get()
        #expect(await eventuallyTrue { firings.withLock { !$0.isEmpty } })
        try await Task.sleep(for: .milliseconds(100))
        let all = firings.withLock { $0 }
        #expect(all.map(\.onLoop) == [true], "once, on the loop")
        #expect(try #require(all.first).at - start >= .milliseconds(150))
        timer.stop()
    }
}
