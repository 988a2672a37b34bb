import CCozeBridge
import Dispatch
import Synchronization

/// Runs async work to completion from a plain (C) thread and waits for it.
///
/// The C API's blocking calls come from threads the caller owns; they park on a semaphore while
/// the work runs on Swift's own executors. (Never call this from a Swift concurrency thread: with
/// every pool thread parked nothing would run the work — the header documents it.)
enum Blocking {
    /// The result, or `nil` when `timeout` passed first (the task is then cancelled and left to
    /// finish on its own; whatever it returns is dropped).
    /// `group`, when given, is entered until the work has ended (also after a timeout).
    /// From a `COZE_STREAM_DIRECT` callback it fails at once with `COZE_EREENTRANT`: that thread
    /// may be one the work itself needs.
    static func run<T: Sendable>(
        timeout: Duration? = nil, group: DispatchGroup? = nil, _ operation: @escaping @Sendable () async throws -> T
    ) -> Result<T, any Error>? {
        do { try refuseInDirectCallback("A blocking function") } catch { return .failure(error) }
        let box = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        group?.enter()
        let task = Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            box.withLock { $0 = result }
            done.signal()
            group?.leave()
        }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let nanoseconds = Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000)
            if done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
                task.cancel()
                return nil
            }
        } else {
            done.wait()
        }
        return box.withLock { $0 }
    }

    /// Throws `COZE_EREENTRANT` on a thread that runs a `COZE_STREAM_DIRECT` callback, which
    /// must not block (it may be a thread the awaited work needs).
    static func refuseInDirectCallback(_ function: String) throws {
        guard czb_in_direct_callback() != 0 else { return }
        throw CFailure(
            COZE_EREENTRANT,
            "\(function) was called from a COZE_STREAM_DIRECT callback, which must not block; call it from another thread.")
    }

    /// ``run(timeout:group:_:)`` without a timeout, rethrowing the operation's error.
    static func wait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        try run(timeout: nil, group: nil, operation)!.get()
    }

    /// Parks the calling (C) thread.
    static func sleep(milliseconds: Int) {
        _ = DispatchSemaphore(value: 0).wait(timeout: .now() + .milliseconds(milliseconds))
    }

    /// A C timeout in milliseconds: 0 (or less) means no limit.
    static func timeout(milliseconds: Int32) -> Duration? {
        milliseconds > 0 ? .milliseconds(Int64(milliseconds)) : nil
    }
}
