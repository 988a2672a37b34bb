/// One forward step of the store's schema. Steps are applied in order, each inside the same
/// transaction as the `PRAGMA user_version` bump that records it, so a crash mid-migration
/// leaves the file at the previous version rather than half-migrated.
struct StoreMigration: Sendable {
    /// The `user_version` the file has after this step.
    let version: Int32
    /// The statements of the step.
    let sql: String
}

/// The store's schema history. Append new steps; never edit a released one, since files in the
/// field were built by it.
enum ConversationStoreSchema {
    static let migrations: [StoreMigration] = [version1, version2]

    static var latestVersion: Int32 { migrations.last?.version ?? 0 }

    /// Snowflakes are stored as INTEGER (the UInt64 bit pattern; real ones stay below 2^63 for
    /// centuries, so they sort and read naturally in the sqlite3 shell). Times are Unix
    /// milliseconds. STRICT tables, so a wrong type from a future bug fails loudly.
    private static let version1 = StoreMigration(version: 1, sql: """
        CREATE TABLE conversations (
            -- AUTOINCREMENT so that an ID is never reused: a turn finishing after its conversation
            -- was deleted must not land in a newer conversation.
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            access_key TEXT NOT NULL,
            -- Compared byte for byte (BINARY collation): names are case-sensitive.
            name TEXT NOT NULL CHECK (name <> ''),
            bot_identity TEXT NOT NULL,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('channel', 'thread')),
            parent_channel_id INTEGER,
            created_at_ms INTEGER NOT NULL,
            last_used_at_ms INTEGER NOT NULL,
            last_coze_activity_at_ms INTEGER,
            -- Kept here so recording a turn needs no scan of earlier turns.
            turn_count INTEGER NOT NULL DEFAULT 0,
            completed_turn_count INTEGER NOT NULL DEFAULT 0,
            history_digest BLOB,
            UNIQUE (access_key, name),
            CHECK ((kind = 'thread') = (parent_channel_id IS NOT NULL))
        ) STRICT;
        -- Eviction: the least recently used channels of a guild, and counting them.
        CREATE INDEX conversations_by_guild_recency ON conversations (guild_id, kind, last_used_at_ms);
        -- Discord events (a deleted channel) name the channel, not the conversation.
        CREATE INDEX conversations_by_channel ON conversations (channel_id);

        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            sequence INTEGER NOT NULL,
            -- Position among completed turns and the running digest of the history up to and
            -- including this turn (see TurnHistoryDigest); both NULL for failed turns.
            completed_index INTEGER,
            history_digest BLOB,
            prompt TEXT NOT NULL,
            answer TEXT NOT NULL,
            image_urls TEXT NOT NULL,
            suggestions TEXT NOT NULL,
            started_at_ms INTEGER NOT NULL,
            finished_at_ms INTEGER NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('done', 'error')),
            error_code TEXT,
            UNIQUE (conversation_id, sequence),
            CHECK ((outcome = 'done') = (history_digest IS NOT NULL AND completed_index IS NOT NULL)),
            CHECK ((outcome = 'error') = (error_code IS NOT NULL))
        ) STRICT;
        CREATE INDEX turns_by_history_digest ON turns (history_digest);

        -- Keepalive: when each bridge bot last saw its Coze bot answer, across restarts.
        CREATE TABLE bot_coze_activity (
            bot_identity TEXT PRIMARY KEY,
            last_coze_activity_at_ms INTEGER NOT NULL
        ) STRICT;

        -- Legacy files of the Java bridge already imported; a file listed here is never read again.
        CREATE TABLE legacy_imports (
            file_name TEXT PRIMARY KEY,
            access_key TEXT NOT NULL,
            imported_at_ms INTEGER NOT NULL,
            imported_count INTEGER NOT NULL,
            skipped_count INTEGER NOT NULL
        ) STRICT;
        """)

    private static let version2 = StoreMigration(version: 2, sql: """
        -- A Discord channel or thread being made for a conversation (or as a thread parent):
        -- written before the request, removed once the store knows the channel. A row that a
        -- crash leaves behind names a channel that may exist on Discord without a conversation;
        -- the next start looks for it and deletes it.
        CREATE TABLE pending_channels (
            id INTEGER PRIMARY KEY,
            bot_identity TEXT NOT NULL,
            guild_id INTEGER NOT NULL,
            -- The category of a channel, the parent channel of a thread; NULL: none.
            parent_id INTEGER,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('channel', 'thread')),
            started_at_ms INTEGER NOT NULL
        ) STRICT;
        """)
}
