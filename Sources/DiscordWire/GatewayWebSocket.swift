import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
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

    /// The event loop that reads this connection (and runs `intercept`).
    public var eventLoop: any EventLoop { channel.eventLoop }

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
        try await connect(to: url, zlibStream: zlibStream, proxy: nil, timeout: nil, eventLoopGroup: eventLoopGroup)
    }

    /// Connects to `url` (`ws://` or `wss://`, port optional), optionally through `proxy`, adding
    /// `v=10&encoding=json` and, when `zlibStream` is set, `compress=zlib-stream` to the query.
    ///
    /// `timeout` bounds everything up to the accepted upgrade: TCP connect, the proxy handshake,
    /// TLS and the HTTP upgrade. Without it a silent peer could hold a reconnect loop forever.
    ///
    /// `intercept`, when given, sees every payload first, on the connection's event loop, in
    /// arrival order: returning `true` takes the payload (it is not put into ``events``). It lets a
    /// session layer act on a payload where it arrives instead of waking the task that reads
    /// ``events``; it must be quick and must never block.
    public static func connect(
        to url: String, zlibStream: Bool = true, proxy: DiscordProxy?, timeout: Duration?,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        intercept: (@Sendable (JSONValue) -> Bool)? = nil
    ) async throws -> GatewayWebSocket {
        guard let endpoint = WebSocketURL(url) else {
            throw GatewayWebSocketError(description: "gateway URL \(url) is not a ws:// or wss:// URL")
        }
        let query = zlibStream ? "v=10&encoding=json&compress=zlib-stream" : "v=10&encoding=json"
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        var bootstrap = ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let timeout { bootstrap = bootstrap.connectTimeout(TimeAmount(timeout)) }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let tcpHost = proxy?.host ?? endpoint.host
        let tcpPort = proxy?.port ?? endpoint.port
        let where_ = proxy.map { "\(url) through the proxy \($0)" } ?? url

        // Phase one: a TCP connection and, through a proxy, a tunnel to the gateway host.
        let (channel, tunnel): (any Channel, EventLoopFuture<Void>)
        do {
            (channel, tunnel) = try await bootstrap.connect(host: tcpHost, port: tcpPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let promise = channel.eventLoop.makePromise(of: Void.self)
                    guard let proxy else {
                        promise.succeed()
                        return (channel, promise.futureResult)
                    }
                    try proxy.addTunnelHandlers(
                        to: channel.pipeline.syncOperations, targetHost: endpoint.host, targetPort: endpoint.port,
                        established: promise)
                    return (channel, promise.futureResult)
                }
            }
        } catch {
            throw GatewayWebSocketError(description: "could not connect to \(where_): \(error)")
        }

        // The rest of the handshake happens on an open socket; a deadline closes it so every
        // pending future fails instead of waiting for a peer that never answers.
        let timedOut = NIOLockedValueBox(false)
        let watchdog = deadline.map { deadline in
            channel.eventLoop.scheduleTask(in: TimeAmount(max(.zero, deadline - ContinuousClock.now))) {
                timedOut.withLockedValue { $0 = true }
                channel.close(promise: nil)
            }
        }
        defer { watchdog?.cancel() }
        do {
            try await tunnel.get()
            let upgraded = try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Bool> in
                do {
                    let sync = channel.pipeline.syncOperations
                    if let waiter = try? sync.handler(type: TunnelWaiter.self) { sync.removeHandler(waiter, promise: nil) }
                    if endpoint.secure {
                        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                        try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: endpoint.host))
                    }
                    return try Self.configureUpgrade(
                        channel: channel, endpoint: endpoint, uri: "\(endpoint.path)?\(query)",
                        continuation: continuation, zlibStream: zlibStream, intercept: intercept)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }.get()
            guard upgraded else {
                try? await channel.close()
                throw GatewayWebSocketError(description: "the server at \(url) refused the WebSocket upgrade")
            }
        } catch let error as GatewayWebSocketError {
            throw error
        } catch {
            try? await channel.close()
            if timedOut.withLockedValue({ $0 }) {
                throw GatewayWebSocketError(
                    description: "connecting to \(where_) timed out after \(timeout.map { "\($0)" } ?? "?")")
            }
            throw GatewayWebSocketError(description: "could not open the gateway WebSocket at \(where_): \(error)")
        }
        return GatewayWebSocket(channel: channel, events: stream, compression: zlibStream ? "zlib-stream" : nil)
    }

    /// Adds the HTTP client and WebSocket upgrade handlers; the future tells whether the server
    /// accepted the upgrade.
    private static func configureUpgrade(
        channel: any Channel, endpoint: WebSocketURL, uri: String,
        continuation: AsyncStream<Event>.Continuation, zlibStream: Bool,
        intercept: (@Sendable (JSONValue) -> Bool)?
    ) throws -> EventLoopFuture<Bool> {
        let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(
            maxFrameSize: 1 << 24,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        GatewayFrameHandler(continuation: continuation, zlibStream: zlibStream, intercept: intercept))
                    return true
                }
            })
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
            upgradeRequestHead: head, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) })
        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
        // HELLO often shares a TCP segment with the 101 response; dropping the bytes
        // that follow the response (NIO's default) would lose it.
        pipeline.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
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

    /// Sends one payload without waiting for the write to reach the socket.
    ///
    /// For heartbeats and handshakes of a session layer: on a dead connection (full send buffer)
    /// an awaited write could stall the very loop that is meant to notice the connection is dead.
    public func sendWithoutWaiting(_ payload: JSONValue) {
        let frame = WebSocketFrame(
            fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(bytes: payload.serializedBytes()))
        channel.writeAndFlush(frame, promise: nil)
    }

    /// Sends a close frame with `code` and closes the connection.
    ///
    /// The connection is closed once the frame is written, or after one second when the write
    /// does not complete (a peer that stopped reading must not hold the caller).
    public func close(code: UInt16 = 1000) async {
        var data = channel.allocator.buffer(capacity: 2)
        data.writeInteger(code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        let channel = self.channel
        let fallback = channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        channel.writeAndFlush(frame).whenComplete { _ in
            fallback.cancel()
            channel.close(promise: nil)
        }
        try? await channel.closeFuture.get()
    }

    /// Drops the TCP connection without a close frame.
    public func drop() async {
        try? await channel.close()
    }
}

