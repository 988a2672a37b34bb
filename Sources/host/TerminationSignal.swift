import Foundation

/// SIGINT and SIGTERM, blocked in every thread and taken synchronously with sigwait(), so that a
/// signal arriving at any moment after ``block()`` stops the host cleanly.
struct TerminationSignal {
    private let set: sigset_t

    /// Blocks SIGINT and SIGTERM for the calling thread and every thread it creates afterwards;
    /// call it first thing, while the process has one thread.
    static func block() -> TerminationSignal {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        return TerminationSignal(set: set)
    }

    /// Waits for SIGINT or SIGTERM (also one that arrived before this call) and returns it.
    func wait() -> Int32 {
        var set = self.set
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
