/// Why a gateway connection ended and another one is being made.
public enum DiscordGatewayReconnectReason: Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be opened (refused, timed out, proxy error); the text says which.
    case connectFailed(String)
    /// The connection was opened but no HELLO arrived in time.
    case helloTimeout
    /// The TCP connection ended without a close frame, or the socket failed.
    case connectionLost(String)
    /// No HEARTBEAT_ACK arrived between two heartbeats: the connection was a zombie.
    case zombieConnection
    /// Discord sent op 7 RECONNECT.
    case serverRequestedReconnect
    /// Discord sent op 9 INVALID_SESSION; `resumable` is its `d`.
    case invalidSession(resumable: Bool)
    /// Discord closed the connection with a code that allows reconnecting.
    case closed(code: UInt16, reason: String)

    public var description: String {
        switch self {
        case .connectFailed(let detail): return "connect failed: \(detail)"
        case .helloTimeout: return "no HELLO from the gateway"
        case .connectionLost(let detail): return "connection lost: \(detail)"
        case .zombieConnection: return "no heartbeat ACK (zombie connection)"
        case .serverRequestedReconnect: return "Discord asked to reconnect (op 7)"
        case .invalidSession(let resumable): return "invalid session (resumable: \(resumable))"
        case .closed(let code, let reason): return "closed by Discord with \(code)\(reason.isEmpty ? "" : " \(reason)")"
        }
    }
}
