/// Counters of one gateway client since it started, for health pages and tests.
public struct DiscordGatewayStatistics: Sendable, Equatable {
    /// WebSocket connections opened (successful upgrades).
    public var connections = 0
    /// IDENTIFY payloads sent.
    public var identifies = 0
    /// RESUME payloads sent.
    public var resumes = 0
    /// RESUMED dispatches received.
    public var resumed = 0
    /// Heartbeats sent (scheduled ones and answers to op 1).
    public var heartbeatsSent = 0
    /// HEARTBEAT_ACKs received.
    public var heartbeatAcks = 0
    /// Connections closed because a heartbeat went unacknowledged.
    public var zombieConnections = 0
    /// Dispatches dropped because their sequence number had been seen (replays after RESUME).
    public var duplicatesDropped = 0
    /// Times a dispatch skipped sequence numbers (events Discord did not deliver).
    public var sequenceGaps = 0
    /// Dispatches delivered to subscribers, READY and RESUMED included.
    public var dispatches = 0

    public init() {}
}
