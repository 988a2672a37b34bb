import Dispatch

/// Runs a turn's store writes on a thread of their own.
///
/// Every write commits with `synchronous=FULL`, so it waits for an `fsync` (0.3 ms typical, a few
/// ms at worst on the project's machines). Done by the turn's task, that wait would hold one of
/// the cooperative pool's threads (as many as there are cores), which every turn's task and the
/// plugins' request handlers share: a hundred turns getting their first reply or ending within
/// the same second would keep the pool waiting on the disk. Here the wait holds a thread nothing
/// else needs, and the turn's task is suspended meanwhile. One queue keeps the writes in order.
final class StoreWriteQueue: Sendable {
    private let queue = DispatchQueue(label: "cozebridge.store-writes")

    /// Runs `write` and returns once it has run.
    func run(_ write: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                write()
                done.resume()
            }
        }
    }

    /// Queues `write` without waiting for it: for a write whose outcome nobody waits for. It runs
    /// before anything queued later, so a later ``run(_:)`` returns after it too.
    func submit(_ write: @escaping @Sendable () -> Void) {
        queue.async(execute: write)
    }
}
