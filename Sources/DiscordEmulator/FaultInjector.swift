import NIOConcurrencyHelpers

/// REST faults switched on from the control endpoint: server errors and added latency.
/// (Forced 429s live in the rate limiter, where real ones come from.)
final class FaultInjector: Sendable {
    private struct State {
        var serverErrorsRemaining = 0
        var serverErrorStatus = 500
        var serverErrorsAfterProcessing = false
        var latencyMilliseconds = 0
    }

    private let state = NIOLockedValueBox(State())

    func failNextRequests(count: Int, status: Int, afterProcessing: Bool = false) {
        state.withLockedValue {
            $0.serverErrorsRemaining = max(0, count)
            $0.serverErrorStatus = status
            $0.serverErrorsAfterProcessing = afterProcessing
        }
    }

    func setLatency(milliseconds: Int) {
        state.withLockedValue { $0.latencyMilliseconds = max(0, milliseconds) }
    }

    func clear() {
        state.withLockedValue { $0 = State() }
    }

    /// The status to fail this request with, and whether the request is carried out first,
    /// consuming one injected error; `nil` when none is left.
    func takeServerError() -> (status: Int, afterProcessing: Bool)? {
        state.withLockedValue { state in
            guard state.serverErrorsRemaining > 0 else { return nil }
            state.serverErrorsRemaining -= 1
            return (state.serverErrorStatus, state.serverErrorsAfterProcessing)
        }
    }

    var latencyMilliseconds: Int { state.withLockedValue { $0.latencyMilliseconds } }
}
