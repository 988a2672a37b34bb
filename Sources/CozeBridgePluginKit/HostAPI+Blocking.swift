import Foundation

extension HostAPI {
    /// Runs a blocking call (one marked "Blocks", or any core call that may wait) on a thread of
    /// its own, off Swift concurrency's small cooperative pool, and returns its result.
    ///
    /// ```swift
    /// try await host.blocking { try host.createConversation(key: key, name: name) }
    /// ```
    public func blocking<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Swift.Result { try body() })
            }
            thread.name = "cozebridge-plugin-blocking"
            thread.start()
        }
    }
}
