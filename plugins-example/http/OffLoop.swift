/// Work on a request body that can take long, kept off the connection's event loop.
///
/// Requests are answered on their connection's loop (``HummingbirdCore/HTTPServerBuilder``
/// `http1OnConnectionLoop`), and that loop also writes the chunks of every stream it serves.
/// Decoding a body, composing it into a prompt and counting its tokens grow with the body, which
/// may be as large as `MaxBodyBytes` (16 MiB by default), so a large body's work goes to the
/// global pool instead. Small bodies stay on the loop: moving them would cost two thread
/// hand-offs for little work.
enum OffLoop {
    /// Bodies larger than this are worked on off the loop.
    static let bodyBytes = 64 * 1024

    /// Runs `operation` on the global pool when `bytes` is over ``bodyBytes``, else where the
    /// caller runs.
    static func run<T>(bytes: Int, _ operation: () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(bytes > bodyBytes ? globalConcurrentExecutor : nil) {
            try await operation()
        }
    }
}
