import CozeBridgeEventLoopExecutor
import HummingbirdCore
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1.1 whose requests are answered on their connection's event loop.
    ///
    /// A streamed chat answer waits for its turn's first event before the response head goes
    /// out. On the default executor that event wakes a pool thread, which unwinds the handler and
    /// hands the head to the loop, and the body then hops to the loop again: the answer's first
    /// chunk took two or three thread hand-offs where every later chunk takes one, and at 100
    /// streams those first chunks were 18 of the 20 slowest edits in 2,000. With the connection's
    /// loop as the task executor, the first event resumes the handler where the head and the
    /// chunk are written. Work that can take long on a large body (decoding, token counting) leaves
    /// the loop on its own (``OffLoop``).
    ///
    /// A streamed response's head leaves with its first part (``ResponseHeadFlushDeferral``).
    static func http1OnConnectionLoop() -> HTTPServerBuilder {
        let configuration = HTTP1Channel.Configuration(additionalChannelHandlers: [ResponseHeadFlushDeferral()])
        return .init { responder in
            HTTP1Channel(
                responder: { request, writer, channel in
                    var pending: ResponseWriter? = consume writer
                    try await withTaskExecutorPreference(EventLoopTaskExecutor(channel.eventLoop)) {
                        try await responder(request, pending.take()!, channel)
                    }
                },
                configuration: configuration)
        }
    }
}
