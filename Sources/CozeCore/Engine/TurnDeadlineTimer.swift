import NIOCore
import NIOPosix
import Synchronization

/// Calls `fire` once the turn's current deadline has passed.
///
/// A turn's deadline moves later with every edit of the reply, and a thousand turns in flight
/// each polling on a fixed tick cost more wake-ups than the edits themselves. So one scheduled
/// task serves each turn: a later deadline is only noted, and the task, when it runs at the old
/// one, schedules itself again for the new one. Only a deadline earlier than the scheduled one
/// (the first reply arriving, a reconnect ending) replaces it.
///
/// The task is scheduled on an event loop, the gateway connection's when the turn passes it:
/// the edits that move the deadline, the first reply that replaces it and the terminal event that
/// stops it all arrive on that loop, where scheduling and cancelling wake no thread. A sleeping
/// Swift task woke a pool thread at each of those moments, just as a chunk was on its way.
final class TurnDeadlineTimer: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant?
        /// When the scheduled task runs; `nil` when none is scheduled.
        var scheduledWake: ContinuousClock.Instant?
        var scheduled: Scheduled<Void>?
        /// Tells a replaced task that runs anyway to do nothing.
        var generation = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop
    private let fire: @Sendable () -> Void

    /// `fire` runs on `eventLoop` (`nil`: one of the shared group's), once per deadline that
    /// passes; it must not block.
    init(on eventLoop: (any EventLoop)? = nil, fire: @escaping @Sendable () -> Void) {
        self.eventLoop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        self.fire = fire
    }

    /// Makes `deadline` the one to fire at, replacing any earlier one.
    func arm(at deadline: ContinuousClock.Instant) {
        let replaced: Scheduled<Void>? = state.withLock { state in
            guard !state.stopped else { return nil }
            state.deadline = deadline
            if let wake = state.scheduledWake, wake <= deadline { return nil }
            state.generation += 1
            let replaced = state.scheduled
            state.scheduledWake = deadline
            state.scheduled = schedule(at: deadline, generation: state.generation)
            return replaced
        }
        replaced?.cancel()
    }

    /// Cancels the scheduled task; `fire` is not called after this returns, except by a call in
    /// progress.
    func stop() {
        let scheduled = state.withLock { state in
            state.stopped = true
            state.scheduledWake = nil
            return state.scheduled.take()
        }
        scheduled?.cancel()
    }

    private func schedule(at wake: ContinuousClock.Instant, generation: Int) -> Scheduled<Void> {
        eventLoop.scheduleTask(in: TimeAmount(max(.zero, wake - ContinuousClock.now))) { [self] in
            run(plannedFor: wake, generation: generation)
        }
    }

    private enum Action {
        case fire
        case nothing
    }

    private func run(plannedFor wake: ContinuousClock.Instant, generation: Int) {
        let action: Action = state.withLock { state in
            guard state.generation == generation, !state.stopped else { return .nothing }
            if let deadline = state.deadline, deadline > wake {
                // Moved later since: run again then (on this loop, so no thread is woken).
                state.scheduledWake = deadline
                state.scheduled = schedule(at: deadline, generation: generation)
                return .nothing
            }
            state.scheduledWake = nil
            state.scheduled = nil
            state.deadline = nil
            return .fire
        }
        if case .fire = action { fire() }
    }
}
