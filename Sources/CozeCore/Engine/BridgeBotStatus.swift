import DiscordWire

/// The health of one configured bot, as ``CozeBridge/status()`` reports it.
public struct BridgeBotStatus: Sendable, Equatable {
    /// Where the bot's gateway session stands, simplified.
    public enum State: Sendable, Equatable {
        /// Connecting, resuming or waiting to reconnect.
        case connecting
        /// Events flow; the bot can take turns.
        case ready
        /// Stopped for good. `reason` is the gateway's error text (e.g. Discord's 4004
        /// "Authentication failed" with what to do about it), or "shut down".
        case stopped(reason: String)
    }

    /// The access key (pool) of the bot.
    public var accessKey: String
    /// The stable identity conversations of this bot are stored under.
    public var identity: String
    /// The Discord account the bot's gateway session runs as (the bridge bot; in `user` sender
    /// mode without a bot token, the user), from its READY; `nil` until the first READY.
    public var user: DiscordGatewayUser?
    /// How prompts are posted.
    public var senderMode: BotConfiguration.SenderMode
    /// Simplified gateway state.
    public var state: State
    /// The gateway client's own status.
    public var gateway: DiscordGatewayStatus
    /// Turns running or queued on this bot (and new conversations being placed on it).
    public var inFlightTurns: Int
    /// Until when (Unix milliseconds) the bot is out of its pool because Coze said its quota is
    /// spent; `nil` when it is not.
    public var quotaExhaustedUntilMilliseconds: UInt64?
    /// Coze's quota text that took the bot out of its pool.
    public var quotaText: String?
    /// When the bot's Coze bot was last active (Unix milliseconds, from the store, so it
    /// survives restarts); `nil` if never. Keepalive compares it with `Keepalive_maxIntervalMinutes`.
    public var lastCozeActivityMilliseconds: UInt64?

    /// The bot's REST clients' counters (listener and senders together): attempts, Discord 429s,
    /// retries.
    public var rest = DiscordRESTClient.Statistics()
    /// The bot's gateway session counters: connections, identifies, resumes, zombies.
    public var gatewayStatistics = DiscordGatewayStatistics()

    /// The Discord user id of ``user``: the bridge bot's own id.
    public var userID: Snowflake? { user?.id }

    /// Whether a new conversation may be placed on the bot.
    public var isAvailable: Bool { state == .ready && quotaExhaustedUntilMilliseconds == nil }
}
