import Foundation

extension Process {
    /// Waits until the process has exited, polling, so no thread blocks meanwhile.
    ///
    /// `waitUntilExit()` blocks the calling thread, and a test's thread is one of Swift's
    /// cooperative threads, as many as the machine has CPUs. Under AddressSanitizer, three tests
    /// waiting that way for Python for 5.6 s held both threads of a 2-CPU machine, and other
    /// tests' timers could not fire meanwhile.
    ///
    /// - Parameter timeout: how long to wait at most; `nil` waits as long as it takes.
    /// - Returns: `false` when the process was still running at `timeout`.
    @discardableResult
    public func exited(within timeout: Duration? = nil) async -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while isRunning {
            if let deadline, ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
