import DiscordWire
import NIOCore
import NIOWebSocket

/// The URL parameters a gateway client connected with, and what is wrong with them.
struct GatewayURLParameters: Sendable {
    var compression: GatewayConnection.Compression = .none
    /// A close code and reason when the parameters are not acceptable.
    var problem: (code: UInt16, reason: String)?

    init(uri: String) {
        let query = EmulatorHTTPRequest(method: .GET, uri: uri, headers: [:], body: []).query
        if let version = query["v"], version != "10" {
            problem = (GatewayCloseCode.invalidAPIVersion.rawValue, "Invalid API version.")
        } else if let encoding = query["encoding"], encoding != "json" {
            problem = (GatewayCloseCode.decodeError.rawValue, "This emulator speaks encoding=json only.")
        }
        switch query["compress"] {
        case nil: compression = .none
        case "zlib-stream": compression = .zlibStream
        case let other?:
            problem = (GatewayCloseCode.unknownError.rawValue, "Unsupported transport compression \(other); use zlib-stream.")
        }
    }
}

/// One gateway WebSocket: HELLO, heartbeats, IDENTIFY / RESUME, and the close codes Discord uses.
final class GatewayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Discord refuses client payloads over 4096 bytes.
    static let maximumPayloadSize = 4096

    private let world: EmulatorWorld
    private let counters: EmulatorCounters
    private let parameters: GatewayURLParameters
    private var connection: GatewayConnection?
    private var helloSent = false
    private var sessionID: String?
    private var clientCloseCode: UInt16?

    init(world: EmulatorWorld, counters: EmulatorCounters, parameters: GatewayURLParameters) {
        self.world = world
        self.counters = counters
        self.parameters = parameters
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let connection = GatewayConnection(channel: context.channel, compression: parameters.compression)
        self.connection = connection
        counters.recordGatewayConnection()
        if let problem = parameters.problem {
            connection.close(code: problem.code, reason: problem.reason)
            return
        }
        let delay = world.helloDelayMilliseconds()
        let interval = world.heartbeatIntervalMilliseconds
        let hello = GatewayConnection.controlPayload(.hello, ["heartbeat_interval": JSONValue(interval)])
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        if delay == 0 {
            helloSent = true
            connection.send(hello)
        } else {
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
                loopBound.value.helloSent = true
                connection.send(hello)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            guard helloSent, let connection else { return }
            var payload = frame.unmaskedData
            guard payload.readableBytes <= Self.maximumPayloadSize else {
                connection.close(code: GatewayCloseCode.decodeError.rawValue, reason: "Payload too large.")
                return
            }
            handlePayload(payload.readBytes(length: payload.readableBytes) ?? [], connection: connection)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            clientCloseCode = data.readInteger(as: UInt16.self)
            var reply = context.channel.allocator.buffer(capacity: 2)
            reply.writeInteger(clientCloseCode ?? 1000)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
                .whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    private func handlePayload(_ bytes: [UInt8], connection: GatewayConnection) {
        guard let payload = try? JSONValue.parse(bytes), let rawOpcode = payload["op"]?.intValue else {
            connection.close(code: GatewayCloseCode.decodeError.rawValue, reason: "Error while decoding payload.")
            return
        }
        let data = payload["d"] ?? .null
        switch GatewayOpcode(rawValue: rawOpcode) {
        case .heartbeat:
            connection.send(GatewayConnection.controlPayload(.heartbeatAck, nil))
        case .identify:
            guard sessionID == nil else {
                connection.close(code: GatewayCloseCode.alreadyAuthenticated.rawValue, reason: "Already authenticated.")
                return
            }
            counters.recordIdentify()
            apply(world.identify(data, connection: connection), connection: connection)
        case .resume:
            guard sessionID == nil else {
                connection.close(code: GatewayCloseCode.alreadyAuthenticated.rawValue, reason: "Already authenticated.")
                return
            }
            counters.recordResume()
            apply(world.resume(data, connection: connection), connection: connection)
        case .presenceUpdate, .voiceStateUpdate, .requestChannelInfo:
            if sessionID == nil {
                connection.close(code: GatewayCloseCode.notAuthenticated.rawValue, reason: "Not authenticated.")
            }
        case .requestGuildMembers:
            guard let sessionID else {
                connection.close(code: GatewayCloseCode.notAuthenticated.rawValue, reason: "Not authenticated.")
                return
            }
            world.requestGuildMembers(data, sessionID: sessionID)
        default:
            connection.close(code: GatewayCloseCode.unknownOpcode.rawValue, reason: "Unknown opcode.")
        }
    }

    private func apply(_ outcome: GatewayHandshakeOutcome, connection: GatewayConnection) {
        switch outcome {
        case .accepted(let sessionID):
            self.sessionID = sessionID
        case .close(let code, let reason):
            connection.close(code: code, reason: reason)
        case .invalidSession:
            connection.send(GatewayConnection.controlPayload(.invalidSession, false))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let sessionID, let connection {
            world.connectionClosed(sessionID: sessionID, connection: connection, clientCloseCode: clientCloseCode)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
