/// Work on a request body that can take long, kept off the connection's event loop.
///
/// Requests are answered on their connection's loop (``HummingbirdCore/HTTPServerBuilder``
/// `http1OnConnectionLoop`), and that loop also writes the chunks of every stream it serves. A
/// body of up to `MaxBodyBytes` (16 MiB by default) takes tens of milliseconds to decode, to
/// compose into a prompt and to count in tokens; such work goes to the global pool instead.
/// Small bodies stay on the loop: moving them would cost two thread hand-offs for microseconds
/// of work.
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
