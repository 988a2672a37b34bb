/// Gateway opcodes (gateway v10).
public enum GatewayOpcode: Int, Sendable {
    case dispatch = 0
    case heartbeat = 1
    case identify = 2
    case presenceUpdate = 3
    case voiceStateUpdate = 4
    case resume = 6
    case reconnect = 7
    case requestGuildMembers = 8
    case invalidSession = 9
    case hello = 10
    case heartbeatAck = 11
    case requestChannelInfo = 43
}

/// Gateway close codes and whether a client may reconnect after them.
public enum GatewayCloseCode: UInt16, Sendable, CaseIterable {
    case unknownError = 4000
    case unknownOpcode = 4001
    case decodeError = 4002
    case notAuthenticated = 4003
    case authenticationFailed = 4004
    case alreadyAuthenticated = 4005
    case invalidSequence = 4007
    case rateLimited = 4008
    case sessionTimedOut = 4009
    case invalidShard = 4010
    case shardingRequired = 4011
    case invalidAPIVersion = 4012
    case invalidIntents = 4013
    case disallowedIntents = 4014

    /// Whether Discord's documentation allows reconnecting after this code.
    public var allowsReconnect: Bool {
        switch self {
        case .authenticationFailed, .invalidShard, .shardingRequired, .invalidAPIVersion,
            .invalidIntents, .disallowedIntents:
            return false
        default:
            return true
        }
    }
}
