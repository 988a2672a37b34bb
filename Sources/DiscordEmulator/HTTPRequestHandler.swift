import NIOCore
import NIOHTTP1

/// Collects one HTTP request at a time, hands it to the emulator's router and writes the answer.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Discord's own upload cap for bots without boosts is far lower; this only keeps memory bounded.
    static let maximumBodySize = 32 * 1024 * 1024

    private let route: @Sendable (EmulatorHTTPRequest) -> EmulatorHTTPResponse
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false

    init(route: @escaping @Sendable (EmulatorHTTPRequest) -> EmulatorHTTPResponse) {
        self.route = route
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.removeAll(keepingCapacity: true)
            bodyTooLarge = false
        case .body(var chunk):
            guard !bodyTooLarge else { return }
            if body.count + chunk.readableBytes > Self.maximumBodySize {
                bodyTooLarge = true
                body = []
            } else if let bytes = chunk.readBytes(length: chunk.readableBytes) {
                body.append(contentsOf: bytes)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let response: EmulatorHTTPResponse
            if bodyTooLarge {
                response = .error(.tooLarge)
            } else {
                let request = EmulatorHTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
                response = route(request)
            }
            body = []
            let keepAlive = head.isKeepAlive && !bodyTooLarge
            if response.delayMilliseconds > 0 {
                let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(response.delayMilliseconds))) {
                    let (handler, context) = loopBound.value
                    handler.write(response, version: head.version, keepAlive: keepAlive, context: context)
                }
            } else {
                write(response, version: head.version, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ response: EmulatorHTTPResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let written = context.writeAndFlushAndReturnFuture(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushAndReturnFuture(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}
