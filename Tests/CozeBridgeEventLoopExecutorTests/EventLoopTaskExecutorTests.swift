import NIOCore
import NIOPosix
import Testing

import CozeBridgeEventLoopExecutor

/// The executor that keeps a streamed response's body on its connection's event loop.
@Suite struct EventLoopTaskExecutorTests {
    @Test func aBodyThatPrefersTheLoopResumesOnItAfterEveryAwait() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let (events, feed) = AsyncStream.makeStream(of: Int.self)
        let onLoop = Task {
            try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
                var seen: [Bool] = [loop.inEventLoop]
                for await _ in events { seen.append(loop.inEventLoop) }
                try await Task.sleep(for: .milliseconds(5))
                seen.append(loop.inEventLoop)
                return seen
            }
        }
        // Yielded from other threads, as the core's callbacks do.
        for value in 1...3 {
            try await Task.sleep(for: .milliseconds(5))
            feed.yield(value)
        }
        feed.finish()
        #expect(try await onLoop.value == [true, true, true, true, true])
        // Without the preference the same body runs on the pool, not on the loop.
        let offLoop = Task { loop.inEventLoop }
        #expect(await offLoop.value == false)
        try await group.shutdownGracefully()
    }
}
