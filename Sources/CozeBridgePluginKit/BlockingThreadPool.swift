import Foundation

/// Threads for blocking calls: a call runs at once on an idle thread, or on a new one when every
/// thread is busy, so a call never waits behind another (a blocking send may take minutes). A
/// thread that stays idle for `idleLifetime` ends.
///
/// A thread per call cost a thread's creation and teardown each time: a burst of a thousand chat
/// requests made a thousand threads in a second, and their start-up stalled the streams already
/// running by up to a second on a 2-core machine.
final class BlockingThreadPool: @unchecked Sendable {
    // @unchecked: `jobs` and the counts are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    /// Threads in `condition.wait`, each of which will take a job when signalled.
    private var waiting = 0
    /// Threads made but not yet running: each will take a job as soon as it starts. Without
    /// them in the count, calls made while a new thread was still starting (slow on a busy
    /// machine) each made another.
    private var starting = 0
    private var threads = 0
    private let idleLifetime: TimeInterval
    private let name: String

    /// The pool that ``HostAPI/blocking(_:)`` uses.
    static let shared = BlockingThreadPool(name: "cozebridge-plugin-blocking")

    init(name: String, idleLifetime: TimeInterval = 30) {
        self.name = name
        self.idleLifetime = idleLifetime
    }

    /// How many threads wait for a call now.
    var idleThreadCount: Int { condition.withLock { waiting } }

    /// How many threads the pool has now, busy or idle.
    var threadCount: Int { condition.withLock { threads } }

    /// Runs `job` on a pool thread.
    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // Every queued job needs a thread of its own that is waiting or starting; those already
        // signalled still count as waiting until they wake, and their jobs are still in `jobs`.
        let spawn = waiting + starting < jobs.count
        if spawn {
            threads += 1
            starting += 1
        } else {
            condition.signal()
        }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = name
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        starting -= 1
        while true {
            while jobs.isEmpty {
                waiting += 1
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleLifetime))
                waiting -= 1
                if !signalled, jobs.isEmpty {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
            condition.lock()
        }
    }
}
