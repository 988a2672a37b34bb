/// Where a gateway session stands; readable at any time for bot health.
public enum DiscordGatewayStatus: Sendable, Equatable, CustomStringConvertible {
    /// Created, `start()` not called yet.
    case idle
    /// Opening a connection for a new session (IDENTIFY).
    case connecting
    /// READY or RESUMED received: events are flowing.
    case ready
    /// Opening a connection to RESUME the existing session.
    case resuming
    /// Waiting before the next connection attempt (backoff or Discord's INVALID_SESSION pause).
    case reconnecting(DiscordGatewayReconnectReason)
    /// Ended for good; no further connection is made.
    case stopped(StopReason)

    /// Why a client stopped.
    public enum StopReason: Sendable, Equatable, CustomStringConvertible {
        /// `shutdown()` was called.
        case shutdown
        /// Discord refused the session in a way retrying cannot fix.
        case fatal(DiscordGatewayError)

        public var description: String {
            switch self {
            case .shutdown: return "shut down"
            case .fatal(let error): return error.description
            }
        }
    }

    /// Whether events are flowing right now.
    public var isReady: Bool { self == .ready }

    /// Whether the client has ended for good.
    public var isStopped: Bool {
        if case .stopped = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .idle: return "idle"
        case .connecting: return "connecting"
        case .ready: return "ready"
        case .resuming: return "resuming"
        case .reconnecting(let reason): return "reconnecting (\(reason))"
        case .stopped(let reason): return "stopped: \(reason)"
        }
    }
}