/// `ws://host[:port]/path` or `wss://…` split into its parts.
struct WebSocketURL {
    var host: String
    var port: Int
    var path: String
    /// `wss://`: TLS to `host`.
    var secure: Bool

    init?(_ url: String) {
        let rest: Substring
        if url.lowercased().hasPrefix("ws://") {
            secure = false
            rest = url.dropFirst(5)
        } else if url.lowercased().hasPrefix("wss://") {
            secure = true
            rest = url.dropFirst(6)
        } else {
            return nil
        }
        var remainder = rest
        if let query = remainder.firstIndex(where: { $0 == "?" || $0 == "#" }) { remainder = remainder[..<query] }
        let slash = remainder.firstIndex(of: "/") ?? remainder.endIndex
        let authority = remainder[..<slash]
        path = slash == remainder.endIndex ? "/" : String(remainder[slash...])
        // `[::1]:port` keeps its colons inside the brackets.
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let afterHost = authority[authority.index(after: close)...]
            if afterHost.isEmpty {
                port = secure ? 443 : 80
            } else {
                guard afterHost.hasPrefix(":"), let value = Int(afterHost.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let value = Int(authority[authority.index(after: colon)...]) else { return nil }
            host = String(authority[..<colon])
            port = value
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
    }

    /// The `Host` header: the port is left out when it is the scheme's default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
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
    /// See `GatewayWebSocket.connect`'s `intercept`.
    private let intercept: (@Sendable (JSONValue) -> Bool)?

    init(
        continuation: AsyncStream<GatewayWebSocket.Event>.Continuation, zlibStream: Bool,
        intercept: (@Sendable (JSONValue) -> Bool)? = nil
    ) {
        self.continuation = continuation
        self.decompressor = zlibStream ? ZlibStreamDecompressor() : nil
        self.intercept = intercept
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
            let payload = try JSONValue.parse(json)
            if let intercept, intercept(payload) { return }
            continuation.yield(.payload(payload))
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
