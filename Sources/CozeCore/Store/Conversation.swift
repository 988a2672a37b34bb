import DiscordWire

/// A conversation's permanent identity in the store: stable across renames and never reused
/// after a delete, so a turn that finishes after its conversation was renamed still lands on it.
public struct ConversationID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public var description: String { String(rawValue) }
}

/// Where a conversation lives on Discord.
public enum ConversationKind: Hashable, Sendable {
    /// A guild text channel. Counts against Discord's 500-channel cap of the guild.
    case channel
    /// A thread under `parentChannelID`. Threads do not count against the channel cap.
    case thread(parentChannelID: Snowflake)
}

/// One named conversation of an access key, mapped to its Discord channel or thread.
///
/// Names are unique per access key and case-sensitive, compared byte for byte (UTF-8, no Unicode
/// normalization): `Chat` and `chat` are two conversations. Discord lower-cases channel names,
/// which is why the seed's era B lost conversations when it keyed the map by the channel's name;
/// the name here is the one the client asked for, whatever Discord made of it.
public struct Conversation: Hashable, Sendable {
    /// Stable identity; see ``ConversationID``.
    public let id: ConversationID
    /// The access key (the bot pool's `Key`) the conversation belongs to.
    public var accessKey: String
    /// The client-chosen name, unique within ``accessKey``.
    public var name: String
    /// Which bridge bot of the pool owns the channel: the bot token's user ID or a stable label.
    /// A conversation stays on its bot.
    public var botIdentity: String
    /// The guild (`Server_id`) holding the channel.
    public var guildID: Snowflake
    /// The channel, or the thread, where prompts are posted.
    public var channelID: Snowflake
    /// Channel or thread (with its parent channel).
    public var kind: ConversationKind
    /// When the conversation was created, in Unix milliseconds.
    public var createdAtMilliseconds: UInt64
    /// When a turn last used it, in Unix milliseconds; the least recently used are evicted first.
    public var lastUsedAtMilliseconds: UInt64
    /// When the Coze bot last answered in it, in Unix milliseconds; `nil` if it never has.
    public var lastCozeActivityAtMilliseconds: UInt64?
    /// How many turns ended with ``TurnOutcome/done``; the length of its matchable history.
    public var completedTurnCount: Int

    public init(
        id: ConversationID,
        accessKey: String,
        name: String,
        botIdentity: String,
        guildID: Snowflake,
        channelID: Snowflake,
        kind: ConversationKind,
        createdAtMilliseconds: UInt64,
        lastUsedAtMilliseconds: UInt64,
        lastCozeActivityAtMilliseconds: UInt64?,
        completedTurnCount: Int
    ) {
        self.id = id
        self.accessKey = accessKey
        self.name = name
        self.botIdentity = botIdentity
        self.guildID = guildID
        self.channelID = channelID
        self.kind = kind
        self.createdAtMilliseconds = createdAtMilliseconds
        self.lastUsedAtMilliseconds = lastUsedAtMilliseconds
        self.lastCozeActivityAtMilliseconds = lastCozeActivityAtMilliseconds
        self.completedTurnCount = completedTurnCount
    }
}

/// What is needed to remember a newly created Discord channel or thread as a conversation.
public struct NewConversation: Hashable, Sendable {
    public var accessKey: String
    public var name: String
    public var botIdentity: String
    public var guildID: Snowflake
    public var channelID: Snowflake
    public var kind: ConversationKind
    /// Creation time in Unix milliseconds; `nil` means the store's clock at insertion.
    public var createdAtMilliseconds: UInt64?

    public init(
        accessKey: String,
        name: String,
        botIdentity: String,
        guildID: Snowflake,
        channelID: Snowflake,
        kind: ConversationKind = .channel,
        createdAtMilliseconds: UInt64? = nil
    ) {
        self.accessKey = accessKey
        self.name = name
        self.botIdentity = botIdentity
        self.guildID = guildID
        self.channelID = channelID
        self.kind = kind
        self.createdAtMilliseconds = createdAtMilliseconds
    }
}
