import CozeBridgeHeaders

/// One conversation of an access key (`coze_conversation`), copied out of the core's memory.
public struct Conversation: Hashable, Sendable {
    /// Its name, unique per access key.
    public var name: String
    /// The Discord channel (or thread) id and its guild, as decimal strings.
    public var channelID: String
    public var guildID: String
    /// "channel" or "thread".
    public var kind: String
    /// The identity of the bot that holds it.
    public var bot: String
    /// Unix milliseconds of creation and of the last turn.
    public var createdAtMilliseconds: Int64
    public var lastUsedAtMilliseconds: Int64
    /// Turns completed in it.
    public var completedTurns: Int64

    /// Copies a borrowed `coze_conversation`.
    public init(_ value: coze_conversation) {
        name = String(cString: value.name)
        channelID = CString.optional(value.channel_id) ?? ""
        guildID = CString.optional(value.guild_id) ?? ""
        kind = CString.optional(value.kind) ?? ""
        bot = CString.optional(value.bot) ?? ""
        createdAtMilliseconds = value.created_at_ms
        lastUsedAtMilliseconds = value.last_used_at_ms
        completedTurns = value.completed_turns
    }
}
