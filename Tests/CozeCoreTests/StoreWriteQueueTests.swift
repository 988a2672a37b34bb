import Synchronization
import Testing

@testable import CozeCore

@Suite("StoreWriteQueue")
struct StoreWriteQueueTests {
    @Test func writesRunInOrderAndRunReturnsAfterItsWrite() async {
        let queue = StoreWriteQueue()
        let done = Mutex<[Int]>([])
        for index in 0..<50 {
            queue.submit { done.withLock { $0.append(index) } }
        }
        await queue.run { done.withLock { $0.append(50) } }
        #expect(done.withLock { $0 } == Array(0...50))
    }
}
