import NIOCore
import NIOPosix
import Synchronization

/// A tiny loopback proxy for gateway and REST tests: HTTP `CONNECT` or SOCKS5 (no
/// authentication, `CONNECT` only), splicing bytes to the requested host on the same event loop.
///
/// It records what it carried: each tunnel's target (`host:port`), the HTTP handshake's request
/// line, and how many HTTP/1.1 request heads the client sent through each tunnel (the REST
/// client's traffic to the emulator is plain HTTP inside the tunnel, so they can be counted).
/// A request that is neither `CONNECT` nor SOCKS5 (an absolute-form `GET http://…`) gets a 400:
/// AsyncHTTPClient tunnels plain `http://` through an HTTP proxy with `CONNECT` as well.
///
/// `freezeExistingConnections()` makes the connections open so far stop delivering the server's
/// bytes while still accepting the client's: to the client, a zombie connection.
final class LoopbackProxy: Sendable {
    enum Kind: Sendable { case httpConnect, socks5 }

    let kind: Kind
    let port: Int
    private let serverChannel: any Channel
    private let control: ProxyControl

    private init(kind: Kind, port: Int, serverChannel: any Channel, control: ProxyControl) {
        self.kind = kind
        self.port = port
        self.serverChannel = serverChannel
        self.control = control
    }

    static func start(_ kind: Kind) async throws -> LoopbackProxy {
        let control = ProxyControl()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ProxyFrontHandler(kind: kind, id: control.accept(), control: control))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackProxy(kind: kind, port: channel.localAddress?.port ?? 0, serverChannel: channel, control: control)
    }

    /// Tunnels established (the proxy reached the target).
    var tunnels: Int { control.tunnels }
    /// Client connections accepted.
    var connections: Int { control.connections }
    /// `host:port` of every tunnel established, in order.
    var targets: [String] { control.targets }
    /// The request line of every HTTP proxy handshake (`CONNECT host:port HTTP/1.1`), in order.
    var handshakeLines: [String] { control.handshakeLines }

    /// Tunnels established to `port` on any host.
    func tunnels(toPort port: Int) -> Int { control.targets.filter { $0.hasSuffix(":\(port)") }.count }

    /// HTTP/1.1 request heads the clients sent through tunnels to `port` on any host.
    func requestHeads(toPort port: Int) -> Int { control.requestHeads(toPort: port) }

    func freezeExistingConnections() { control.freezeExisting() }

    func stop() async { try? await serverChannel.close() }
}

final class ProxyControl: Sendable {
    private struct State {
        var connections = 0
        var targets: [String] = []
        var handshakeLines: [String] = []
        var requestHeads: [Int: Int] = [:]
        var frozenBelow = 0
    }

    private let state = Synchronization.Mutex(State())

    func accept() -> Int { state.withLock { $0.connections += 1; return $0.connections } }
    func tunnelOpened(host: String, port: Int) { state.withLock { $0.targets.append("\(host):\(port)") } }
    func handshake(_ line: String) { state.withLock { $0.handshakeLines.append(line) } }
    func requestHeadsSent(_ count: Int, toPort port: Int) { state.withLock { $0.requestHeads[port, default: 0] += count } }
    var connections: Int { state.withLock { $0.connections } }
    var tunnels: Int { state.withLock { $0.targets.count } }
    var targets: [String] { state.withLock { $0.targets } }
    var handshakeLines: [String] { state.withLock { $0.handshakeLines } }
    func requestHeads(toPort port: Int) -> Int { state.withLock { $0.requestHeads[port] ?? 0 } }
    func freezeExisting() { state.withLock { $0.frozenBelow = $0.connections + 1 } }
    func isFrozen(_ id: Int) -> Bool { state.withLock { id < $0.frozenBelow } }
}

