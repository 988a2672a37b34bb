import Dispatch
import Foundation
import Synchronization
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
    @Test func idleThreadsAreReused() {
        let pool = BlockingThreadPool(name: "test-blocking")
        // A mark left in each thread's dictionary: a new thread has none (a Thread object's
        // address, unlike the mark, may come back for the next thread).
        let threadNumbers = Mutex<Set<String>>([])
        for _ in 0..<200 {
            let done = DispatchSemaphore(value: 0)
            pool.run {
                let dictionary = Thread.current.threadDictionary
                if dictionary["test-mark"] == nil { dictionary["test-mark"] = UUID().uuidString }
                let mark = dictionary["test-mark"] as! String
                threadNumbers.withLock { _ = $0.insert(mark) }
                done.signal()
            }
            done.wait()
        }
        // A job signals before its thread is back in its wait, so a call may find every thread
        // still busy and add one; once a few idle threads wait, that stops. A thread per call
        // would make 200.
        #expect(threadNumbers.withLock(\.count) <= 20)
        #expect(pool.threadCount <= 20)
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
