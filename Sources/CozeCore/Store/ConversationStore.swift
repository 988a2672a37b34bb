import CSQLite
import DiscordWire
import Foundation

/// The durable memory of the bridge: conversations (name → Discord channel or thread, per access
/// key), their turns, and when each bot last heard from Coze. One SQLite file in WAL mode;
/// every change is committed before the call returns, so a killed process loses nothing it was
/// told had been saved.
///
/// Thread-safety: one connection behind one lock. Every operation is a handful of indexed
/// statements taking microseconds, so a lock is cheaper than an actor hop and keeps the API
/// synchronous, which the C ABI and NIO callbacks can call without an async context. SQLite
/// serializes writers anyway, so a connection pool would add only read concurrency the bridge
/// does not need.
public final class ConversationStore: @unchecked Sendable {
    // @unchecked: `database` is only touched while `lock` is held (see `withConnection`).

    /// The schema version this build writes; files with a higher `user_version` are refused.
    public static var schemaVersion: Int32 { ConversationStoreSchema.latestVersion }

    /// The SQLite file.
    public let path: String
    private let database: SQLiteDatabase
    private let lock = NSLock()
    private let clock: @Sendable () -> UInt64

    /// Opens the store at `path`, creating the file or migrating its schema forward as needed.
    ///
    /// - Parameters:
    ///   - path: The SQLite file (`Store_path`); its directory must exist.
    ///   - clock: Unix milliseconds now, for times the caller leaves out; injectable for tests.
    /// - Throws: ``ConversationStoreError/schemaTooNew(path:fileVersion:supportedVersion:)`` for a
    ///   file written by a newer cozebridge, ``ConversationStoreError/database(_:)`` otherwise.
    public convenience init(
        path: String,
        clock: @escaping @Sendable () -> UInt64 = WallClock.unixMilliseconds
    ) throws(ConversationStoreError) {
        try self.init(path: path, migrations: ConversationStoreSchema.migrations, clock: clock)
    }

    /// Opens with an explicit migration list, so tests can exercise upgrades between versions.
    init(
        path: String,
        migrations: [StoreMigration],
        clock: @escaping @Sendable () -> UInt64 = WallClock.unixMilliseconds
    ) throws(ConversationStoreError) {
        self.path = path
        self.clock = clock
        do {
            database = try SQLiteDatabase(path: path)
        } catch {
            throw .database(error)
        }
        try Self.migrate(database, path: path, migrations: migrations)
    }

    private static func migrate(_ database: SQLiteDatabase, path: String, migrations: [StoreMigration]) throws(ConversationStoreError) {
        let supported = migrations.last?.version ?? 0
        do {
            // The write lock first: two processes opening a fresh file must not both migrate it.
            try database.beginImmediate()
            let fileVersion = try database.userVersion()
            guard fileVersion <= supported else {
                database.rollbackQuietly()
                throw ConversationStoreError.schemaTooNew(path: path, fileVersion: fileVersion, supportedVersion: supported)
            }
            for migration in migrations where migration.version > fileVersion {
                try database.execute(migration.sql)
                try database.execute("PRAGMA user_version = \(migration.version)")
            }
            try database.commit()
        } catch {
            database.rollbackQuietly()
            throw storeError(error)
        }
    }

    // MARK: - Conversations

