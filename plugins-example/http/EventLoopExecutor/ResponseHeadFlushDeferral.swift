import NIOCore
import NIOHTTPTypes

/// Holds back the flush of a response head until the end of the event loop's current tick.
///
/// Hummingbird writes and flushes a streamed response's head on its own, and the body's first
/// part after it: two syscalls and two segments for what the client reads as one. An event
/// stream's head goes out only once the turn's first event is there (`ServerSentEvents`), so its
/// first part is written in the same tick, and the head's own syscall came first every time.
/// With the head's flush deferred to the end of the tick, the first part's flush takes both in
/// one `writev`. A body that starts later finds the head flushed when the tick ends, as before;
/// a head written together with its body (a complete response) is flushed at once.
public final class ResponseHeadFlushDeferral: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// A head is the last part written and no flush has taken it yet.
    private var headIsLastWrite = false

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) { headIsLastWrite = true } else { headIsLastWrite = false }
        context.write(data, promise: promise)
    }

    public func flush(context: ChannelHandlerContext) {
        guard headIsLastWrite else {
            context.flush()
            return
        }
        headIsLastWrite = false
        // Through the channel rather than this context: the handler may be gone by then.
        let channel = context.channel
        context.eventLoop.execute { channel.flush() }
    }
}
