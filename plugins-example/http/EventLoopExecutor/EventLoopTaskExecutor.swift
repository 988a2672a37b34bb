import NIOCore

/// Runs task jobs on one NIO event loop.
///
/// The http plugin answers each request with its connection's loop as the task executor (see
/// `http1OnConnectionLoop`): the core's callback resumes a streamed response straight onto that
/// loop, and its writes then reach the socket there and then. On the default executor the same
/// chunk would wake a pool thread first and the loop after it: two thread hand-offs instead of
/// one, which is most of what a chunk costs in latency.
/// Jobs run between the loop's I/O, so they must never block.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
