/// The core's monitoring counters (`coze_bridge_statistics_json`), per configured bot in
/// configuration order. Counters start at 0 when the bridge is created and only grow.
public struct BridgeStatistics: Decodable, Hashable, Sendable {
    public var bots: [Bot]

    /// One bot's counters.
    public struct Bot: Decodable, Hashable, Sendable {
        public var identity: String
        public var accessKey: String
        /// "connecting", "ready" or "stopped".
        public var state: String
        public var inFlightTurns: Int
        public var rest: REST
        public var gateway: Gateway
    }

    /// The bot's Discord REST requests.
    public struct REST: Decodable, Hashable, Sendable {
        /// Requests sent, retries included.
        public var attempts: Int
        /// Answers that were 429 (rate limited).
        public var rateLimited: Int
        public var serverErrorRetries: Int
        public var transportRetries: Int
    }

    /// The bot's Discord gateway sessions.
    public struct Gateway: Decodable, Hashable, Sendable {
        /// WebSocket connections opened; every one after the first is a reconnect.
        public var connections: Int
        public var identifies: Int
        /// RESUMEs sent, and RESUMED received.
        public var resumes: Int
        public var resumed: Int
        /// Connections closed because a heartbeat went unacknowledged.
        public var zombieConnections: Int
        public var heartbeatsSent: Int
        public var heartbeatAcks: Int
        public var dispatches: Int
    }
}
