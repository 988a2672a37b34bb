import CozeBridgeHeaders

/// The health of one configured bot (`coze_bot_status`), copied out of the core's memory.
public struct BotStatus: Hashable, Sendable {
    /// `COZE_BOT_CONNECTING`, `COZE_BOT_READY` or `COZE_BOT_STOPPED`.
    public enum State: String, Hashable, Sendable {
        case connecting, ready, stopped
    }

    public var accessKey: String
    /// The stable identity its conversations are stored under.
    public var identity: String
    /// "bot" or "user": who posts the prompts.
    public var senderMode: String
    public var state: State
    /// The gateway's own words on its state (the stop reason when stopped).
    public var detail: String
    /// Turns running or queued on it.
    public var inFlightTurns: Int
    /// Whether a new conversation may be placed on it.
    public var available: Bool
    /// Until when (Unix ms) it is out of its pool for a spent Coze quota; 0 when it is not.
    public var quotaExhaustedUntilMilliseconds: Int64
    /// When its Coze bot last answered (Unix ms); 0 if never.
    public var lastCozeActivityMilliseconds: Int64

    /// Copies a borrowed `coze_bot_status`.
    public init(_ value: coze_bot_status) {
        accessKey = CString.optional(value.access_key) ?? ""
        identity = CString.optional(value.identity) ?? ""
        senderMode = CString.optional(value.sender_mode) ?? ""
        switch value.state {
        case COZE_BOT_READY: state = .ready
        case COZE_BOT_STOPPED: state = .stopped
        default: state = .connecting
        }
        detail = CString.optional(value.detail) ?? ""
        inFlightTurns = Int(value.in_flight_turns)
        available = value.available != 0
        quotaExhaustedUntilMilliseconds = value.quota_exhausted_until_ms
        lastCozeActivityMilliseconds = value.last_coze_activity_ms
    }
}
