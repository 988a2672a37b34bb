import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Why a gateway WebSocket could not be opened or used.
public struct GatewayWebSocketError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// A client WebSocket to a Discord gateway: JSON payloads in and out, `zlib-stream` decoded.
///
/// It only moves payloads; heartbeats, IDENTIFY and RESUME are the caller's business, so tests can
/// drive the protocol step by step and a session layer can be built on top.
public final class GatewayWebSocket: Sendable {
    /// Something that arrived on the socket.
    public enum Event: Sendable, Equatable {
        /// One gateway payload.
        case payload(JSONValue)
        /// The connection ended; `code` is the server's close code when it sent a close frame.
        case closed(code: UInt16?, reason: String)
    }

    /// Payloads and the final close, in arrival order. Iterate it from one task.
    public let events: AsyncStream<Event>
    /// The `compress` value this socket asked for.
    public let compression: String?
    private let channel: any Channel

    private init(channel: any Channel, events: AsyncStream<Event>, compression: String?) {
        self.channel = channel
        self.events = events
        self.compression = compression
    }

    /// Connects to `url` (`ws://host:port/path`), adding `v=10&encoding=json` and, when
    /// `zlibStream` is set, `compress=zlib-stream` to the query.
    public static func connect(
        to url: String, zlibStream: Bool = true,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> GatewayWebSocket {
        guard let endpoint = WebSocketURL(url) else {
            throw GatewayWebSocketError(description: "gateway URL \(url) is not a ws://host:port/ URL")
        }
        let query = zlibStream ? "v=10&encoding=json&compress=zlib-stream" : "v=10&encoding=json"
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let upgraded = try await ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(
                        maxFrameSize: 1 << 24,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    GatewayFrameHandler(continuation: continuation, zlibStream: zlibStream))
                                return true
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(
                        version: .http1_1, method: .GET, uri: "\(endpoint.path)?\(query)", headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // HELLO often shares a TCP segment with the 101 response; dropping the bytes
                    // that follow the response (NIO's default) would lose it.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: pipeline)
                    return negotiated.map { (channel, $0) }
                }
            }
        let (channel, accepted) = try await upgraded.get()
        guard accepted else {
            try? await channel.close()
            throw GatewayWebSocketError(description: "the server at \(url) refused the WebSocket upgrade")
        }
        return GatewayWebSocket(channel: channel, events: stream, compression: zlibStream ? "zlib-stream" : nil)
    }

    /// Sends one payload as a masked TEXT frame (what discord.py does).
    public func send(_ payload: JSONValue) async throws {
        try await sendRaw(payload.serializedBytes())
    }

    /// Sends raw bytes as one TEXT frame, for tests of malformed input.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        let frame = WebSocketFrame(
            fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    /// Sends a close frame with `code` and closes the connection.
    public func close(code: UInt16 = 1000) async {
        var data = channel.allocator.buffer(capacity: 2)
        data.writeInteger(code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        try? await channel.writeAndFlush(frame)
        try? await channel.close()
    }

    /// Drops the TCP connection without a close frame.
    public func drop() async {
        try? await channel.close()
    }
}

/// `ws://host:port/path` split into its parts.
struct WebSocketURL {
    var host: String
    var port: Int
    var path: String

    init?(_ url: String) {
        guard url.hasPrefix("ws://") else { return nil }
        var rest = url.dropFirst(5)
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) else {
            return nil
        }
        host = String(authority[..<colon])
        self.port = port
    }
}

/// Turns frames into events: reassembles zlib-stream messages and parses JSON.
final class GatewayFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<GatewayWebSocket.Event>.Continuation
    private let decompressor: ZlibStreamDecompressor?
    private var fragments: [UInt8] = []
    /// The opcode of the message being reassembled (continuation frames carry none).
    private var messageOpcode: WebSocketOpcode = .text
    private var finished = false

    init(continuation: AsyncStream<GatewayWebSocket.Event>.Continuation, zlibStream: Bool) {
        self.continuation = continuation
        self.decompressor = zlibStream ? ZlibStreamDecompressor() : nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            if frame.opcode != .continuation { messageOpcode = frame.opcode }
            var buffer = frame.unmaskedData
            fragments.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            guard frame.fin else { return }
            let message = fragments
            fragments = []
            deliver(message, compressed: messageOpcode == .binary, context: context)
        case .connectionClose:
            var buffer = frame.unmaskedData
            let code = buffer.readInteger(as: UInt16.self)
            let reason = buffer.readString(length: buffer.readableBytes) ?? ""
            finish(code: code, reason: reason)
            context.close(promise: nil)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        default:
            break
        }
    }

    private func deliver(_ message: [UInt8], compressed: Bool, context: ChannelHandlerContext) {
        do {
            var json = message
            if compressed, let decompressor {
                guard let inflated = try decompressor.feed(message) else { return }
                json = inflated
            }
            continuation.yield(.payload(try JSONValue.parse(json)))
        } catch {
            finish(code: nil, reason: "client: undecodable gateway message: \(error)")
            context.close(promise: nil)
        }
    }

    private func finish(code: UInt16?, reason: String) {
        guard !finished else { return }
        finished = true
        continuation.yield(.closed(code: code, reason: reason))
        continuation.finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(code: nil, reason: "connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(code: nil, reason: "connection error: \(error)")
        context.close(promise: nil)
    }
}