/// The client side: parses the proxy handshake, connects upstream, then forwards client bytes.
private final class ProxyFrontHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Stage { case greeting, request, connecting, spliced, failed }

    private let kind: LoopbackProxy.Kind
    private let id: Int
    private let control: ProxyControl
    private var stage: Stage
    private var pending: ByteBuffer?
    private var upstream: (any Channel)?
    private var targetPort = 0
    private var heads = RequestHeadCounter()

    init(kind: LoopbackProxy.Kind, id: Int, control: ProxyControl) {
        self.kind = kind
        self.id = id
        self.control = control
        self.stage = kind == .socks5 ? .greeting : .request
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if stage == .spliced, let upstream {
            countRequestHeads(in: bytes)
            upstream.writeAndFlush(bytes, promise: nil)
            return
        }
        if pending == nil { pending = bytes } else { pending!.writeBuffer(&bytes) }
        advance(context: context)
    }

    private func advance(context: ChannelHandlerContext) {
        guard var buffer = pending else { return }
        switch (kind, stage) {
        case (.socks5, .greeting):
            guard buffer.readableBytes >= 2, let count = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self),
                buffer.readableBytes >= 2 + Int(count)
            else { return }
            buffer.moveReaderIndex(forwardBy: 2 + Int(count))
            pending = buffer
            stage = .request
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: [5, 0])), promise: nil)
            advance(context: context)
        case (.socks5, .request):
            let bytes = Array(buffer.readableBytesView)
            guard bytes.count >= 5 else { return }
            let host: String
            let end: Int
            switch bytes[3] {
            case 1:
                end = 4 + 4
                guard bytes.count >= end + 2 else { return }
                host = bytes[4..<8].map(String.init).joined(separator: ".")
            case 3:
                let length = Int(bytes[4])
                end = 5 + length
                guard bytes.count >= end + 2 else { return }
                host = String(decoding: bytes[5..<end], as: UTF8.self)
            default:
                fail(context: context, reply: [5, 8, 0, 1, 0, 0, 0, 0, 0, 0])
                return
            }
            let port = Int(bytes[end]) << 8 | Int(bytes[end + 1])
            buffer.moveReaderIndex(forwardBy: end + 2)
            pending = buffer
            connect(context: context, host: host, port: port, reply: [5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
        case (.httpConnect, .request):
            let view = Array(buffer.readableBytesView)
            guard let end = Self.endOfHead(view) else { return }
            let head = String(decoding: view[..<end], as: UTF8.self)
            control.handshake(head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? "")
            let parts = head.split(separator: " ")
            guard parts.count >= 3, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"),
                let port = Int(parts[1][parts[1].index(after: colon)...])
            else {
                fail(context: context, reply: Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
                return
            }
            buffer.moveReaderIndex(forwardBy: end)
            pending = buffer
            connect(
                context: context, host: String(parts[1][..<colon]), port: port,
                reply: Array("HTTP/1.1 200 Connection Established\r\nVia: loopback-proxy\r\n\r\n".utf8))
        default:
            break
        }
    }

    private func connect(context: ChannelHandlerContext, host: String, port: Int, reply: [UInt8]) {
        stage = .connecting
        targetPort = port
        let downstream = context.channel
        let id = self.id
        let control = self.control
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ProxyBackHandler(downstream: downstream, id: id, control: control))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                let handler = loopBound.value
                switch result {
                case .success(let channel):
                    control.tunnelOpened(host: host, port: port)
                    handler.upstream = channel
                    handler.stage = .spliced
                    downstream.writeAndFlush(downstream.allocator.buffer(bytes: reply), promise: nil)
                    if let rest = handler.pending, rest.readableBytes > 0 {
                        handler.countRequestHeads(in: rest)
                        channel.writeAndFlush(rest, promise: nil)
                    }
                    handler.pending = nil
                case .failure:
                    handler.stage = .failed
                    downstream.close(promise: nil)
                }
            }
    }

    private func countRequestHeads(in bytes: ByteBuffer) {
        let found = heads.count(in: bytes.readableBytesView)
        if found > 0 { control.requestHeadsSent(found, toPort: targetPort) }
    }

    private func fail(context: ChannelHandlerContext, reply: [UInt8]) {
        stage = .failed
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

/// Counts HTTP/1.1 request lines (` HTTP/1.1\r\n`) in a byte stream that arrives in pieces.
/// A WebSocket's client frames are masked, so after the upgrade request nothing else matches.
private struct RequestHeadCounter {
    private static let marker = Array(" HTTP/1.1\r\n".utf8)
    private var tail: [UInt8] = []

    mutating func count(in bytes: ByteBufferView) -> Int {
        let window = tail + bytes
        var found = 0
        var index = 0
        while index + Self.marker.count <= window.count {
            if window[index..<(index + Self.marker.count)].elementsEqual(Self.marker) {
                found += 1
                index += Self.marker.count
            } else {
                index += 1
            }
        }
        tail = Array(window.suffix(Self.marker.count - 1))
        return found
    }
}

/// The server side: forwards the target's bytes to the client unless the connection is frozen.
private final class ProxyBackHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let downstream: any Channel
    private let id: Int
    private let control: ProxyControl

    init(downstream: any Channel, id: Int, control: ProxyControl) {
        self.downstream = downstream
        self.id = id
        self.control = control
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !control.isFrozen(id) else { return }
        downstream.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        downstream.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
