import DiscordWire

/// What a gateway session reports, in order.
public enum DiscordGatewayEvent: Sendable {
    /// A new session: READY was received (sequence 1 of the session).
    case ready(DiscordGatewayReady)
    /// A dispatch (op 0) other than READY and RESUMED, each sequence number once and in order
    /// for a session, replays after RESUME included.
    case dispatch(name: String, sequence: Int, data: JSONValue)
    /// The session was resumed; the events it missed came before this as `dispatch`.
    case resumed(sessionID: String)
    /// The connection ended and another is being made.
    case reconnecting(DiscordGatewayReconnectReason)
    /// The client ended: `nil` after `shutdown()`, the fatal error otherwise. Always the last event.
    case stopped(DiscordGatewayError?)
}

extension DiscordGatewayEvent {
    /// The channel a dispatch is about, for routing: `id` of a `CHANNEL_*` / `THREAD_*` dispatch
    /// (the channel or thread itself), `channel_id` of any other; `nil` for session events and
    /// dispatches without a channel (guild, presence, …).
    public var dispatchChannelID: Snowflake? {
        guard case .dispatch(let name, _, let data) = self else { return nil }
        if name.hasPrefix("CHANNEL_") || name.hasPrefix("THREAD_") {
            // THREAD_LIST_SYNC and THREAD_MEMBERS_UPDATE carry no single channel `id` of their own.
            if let id = data["id"]?.snowflakeValue { return id }
        }
        return data["channel_id"]?.snowflakeValue
    }
}

/// The facts of a READY dispatch that the bridge needs.
public struct DiscordGatewayReady: Sendable, Equatable {
    /// The identity's user object as Discord sent it.
    public var user: JSONValue
    /// The identity's user id.
    public var userID: Snowflake?
    /// The identity's user name.
    public var username: String
    /// The session id used to RESUME.
    public var sessionID: String
    /// Where to RESUME this session.
    public var resumeGatewayURL: String
    /// The whole READY `d`, for guild ids and application flags.
    public var data: JSONValue

    public init(data: JSONValue) {
        self.data = data
        user = data["user"] ?? .null
        userID = user["id"]?.snowflakeValue
        username = user["username"]?.stringValue ?? ""
        sessionID = data["session_id"]?.stringValue ?? ""
        resumeGatewayURL = data["resume_gateway_url"]?.stringValue ?? ""
    }
}

/// The Discord account a gateway session runs as, from its READY.
public struct DiscordGatewayUser: Sendable, Hashable {
    /// The account's user id (the bridge bot's own id in `bot` sender mode).
    public var id: Snowflake
    /// The account's user name.
    public var username: String

    public init(id: Snowflake, username: String) {
        self.id = id
        self.username = username
    }
}
