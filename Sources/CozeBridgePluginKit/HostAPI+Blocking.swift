import Foundation

extension HostAPI {
    /// Runs a blocking call (one marked "Blocks", or any core call that may wait) on a thread of
    /// its own, off Swift concurrency's small cooperative pool, and returns its result. The
    /// threads are reused (``BlockingThreadPool``); a call never waits for another to end.
    ///
    /// ```swift
    /// try await host.blocking { try host.createConversation(key: key, name: name) }
    /// ```
    public func blocking<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            BlockingThreadPool.shared.run {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }
}
