import DiscordWire

/// A Discord channel or thread the bridge asked Discord for and has not stored yet.
///
/// Written before the request and removed once the store knows the channel, so a row that
/// outlives a process names a channel that may exist on Discord without a conversation (the
/// process died between Discord's answer and the store's insert). ``CozeBridge`` deletes such
/// channels at start; see ``ConversationStore/pendingChannels()``.
public struct PendingChannel: Sendable, Hashable {
    /// Whether a guild text channel or a thread was asked for.
    public enum Kind: String, Sendable, Hashable {
        case channel
        case thread
    }

    /// The row's id, for ``ConversationStore/removePendingChannel(_:)``.
    public var id: Int64
    /// The bot whose token made the request.
    public var botIdentity: String
    public var guildID: Snowflake
    /// The category of a channel, the parent channel of a thread; `nil`: none.
    public var parentID: Snowflake?
    /// The name the channel or thread was given.
    public var name: String
    public var kind: Kind
    /// When the request was about to be sent, in Unix milliseconds.
    public var startedAtMilliseconds: UInt64
}

extension ConversationStore {
    /// Records that a channel named `name` is about to be created; returns the row's id.
    public func addPendingChannel(
        botIdentity: String, guildID: Snowflake, parentID: Snowflake?, name: String, kind: PendingChannel.Kind,
        atMilliseconds milliseconds: UInt64? = nil
    ) throws(ConversationStoreError) -> Int64 {
        try withWriteTransaction { database in
            try database.run(
                """
                INSERT INTO pending_channels (bot_identity, guild_id, parent_id, name, kind, started_at_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(botIdentity), Self.value(guildID), parentID.map(Self.value) ?? .null, .text(name),
                    .text(kind.rawValue), Self.value(milliseconds ?? nowMilliseconds),
                ]
            )
            return try database.queryFirst("SELECT last_insert_rowid()") { $0.int64(0) } ?? 0
        }
    }

    /// Forgets a pending channel: it was stored, or it is known not to exist.
    public func removePendingChannel(_ id: Int64) throws(ConversationStoreError) {
        try withWriteTransaction { database in
            _ = try database.run("DELETE FROM pending_channels WHERE id = ?", [.integer(id)])
        }
    }

    /// Every pending channel, oldest first.
    public func pendingChannels() throws(ConversationStoreError) -> [PendingChannel] {
        try withConnection { database in
            try database.query(
                "SELECT id, bot_identity, guild_id, parent_id, name, kind, started_at_ms FROM pending_channels ORDER BY id"
            ) { row in
                PendingChannel(
                    id: row.int64(0), botIdentity: row.text(1), guildID: Snowflake(UInt64(bitPattern: row.int64(2))),
                    parentID: row.optionalInt64(3).map { Snowflake(UInt64(bitPattern: $0)) }, name: row.text(4),
                    kind: PendingChannel.Kind(rawValue: row.text(5)) ?? .channel,
                    startedAtMilliseconds: UInt64(bitPattern: row.int64(6)))
            }
        }
    }

    /// Whether any conversation lives in `channelID` or uses it as its thread parent.
    public func isConversationChannel(_ channelID: Snowflake) throws(ConversationStoreError) -> Bool {
        try withConnection { database in
            try database.queryFirst(
                "SELECT 1 FROM conversations WHERE channel_id = ?1 OR parent_channel_id = ?1 LIMIT 1", [Self.value(channelID)]
            ) { _ in true } ?? false
        }
    }
}
