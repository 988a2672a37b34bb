import NIOCore
import NIOHTTP1
import NIOSOCKS

/// An outbound proxy for Discord traffic, REST and gateway alike: HTTP `CONNECT` tunnelling or
/// SOCKS5 (no authentication).
///
/// The gateway opens its tunnel to the gateway host by name, so the proxy resolves it (what users
/// behind a filtering network need) and TLS for `wss://` runs end to end through the tunnel. The
/// configuration layer maps the seed's `UsingProxy` / `ProxyType` / `ProxyIP` / `ProxyPort` onto it.
public struct DiscordProxy: Sendable, Hashable, CustomStringConvertible {
    /// The proxy protocol.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An HTTP proxy reached with `CONNECT host:port` (TLS runs through the tunnel).
        case http
        /// A SOCKS5 proxy, `CONNECT` command, no authentication.
        case socks5
    }

    /// The proxy protocol.
    public var kind: Kind
    /// Host name or address of the proxy.
    public var host: String
    /// TCP port of the proxy.
    public var port: Int

    public init(kind: Kind, host: String, port: Int) {
        self.kind = kind
        self.host = host
        self.port = port
    }

    /// Parses a `ProxyType` value as configuration files spell it: `http`, `https` (still a
    /// `CONNECT` proxy), `socks`, `socks5`, `socks5h`; case-insensitive. `nil` for anything else.
    public static func kind(named name: String) -> Kind? {
        let trimmed = name.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        switch String(trimmed).lowercased() {
        case "http", "https": return .http
        case "socks", "socks5", "socks5h": return .socks5
        default: return nil
        }
    }

    /// `http://host:port` or `socks5://host:port`, for logs.
    public var description: String { "\(kind.rawValue)://\(host):\(port)" }

    /// Adds the handlers that open the tunnel; `established` completes when bytes may flow to
    /// the target (or fails with the proxy's refusal).
    func addTunnelHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, targetHost: String, targetPort: Int,
        established: EventLoopPromise<Void>
    ) throws {
        switch kind {
        case .http:
            let encoder = HTTPRequestEncoder()
            try pipeline.addHandler(encoder)
            try pipeline.addHandler(
                HTTPConnectTunnelHandler(
                    target: "\(targetHost.contains(":") ? "[\(targetHost)]" : targetHost):\(targetPort)",
                    proxy: description, encoder: encoder, established: established))
        case .socks5:
            try pipeline.addHandler(SOCKSClientHandler(targetAddress: .domain(targetHost, port: targetPort)))
            try pipeline.addHandler(TunnelWaiter(proxy: description, established: established))
        }
    }
}

/// Waits for NIOSOCKS to report the tunnel, and turns failures before it into a failed promise.
final class TunnelWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let proxy: String
    private let established: EventLoopPromise<Void>
    private var done = false

    init(proxy: String, established: EventLoopPromise<Void>) {
        self.proxy = proxy
        self.established = established
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is SOCKSProxyEstablishedEvent, !done {
            done = true
            established.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(GatewayWebSocketError(description: "the SOCKS5 proxy \(proxy) refused the tunnel: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(GatewayWebSocketError(description: "the SOCKS5 proxy \(proxy) closed the connection during the handshake"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(GatewayWebSocketError(description: "the SOCKS5 handshake with \(proxy) was abandoned"))
    }

    private func fail(_ error: GatewayWebSocketError) {
        guard !done else { return }
        done = true
        established.fail(error)
    }
}

/// Opens an HTTP `CONNECT` tunnel: writes the request through NIOHTTP1's encoder, reads the
/// proxy's response head, and on a 2xx leaves the pipeline with the raw byte stream in place.
///
/// The response head is parsed here rather than by NIO's HTTP decoder: a `CONNECT` response has
/// no body framing, and whatever follows its blank line already belongs to the tunnel.
final class HTTPConnectTunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTPClientRequestPart

    /// A proxy that answers with a longer head than this is not one we can talk to.
    private static let maximumHeadSize = 16 * 1024

    private let target: String
    private let proxy: String
    private let encoder: HTTPRequestEncoder
    private let established: EventLoopPromise<Void>
    private var received: ByteBuffer?
    private var requestSent = false
    private var done = false

    init(target: String, proxy: String, encoder: HTTPRequestEncoder, established: EventLoopPromise<Void>) {
        self.target = target
        self.proxy = proxy
        self.encoder = encoder
        self.established = established
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !requestSent else { return }
        requestSent = true
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target)
        headers.add(name: "Proxy-Connection", value: "keep-alive")
        let head = HTTPRequestHead(version: .http1_1, method: .CONNECT, uri: target, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        if received == nil {
            received = bytes
        } else {
            received!.writeBuffer(&bytes)
        }
        guard let buffer = received else { return }
        let view = buffer.readableBytesView
        guard let end = Self.endOfHead(in: view) else {
            if buffer.readableBytes > Self.maximumHeadSize {
                fail(context: context, "the HTTP proxy \(proxy) sent an oversized response to CONNECT")
            }
            return
        }
        let headLength = end - view.startIndex
        let head = String(decoding: view[view.startIndex..<end], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            fail(context: context, "the HTTP proxy \(proxy) sent a malformed response to CONNECT: \(statusLine)")
            return
        }
        guard (200..<300).contains(status) else {
            fail(context: context, "the HTTP proxy \(proxy) refused CONNECT \(target): \(statusLine)")
            return
        }
        done = true
        var leftover = buffer
        leftover.moveReaderIndex(forwardBy: headLength)
        received = nil
        let sync = context.pipeline.syncOperations
        sync.removeHandler(encoder, promise: nil)
        established.succeed()
        if leftover.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(leftover)) }
        sync.removeHandler(context: context, promise: nil)
    }

    /// Bytes written by the upgrade layer before the tunnel stands would corrupt the CONNECT
    /// exchange; nothing above us writes before `established`, so this is only a safety net.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard done else {
            promise?.fail(GatewayWebSocketError(description: "write before the CONNECT tunnel was established"))
            return
        }
        context.write(data, promise: promise)
    }

    /// The index just past `\r\n\r\n`, if the head is complete.
    private static func endOfHead(in view: ByteBufferView) -> ByteBufferView.Index? {
        guard view.count >= 4 else { return nil }
        var index = view.startIndex
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    private func fail(context: ChannelHandlerContext, _ message: String) {
        guard !done else { return }
        done = true
        established.fail(GatewayWebSocketError(description: message))
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, "the HTTP proxy \(proxy) connection failed: \(error)")
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            established.fail(GatewayWebSocketError(description: "the HTTP proxy \(proxy) closed the connection before answering CONNECT"))
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !done {
            done = true
            established.fail(GatewayWebSocketError(description: "the CONNECT handshake with \(proxy) was abandoned"))
        }
    }
}