    /// Remembers a new conversation.
    ///
    /// - Throws: ``ConversationStoreError/nameAlreadyExists(accessKey:name:)`` when the key already
    ///   has a conversation of that name; ``ConversationStoreError/invalidName(_:)`` for "".
    @discardableResult
    public func createConversation(_ new: NewConversation) throws(ConversationStoreError) -> Conversation {
        try Self.validate(name: new.name)
        let now = new.createdAtMilliseconds ?? clock()
        return try withWriteTransaction { database in
            if try Self.conversation(accessKey: new.accessKey, name: new.name, in: database) != nil {
                throw ConversationStoreError.nameAlreadyExists(accessKey: new.accessKey, name: new.name)
            }
            try database.run(
                """
                INSERT INTO conversations (access_key, name, bot_identity, guild_id, channel_id, kind,
                    parent_channel_id, created_at_ms, last_used_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(new.accessKey), .text(new.name), .text(new.botIdentity),
                    Self.value(new.guildID), Self.value(new.channelID), .text(Self.kindText(new.kind)),
                    Self.parentValue(new.kind), Self.value(now), Self.value(now),
                ]
            )
            return Conversation(
                id: ConversationID(rawValue: database.lastInsertRowID),
                accessKey: new.accessKey,
                name: new.name,
                botIdentity: new.botIdentity,
                guildID: new.guildID,
                channelID: new.channelID,
                kind: new.kind,
                createdAtMilliseconds: now,
                lastUsedAtMilliseconds: now,
                lastCozeActivityAtMilliseconds: nil,
                completedTurnCount: 0
            )
        }
    }

    /// The conversation `name` of `accessKey`, or `nil`.
    public func conversation(accessKey: String, named name: String) throws(ConversationStoreError) -> Conversation? {
        try withConnection { database in
            try Self.conversation(accessKey: accessKey, name: name, in: database)
        }
    }

    /// The conversation with this ID, or `nil` once it has been deleted.
    public func conversation(id: ConversationID) throws(ConversationStoreError) -> Conversation? {
        try withConnection { database in
            try database.queryFirst(
                "SELECT \(Self.conversationColumns) FROM conversations WHERE id = ?",
                [.integer(id.rawValue)],
                row: Self.makeConversation
            )
        }
    }

    /// Whether `accessKey` has a conversation called `name`.
    public func conversationExists(accessKey: String, named name: String) throws(ConversationStoreError) -> Bool {
        try conversation(accessKey: accessKey, named: name) != nil
    }

    /// Every conversation of `accessKey`, by name (byte order).
    public func conversations(accessKey: String) throws(ConversationStoreError) -> [Conversation] {
        try withConnection { database in
            try database.query(
                "SELECT \(Self.conversationColumns) FROM conversations WHERE access_key = ? ORDER BY name",
                [.text(accessKey)],
                row: Self.makeConversation
            )
        }
    }

    /// Every conversation of every key, by key then name; for operators' listings.
    public func allConversations() throws(ConversationStoreError) -> [Conversation] {
        try withConnection { database in
            try database.query(
                "SELECT \(Self.conversationColumns) FROM conversations ORDER BY access_key, name",
                row: Self.makeConversation
            )
        }
    }

    /// The conversations posted in `channelID` (normally at most one), for Discord events such as
    /// a channel deleted by hand.
    public func conversations(onChannel channelID: Snowflake) throws(ConversationStoreError) -> [Conversation] {
        try withConnection { database in
            try database.query(
                "SELECT \(Self.conversationColumns) FROM conversations WHERE channel_id = ? ORDER BY id",
                [Self.value(channelID)],
                row: Self.makeConversation
            )
        }
    }

    /// Renames a conversation; its channel, turns and history stay with it. Renaming to the
    /// current name is a no-op.
    ///
    /// - Throws: ``ConversationStoreError/conversationNotFound(accessKey:name:)`` when `name` does
    ///   not exist, ``ConversationStoreError/nameAlreadyExists(accessKey:name:)`` when `newName`
    ///   already names another conversation of the key.
    @discardableResult
    public func renameConversation(
        accessKey: String,
        from name: String,
        to newName: String
    ) throws(ConversationStoreError) -> Conversation {
        try Self.validate(name: newName)
        return try withWriteTransaction { database in
            guard var conversation = try Self.conversation(accessKey: accessKey, name: name, in: database) else {
                throw ConversationStoreError.conversationNotFound(accessKey: accessKey, name: name)
            }
            guard newName != name else { return conversation }
            if try Self.conversation(accessKey: accessKey, name: newName, in: database) != nil {
                throw ConversationStoreError.nameAlreadyExists(accessKey: accessKey, name: newName)
            }
            try database.run("UPDATE conversations SET name = ? WHERE id = ?", [.text(newName), .integer(conversation.id.rawValue)])
            conversation.name = newName
            return conversation
        }
    }

    /// Forgets a conversation and its turns; returns what was deleted so the caller can delete
    /// the Discord channel too.
    ///
    /// - Throws: ``ConversationStoreError/conversationNotFound(accessKey:name:)``.
    @discardableResult
    public func deleteConversation(accessKey: String, named name: String) throws(ConversationStoreError) -> Conversation {
        try withWriteTransaction { database in
            guard let conversation = try Self.conversation(accessKey: accessKey, name: name, in: database) else {
                throw ConversationStoreError.conversationNotFound(accessKey: accessKey, name: name)
            }
            try database.run("DELETE FROM conversations WHERE id = ?", [.integer(conversation.id.rawValue)])
            return conversation
        }
    }

    /// Forgets a conversation by ID (eviction works from ``leastRecentlyUsedChannels(inGuild:limit:)``).
    ///
    /// - Throws: ``ConversationStoreError/conversationIDNotFound(_:)``.
    @discardableResult
    public func deleteConversation(id: ConversationID) throws(ConversationStoreError) -> Conversation {
        try withWriteTransaction { database in
            guard let conversation = try database.queryFirst(
                "SELECT \(Self.conversationColumns) FROM conversations WHERE id = ?",
                [.integer(id.rawValue)],
                row: Self.makeConversation
            ) else {
                throw ConversationStoreError.conversationIDNotFound(id)
            }
            try database.run("DELETE FROM conversations WHERE id = ?", [.integer(id.rawValue)])
            return conversation
        }
    }

    /// Marks a conversation as used now (or at `milliseconds`), so eviction spares it. Never
    /// moves the time backwards, because turns can finish out of order.
    ///
    /// - Throws: ``ConversationStoreError/conversationIDNotFound(_:)``.
    public func markUsed(_ id: ConversationID, atMilliseconds milliseconds: UInt64? = nil) throws(ConversationStoreError) {
        let time = milliseconds ?? clock()
        try withWriteTransaction { database in
            let changed = try database.run(
                "UPDATE conversations SET last_used_at_ms = max(last_used_at_ms, ?) WHERE id = ?",
                [Self.value(time), .integer(id.rawValue)]
            )
            guard changed == 1 else { throw ConversationStoreError.conversationIDNotFound(id) }
        }
    }

    // MARK: - Guild channel cap

    /// The channel conversations of `guildID` (all keys and bots), least recently used first:
    /// the candidates to evict before the guild reaches Discord's 500-channel cap. Threads are
    /// left out because they do not count against the cap.
    public func leastRecentlyUsedChannels(inGuild guildID: Snowflake, limit: Int) throws(ConversationStoreError) -> [Conversation] {
        try withConnection { database in
            try database.query(
                """
                SELECT \(Self.conversationColumns) FROM conversations
                WHERE guild_id = ? AND kind = 'channel'
                ORDER BY last_used_at_ms, id
                LIMIT ?
                """,
                [Self.value(guildID), .integer(Int64(max(0, limit)))],
                row: Self.makeConversation
            )
        }
    }

    /// How many conversation channels (threads excluded) the store holds in `guildID`, across all
    /// keys and bots.
    public func channelConversationCount(inGuild guildID: Snowflake) throws(ConversationStoreError) -> Int {
        try withConnection { database in
            let count = try database.queryFirst(
                "SELECT count(*) FROM conversations WHERE guild_id = ? AND kind = 'channel'",
                [Self.value(guildID)]
            ) { $0.int64(0) }
            return Int(count ?? 0)
        }
    }

    /// How many stored threads of `botIdentity` each parent channel holds; parents without a
    /// stored thread are absent. Counted by SQLite: a new thread should not read every
    /// conversation row.
    public func threadCountsByParent(botIdentity: String) throws(ConversationStoreError) -> [Snowflake: Int] {
        try withConnection { database in
            let rows = try database.query(
                """
                SELECT parent_channel_id, count(*) FROM conversations
                WHERE bot_identity = ? AND kind = 'thread' GROUP BY parent_channel_id
                """,
                [.text(botIdentity)]
            ) { row in (Snowflake(UInt64(bitPattern: row.int64(0))), Int(row.int64(1))) }
            return Dictionary(rows, uniquingKeysWith: +)
        }
    }

    // MARK: - Turns

    /// Stores a finished turn and marks the conversation used at the turn's finish time.
    ///
    /// Completed turns extend the conversation's matchable history (see
    /// ``conversations(accessKey:whoseHistoryStartsWith:)``); failed turns are kept for the record
    /// but are not part of it, since the client never saw an answer for them.
    ///
    /// - Parameter cozeBot: when Coze answered, the identity of the bridge bot whose Coze bot it
    ///   was: its activity (see ``recordCozeActivity(botIdentity:atMilliseconds:in:)``) is
    ///   recorded at the turn's finish time in the same transaction, so a finished turn costs one
    ///   commit (one `fsync`), not two.
    /// - Throws: ``ConversationStoreError/conversationIDNotFound(_:)`` when the conversation was
    ///   deleted meanwhile; nothing is recorded then.
    @discardableResult
    public func recordTurn(
        _ turn: ConversationTurn, in id: ConversationID, cozeActivityOf cozeBot: String? = nil
    ) throws(ConversationStoreError) -> RecordedTurn {
        try withWriteTransaction { database in
            let state = try database.queryFirst(
                "SELECT turn_count, completed_turn_count, history_digest FROM conversations WHERE id = ?",
                [.integer(id.rawValue)]
            ) { row in (turns: Int(row.int64(0)), completed: Int(row.int64(1)), digest: row.optionalBlob(2)) }
            guard let state else { throw ConversationStoreError.conversationIDNotFound(id) }

            let sequence = state.turns + 1
            var completedIndex: Int?
            var digest: [UInt8]?
            let outcomeText: String
            var errorCode: String?
            switch turn.outcome {
            case .done:
                outcomeText = "done"
                completedIndex = state.completed + 1
                digest = TurnHistoryDigest.appending(
                    TurnExchange(prompt: turn.prompt, answer: turn.answer),
                    to: state.digest ?? TurnHistoryDigest.empty
                )
            case .error(let code):
                outcomeText = "error"
                errorCode = code
            }
            try database.run(
                """
                INSERT INTO turns (conversation_id, sequence, completed_index, history_digest, prompt, answer,
                    image_urls, suggestions, started_at_ms, finished_at_ms, outcome, error_code)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .integer(id.rawValue), .integer(Int64(sequence)),
                    completedIndex.map { .integer(Int64($0)) } ?? .null,
                    digest.map { .blob($0) } ?? .null,
                    .text(turn.prompt), .text(turn.answer),
                    .text(Self.encodeList(turn.imageURLs)), .text(Self.encodeList(turn.suggestions)),
                    Self.value(turn.startedAtMilliseconds), Self.value(turn.finishedAtMilliseconds),
                    .text(outcomeText), errorCode.map { .text($0) } ?? .null,
                ]
            )
            try database.run(
                """
                UPDATE conversations SET
                    turn_count = ?,
                    completed_turn_count = coalesce(?, completed_turn_count),
                    history_digest = coalesce(?, history_digest),
                    last_used_at_ms = max(last_used_at_ms, ?)
                WHERE id = ?
                """,
                [
                    .integer(Int64(sequence)),
                    completedIndex.map { .integer(Int64($0)) } ?? .null,
                    digest.map { .blob($0) } ?? .null,
                    Self.value(turn.finishedAtMilliseconds),
                    .integer(id.rawValue),
                ]
            )
            if let cozeBot {
                try Self.recordCozeActivity(
                    botIdentity: cozeBot, at: Self.value(turn.finishedAtMilliseconds), in: id, database)
            }
            return RecordedTurn(sequence: sequence, completedIndex: completedIndex, turn: turn)
        }
    }

    /// Every turn of a conversation, in order (an empty list for an unknown ID).
    public func turns(of id: ConversationID) throws(ConversationStoreError) -> [RecordedTurn] {
        try withConnection { database in
            try database.query(
                """
                SELECT sequence, completed_index, prompt, answer, image_urls, suggestions,
                    started_at_ms, finished_at_ms, outcome, error_code
                FROM turns WHERE conversation_id = ? ORDER BY sequence
                """,
                [.integer(id.rawValue)]
            ) { row in
                let outcome: TurnOutcome = row.text(8) == "done" ? .done : .error(code: row.optionalText(9) ?? "")
                return RecordedTurn(
                    sequence: Int(row.int64(0)),
                    completedIndex: row.optionalInt64(1).map { Int($0) },
                    turn: ConversationTurn(
                        prompt: row.text(2),
                        answer: row.text(3),
                        imageURLs: Self.decodeList(row.text(4)),
                        suggestions: Self.decodeList(row.text(5)),
                        startedAtMilliseconds: UInt64(bitPattern: row.int64(6)),
                        finishedAtMilliseconds: UInt64(bitPattern: row.int64(7)),
                        outcome: outcome
                    )
                )
            }
        }
    }

    /// The conversations of `accessKey` whose completed turns, in order, begin with `exchanges`:
    /// how an OpenAI-style client's resent message history finds the conversation it continues.
    ///
    /// One indexed lookup of the running history digest, whatever the history length. Exact
    /// continuations (no further completed turns) come first, then the most recently used. An
    /// empty `exchanges` matches every conversation of the key.
    public func conversations(
        accessKey: String,
        whoseHistoryStartsWith exchanges: [TurnExchange]
    ) throws(ConversationStoreError) -> [TurnHistoryMatch] {
        let matched: [Conversation]
        if exchanges.isEmpty {
            matched = try conversations(accessKey: accessKey)
        } else {
            let digest = TurnHistoryDigest.digest(of: exchanges)
            matched = try withConnection { database in
                try database.query(
                    """
                    SELECT \(Self.conversationColumns(prefix: "c.")) FROM turns t
                    JOIN conversations c ON c.id = t.conversation_id
                    WHERE t.history_digest = ? AND t.completed_index = ? AND c.access_key = ?
                    """,
                    [.blob(digest), .integer(Int64(exchanges.count)), .text(accessKey)],
                    row: Self.makeConversation
                )
            }
        }
        return matched
            .map { TurnHistoryMatch(conversation: $0, matchedTurnCount: exchanges.count) }
            .sorted { left, right in
                if left.isExactContinuation != right.isExactContinuation { return left.isExactContinuation }
                if left.conversation.lastUsedAtMilliseconds != right.conversation.lastUsedAtMilliseconds {
                    return left.conversation.lastUsedAtMilliseconds > right.conversation.lastUsedAtMilliseconds
                }
                return left.conversation.id.rawValue < right.conversation.id.rawValue
            }
    }

    // MARK: - Keepalive

    /// Records that the Coze bot served by `botIdentity` was active (started or streamed an
    /// answer), optionally in a conversation. Persisted so a restart does not reset the keepalive
    /// clock; never moves backwards, so late events from an old turn cannot undo a newer one.
    public func recordCozeActivity(
        botIdentity: String,
        atMilliseconds milliseconds: UInt64? = nil,
        in conversationID: ConversationID? = nil
    ) throws(ConversationStoreError) {
        let time = Self.value(milliseconds ?? clock())
        try withWriteTransaction { database in
            try Self.recordCozeActivity(botIdentity: botIdentity, at: time, in: conversationID, database)
        }
    }

    private static func recordCozeActivity(
        botIdentity: String, at time: SQLiteValue, in conversationID: ConversationID?, _ database: SQLiteDatabase
    ) throws {
        try database.run(
            """
            INSERT INTO bot_coze_activity (bot_identity, last_coze_activity_at_ms) VALUES (?, ?)
            ON CONFLICT (bot_identity) DO UPDATE SET
                last_coze_activity_at_ms = max(last_coze_activity_at_ms, excluded.last_coze_activity_at_ms)
            """,
            [.text(botIdentity), time]
        )
        if let conversationID {
            try database.run(
                """
                UPDATE conversations
                SET last_coze_activity_at_ms = max(coalesce(last_coze_activity_at_ms, 0), ?)
                WHERE id = ?
                """,
                [time, .integer(conversationID.rawValue)]
            )
        }
    }

    /// When the Coze bot of `botIdentity` was last active, in Unix milliseconds; `nil` if never
    /// recorded (keepalive then treats the bot as due).
    public func lastCozeActivity(botIdentity: String) throws(ConversationStoreError) -> UInt64? {
        try withConnection { database in
            try database.queryFirst(
                "SELECT last_coze_activity_at_ms FROM bot_coze_activity WHERE bot_identity = ?",
                [.text(botIdentity)]
            ) { UInt64(bitPattern: $0.int64(0)) }
        }
    }

    /// The last Coze activity of every bot ever recorded.
    public func lastCozeActivityByBot() throws(ConversationStoreError) -> [String: UInt64] {
        try withConnection { database in
            let pairs = try database.query("SELECT bot_identity, last_coze_activity_at_ms FROM bot_coze_activity") {
                ($0.text(0), UInt64(bitPattern: $0.int64(1)))
            }
            return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        }
    }

    // MARK: - Maintenance

    /// `PRAGMA integrity_check`: `["ok"]` for a sound file, otherwise SQLite's findings.
    public func integrityCheck() throws(ConversationStoreError) -> [String] {
        try withConnection { database in try database.integrityCheck() }
    }

    /// The legacy files already imported, by file name.
    public func legacyImports() throws(ConversationStoreError) -> [LegacyImportRecord] {
        try withConnection { database in
            try database.query(
                "SELECT file_name, access_key, imported_at_ms, imported_count, skipped_count FROM legacy_imports ORDER BY file_name"
            ) { row in
                LegacyImportRecord(
                    fileName: row.text(0),
                    accessKey: row.text(1),
                    importedAtMilliseconds: UInt64(bitPattern: row.int64(2)),
                    importedCount: Int(row.int64(3)),
                    skippedCount: Int(row.int64(4))
                )
            }
        }
    }

    // MARK: - Access to the connection

    /// Now, by the store's clock.
    var nowMilliseconds: UInt64 { clock() }

    /// Runs `body` with the connection, holding the lock; any error becomes a
    /// ``ConversationStoreError``.
    func withConnection<Result>(_ body: (SQLiteDatabase) throws -> Result) throws(ConversationStoreError) -> Result {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body(database)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Runs `body` in one write transaction: all of it is committed, or none of it on error.
    @discardableResult
    func withWriteTransaction<Result>(_ body: (SQLiteDatabase) throws -> Result) throws(ConversationStoreError) -> Result {
        try withConnection { database in
            try database.beginImmediate()
            do {
                let result = try body(database)
                try database.commit()
                return result
            } catch {
                database.rollbackQuietly()
                throw error
            }
        }
    }

    private static func storeError(_ error: any Error) -> ConversationStoreError {
        switch error {
        case let error as ConversationStoreError:
            return error
        case let error as SQLiteError:
            return .database(error)
        default:
            return .database(SQLiteError(extendedCode: SQLITE_ERROR, message: String(describing: error), context: "store"))
        }
    }

    // MARK: - Rows

    private static func validate(name: String) throws(ConversationStoreError) {
        guard !name.isEmpty else { throw .invalidName(name) }
    }

    private static let conversationColumns = conversationColumns(prefix: "")

    private static func conversationColumns(prefix: String) -> String {
        [
            "id", "access_key", "name", "bot_identity", "guild_id", "channel_id", "kind", "parent_channel_id",
            "created_at_ms", "last_used_at_ms", "last_coze_activity_at_ms", "completed_turn_count",
        ].map { prefix + $0 }.joined(separator: ", ")
    }

    static func conversation(accessKey: String, name: String, in database: SQLiteDatabase) throws(SQLiteError) -> Conversation? {
        try database.queryFirst(
            "SELECT \(conversationColumns) FROM conversations WHERE access_key = ? AND name = ?",
            [.text(accessKey), .text(name)],
            row: makeConversation
        )
    }

    private static func makeConversation(_ row: borrowing SQLiteRow) -> Conversation {
        let kind: ConversationKind
        if row.text(6) == "thread", let parent = row.optionalInt64(7) {
            kind = .thread(parentChannelID: Snowflake(UInt64(bitPattern: parent)))
        } else {
            kind = .channel
        }
        return Conversation(
            id: ConversationID(rawValue: row.int64(0)),
            accessKey: row.text(1),
            name: row.text(2),
            botIdentity: row.text(3),
            guildID: Snowflake(UInt64(bitPattern: row.int64(4))),
            channelID: Snowflake(UInt64(bitPattern: row.int64(5))),
            kind: kind,
            createdAtMilliseconds: UInt64(bitPattern: row.int64(8)),
            lastUsedAtMilliseconds: UInt64(bitPattern: row.int64(9)),
            lastCozeActivityAtMilliseconds: row.optionalInt64(10).map { UInt64(bitPattern: $0) },
            completedTurnCount: Int(row.int64(11))
        )
    }

    static func value(_ snowflake: Snowflake) -> SQLiteValue {
        .integer(Int64(bitPattern: snowflake.rawValue))
    }

    static func value(_ milliseconds: UInt64) -> SQLiteValue {
        .integer(Int64(bitPattern: milliseconds))
    }

    static func kindText(_ kind: ConversationKind) -> String {
        switch kind {
        case .channel: return "channel"
        case .thread: return "thread"
        }
    }

    static func parentValue(_ kind: ConversationKind) -> SQLiteValue {
        switch kind {
        case .channel: return .null
        case .thread(let parent): return value(parent)
        }
    }

    /// Lists are stored as JSON arrays of strings: readable in the sqlite3 shell, and they
    /// survive any character a suggestion can contain.
    private static func encodeList(_ items: [String]) -> String {
        JSONValue.array(items.map { .string($0) }).serialized()
    }

    private static func decodeList(_ text: String) -> [String] {
        guard let value = try? JSONValue.parse(text), let items = value.arrayValue else { return [] }
        return items.compactMap { $0.stringValue }
    }
}

/// A legacy file that was imported, as recorded in the store.
public struct LegacyImportRecord: Hashable, Sendable {
    public let fileName: String
    /// The access key its conversations were filed under.
    public let accessKey: String
    public let importedAtMilliseconds: UInt64
    /// Conversations created from it.
    public let importedCount: Int
    /// Entries not imported because the key already had a conversation of that name.
    public let skippedCount: Int

    public init(fileName: String, accessKey: String, importedAtMilliseconds: UInt64, importedCount: Int, skippedCount: Int) {
        self.fileName = fileName
        self.accessKey = accessKey
        self.importedAtMilliseconds = importedAtMilliseconds
        self.importedCount = importedCount
        self.skippedCount = skippedCount
    }
}
