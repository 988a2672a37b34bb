import Dispatch
import Synchronization

/// Lets the host's thread, blocked in `init`, wait for the servers to listen, or for the first
/// reason they cannot.
final class StartupLatch: Sendable {
    private struct State {
        var pending: Int
        var failure: String?
        var listening: [String] = []
    }

    private let state: Mutex<State>
    private let semaphore = DispatchSemaphore(value: 0)

    /// A latch that opens after `servers` reports of ``listening(_:)`` or the first failure.
    init(servers: Int) {
        state = Mutex(State(pending: servers))
    }

    /// A server is listening at `address`.
    func listening(_ address: String) {
        let open = state.withLock { state -> Bool in
            state.listening.append(address)
            state.pending -= 1
            return state.pending == 0 && state.failure == nil
        }
        if open { semaphore.signal() }
    }

    /// The servers stopped before listening, or could not start; returns whether this was the
    /// startup's outcome (false once the servers listen, or after an earlier failure).
    @discardableResult
    func failed(_ reason: String) -> Bool {
        let first = state.withLock { state -> Bool in
            guard state.failure == nil, state.pending > 0 else { return false }
            state.failure = reason
            return true
        }
        if first { semaphore.signal() }
        return first
    }

    /// Waits; returns the addresses listened on, or throws the failure.
    func wait(timeout: Duration) throws(HTTPPlugin.StartFailure) -> [String] {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if semaphore.wait(timeout: .now() + seconds) == .timedOut {
            throw HTTPPlugin.StartFailure(description: "The HTTP server did not start listening within \(timeout).")
        }
        return try state.withLock { state throws(HTTPPlugin.StartFailure) in
            if let failure = state.failure { throw HTTPPlugin.StartFailure(description: failure) }
            return state.listening
        }
    }
}
