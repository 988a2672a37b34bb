import Synchronization

/// Calls `fire` once the turn's current deadline has passed.
///
/// A turn's deadline moves later with every edit of the reply, and a thousand turns in flight
/// each polling on a fixed tick cost more wake-ups than the edits themselves. So one sleeping
/// task serves each turn: a later deadline is only noted, and the sleeper, when it wakes at the
/// old one, sleeps on to the new one. Only a deadline earlier than the sleeper's wake-up (the
/// first reply arriving, a reconnect ending) replaces the sleeper.
final class TurnDeadlineTimer: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant?
        /// When the current sleeper wakes; `nil` when none sleeps.
        var sleeperWake: ContinuousClock.Instant?
        var sleeper: Task<Void, Never>?
        /// Tells a replaced sleeper that woke anyway to do nothing.
        var generation = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let fire: @Sendable () -> Void

    /// `fire` runs on the sleeper's task, once per deadline that passes; it must not block.
    init(fire: @escaping @Sendable () -> Void) {
        self.fire = fire
    }

    /// Makes `deadline` the one to fire at, replacing any earlier one.
    func arm(at deadline: ContinuousClock.Instant) {
        state.withLock { state in
            guard !state.stopped else { return }
            state.deadline = deadline
            if let wake = state.sleeperWake, wake <= deadline { return }
            state.sleeper?.cancel()
            state.generation += 1
            let generation = state.generation
            state.sleeperWake = deadline
            state.sleeper = Task { [self] in await self.sleep(until: deadline, generation: generation) }
        }
    }

    /// Cancels the sleeper; `fire` is not called after this returns, except by a call in progress.
    func stop() {
        let sleeper = state.withLock { state in
            state.stopped = true
            state.sleeperWake = nil
            return state.sleeper.take()
        }
        sleeper?.cancel()
    }

    private enum Wake {
        case sleepOn(ContinuousClock.Instant)
        case fire
        case quit
    }

    private func sleep(until first: ContinuousClock.Instant, generation: Int) async {
        var wake = first
        while true {
            do { try await Task.sleep(until: wake, clock: .continuous) } catch { return }
            let next: Wake = state.withLock { state in
                guard state.generation == generation, !state.stopped else { return .quit }
                if let deadline = state.deadline, deadline > wake {
                    state.sleeperWake = deadline
                    return .sleepOn(deadline)
                }
                state.sleeperWake = nil
                state.sleeper = nil
                state.deadline = nil
                return .fire
            }
            switch next {
            case .sleepOn(let deadline): wake = deadline
            case .fire: fire(); return
            case .quit: return
            }
        }
    }
}
