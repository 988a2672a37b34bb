import Dispatch
import Foundation
import Testing

@testable import CozeBridgePluginKit

@Suite struct BlockingThreadPoolTests {
    /// A call that blocks until a later call has run: it deadlocks if calls queue behind
    /// each other.
    @Test func aCallNeverWaitsForAnotherToEnd() {
        let pool = BlockingThreadPool(name: "test-blocking")
        let laterRan = DispatchSemaphore(value: 0)
        let firstEnded = DispatchSemaphore(value: 0)
        pool.run {
            if laterRan.wait(timeout: .now() + 5) == .success { firstEnded.signal() }
        }
        for _ in 0..<3 {
            pool.run { laterRan.signal() }
        }
        #expect(firstEnded.wait(timeout: .now() + 10) == .success)
        #expect(pool.threadCount >= 2)
    }

    /// Calls one after another reuse the idle thread instead of making one each.
    @Test func idleThreadsAreReused() throws {
        let pool = BlockingThreadPool(name: "test-blocking")
        // NSLock, not Mutex: ThreadSanitizer sees Mutex's futex calls as no synchronisation.
        let threadMarks = LockedMarks()
        for _ in 0..<50 {
            let done = DispatchSemaphore(value: 0)
            pool.run {
                // A mark left in each thread's dictionary: a new thread has none (a Thread
                // object's address, unlike the mark, may come back for the next thread).
                let dictionary = Thread.current.threadDictionary
                if dictionary["test-mark"] == nil { dictionary["test-mark"] = UUID().uuidString }
                threadMarks.insert(dictionary["test-mark"] as! String)
                done.signal()
            }
            done.wait()
            // The job signals before its thread is back in its wait; a call made in between
            // rightly finds no idle thread and makes one, so wait for the thread to be idle.
            let deadline = Date(timeIntervalSinceNow: 10)
            while pool.idleThreadCount == 0, Date() < deadline { usleep(200) }
            try #require(pool.idleThreadCount == 1)
        }
        #expect(threadMarks.count == 1)
        #expect(pool.threadCount == 1)
    }

    @Test func idleThreadsEnd() async throws {
        let pool = BlockingThreadPool(name: "test-blocking", idleLifetime: 0.05)
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<4 { pool.run { done.signal() } }
        for _ in 0..<4 { done.wait() }
        #expect(pool.threadCount >= 1)
        var waited = 0
        while pool.threadCount > 0, waited < 100 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(pool.threadCount == 0)
    }
}

/// The thread marks seen, from any thread.
private final class LockedMarks: @unchecked Sendable {
    private let lock = NSLock()
    private var marks: Set<String> = []

    func insert(_ mark: String) {
        lock.lock()
        defer { lock.unlock() }
        marks.insert(mark)
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return marks.count
    }
}
