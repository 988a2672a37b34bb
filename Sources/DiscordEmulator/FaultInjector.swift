import NIOConcurrencyHelpers

/// REST faults switched on from the control endpoint: server errors and added latency.
/// (Forced 429s live in the rate limiter, where real ones come from.)
final class FaultInjector: Sendable {
    private struct State {
        var serverErrorsRemaining = 0
        var serverErrorStatus = 500
        var latencyMilliseconds = 0
    }

    private let state = NIOLockedValueBox(State())

    func failNextRequests(count: Int, status: Int) {
        state.withLockedValue {
            $0.serverErrorsRemaining = max(0, count)
            $0.serverErrorStatus = status
        }
    }

    func setLatency(milliseconds: Int) {
        state.withLockedValue { $0.latencyMilliseconds = max(0, milliseconds) }
    }

    func clear() {
        state.withLockedValue { $0 = State() }
    }

    /// The status to fail this request with, consuming one injected error, or `nil`.
    func takeServerError() -> Int? {
        state.withLockedValue { state in
            guard state.serverErrorsRemaining > 0 else { return nil }
            state.serverErrorsRemaining -= 1
            return state.serverErrorStatus
        }
    }

    var latencyMilliseconds: Int { state.withLockedValue { $0.latencyMilliseconds } }
}
