import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// A fresh directory per test, removed when the test lets go of it.
final class StoreTestDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = (base as NSString).appendingPathComponent("cozebridge-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    var databasePath: String { file("store.sqlite") }
}

/// A clock the test moves by hand, so stored times are exact.
final class StoreTestClock: @unchecked Sendable {
    // @unchecked: `current` is only touched under `lock`.
    private let lock = NSLock()
    private var current: UInt64

    init(_ start: UInt64 = 1_700_000_000_000) {
        current = start
    }

    var now: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by milliseconds: UInt64) {
        lock.lock()
        current += milliseconds
        lock.unlock()
    }

    var function: @Sendable () -> UInt64 { { self.now } }
}

extension NewConversation {
    static func sample(
        key: String = "default",
        name: String,
        channel: UInt64,
        guild: UInt64 = 900,
        bot: String = "bot-1",
        kind: ConversationKind = .channel
    ) -> NewConversation {
        NewConversation(
            accessKey: key, name: name, botIdentity: bot,
            guildID: Snowflake(guild), channelID: Snowflake(channel), kind: kind
        )
    }
}

@Suite("ConversationStore: conversations")
struct ConversationStoreTests {
    let directory: StoreTestDirectory
    let clock = StoreTestClock()
    let store: ConversationStore

    init() throws {
        directory = try StoreTestDirectory()
        store = try ConversationStore(path: directory.databasePath, clock: clock.function)
    }

    @Test func createdConversationIsFoundByNameWithEveryField() throws {
        let created = try store.createConversation(.sample(name: "chat", channel: 1001, bot: "1200000000000000001"))
        let expected = Conversation(
            id: created.id, accessKey: "default", name: "chat", botIdentity: "1200000000000000001",
            guildID: Snowflake(900), channelID: Snowflake(1001), kind: .channel,
            createdAtMilliseconds: 1_700_000_000_000, lastUsedAtMilliseconds: 1_700_000_000_000,
            lastCozeActivityAtMilliseconds: nil, completedTurnCount: 0
        )
        #expect(created == expected)
        #expect(try store.conversation(accessKey: "default", named: "chat") == expected)
        #expect(try store.conversation(id: created.id) == expected)
        #expect(try store.conversationExists(accessKey: "default", named: "chat"))
        #expect(try !store.conversationExists(accessKey: "default", named: "other"))
        #expect(try store.conversation(accessKey: "default", named: "other") == nil)
        #expect(try store.conversations(onChannel: Snowflake(1001)) == [expected])
    }

    @Test func threadKeepsItsParentChannel() throws {
        let thread = try store.createConversation(
            .sample(name: "side", channel: 2002, kind: .thread(parentChannelID: Snowflake(2001)))
        )
        #expect(try store.conversation(accessKey: "default", named: "side")?.kind == .thread(parentChannelID: Snowflake(2001)))
        #expect(thread.kind == .thread(parentChannelID: Snowflake(2001)))
    }

    @Test func threadsAreCountedPerParentForOneBot() throws {
        let parentA = Snowflake(2001)
        let parentB = Snowflake(1 << 63)
        try store.createConversation(.sample(name: "a1", channel: 3001, kind: .thread(parentChannelID: parentA)))
        try store.createConversation(.sample(name: "a2", channel: 3002, kind: .thread(parentChannelID: parentA)))
        try store.createConversation(.sample(name: "b1", channel: 3003, kind: .thread(parentChannelID: parentB)))
        try store.createConversation(.sample(name: "other", channel: 3004, bot: "bot-2", kind: .thread(parentChannelID: parentA)))
        try store.createConversation(.sample(key: "second", name: "a3", channel: 3005, kind: .thread(parentChannelID: parentA)))
        try store.createConversation(.sample(name: "plain", channel: 2005))
        #expect(try store.threadCountsByParent(botIdentity: "bot-1") == [parentA: 3, parentB: 1])
        #expect(try store.threadCountsByParent(botIdentity: "bot-2") == [parentA: 1])
        #expect(try store.threadCountsByParent(botIdentity: "bot-3") == [:])
    }

    @Test func namesAreCaseSensitiveAndPerKey() throws {
        try store.createConversation(.sample(name: "Chat", channel: 1))
        try store.createConversation(.sample(name: "chat", channel: 2))
        try store.createConversation(.sample(key: "team", name: "chat", channel: 3))
        #expect(try store.conversations(accessKey: "default").map(\.name) == ["Chat", "chat"])
        #expect(try store.conversations(accessKey: "default").map(\.channelID.rawValue) == [1, 2])
        #expect(try store.conversations(accessKey: "team").map(\.channelID.rawValue) == [3])
        #expect(try store.conversations(accessKey: "nobody").isEmpty)
        #expect(try store.allConversations().map { "\($0.accessKey)/\($0.name)" } == ["default/Chat", "default/chat", "team/chat"])
    }

    @Test func duplicateAndEmptyNamesAreRefused() throws {
        try store.createConversation(.sample(name: "chat", channel: 1))
        #expect(throws: ConversationStoreError.nameAlreadyExists(accessKey: "default", name: "chat")) {
            try store.createConversation(.sample(name: "chat", channel: 2))
        }
        #expect(throws: ConversationStoreError.invalidName("")) {
            try store.createConversation(.sample(name: "", channel: 3))
        }
        #expect(try store.conversations(accessKey: "default").map(\.channelID.rawValue) == [1])
    }

    @Test func renameKeepsChannelTurnsAndIdentity() throws {
        let original = try store.createConversation(.sample(name: "old", channel: 7))
        try store.recordTurn(ConversationTurn(prompt: "p", answer: "a", startedAtMilliseconds: 1, finishedAtMilliseconds: 2, outcome: .done), in: original.id)
        let renamed = try store.renameConversation(accessKey: "default", from: "old", to: "new")
        #expect(renamed.id == original.id)
        #expect(renamed.name == "new")
        #expect(renamed.channelID == Snowflake(7))
        #expect(try store.conversation(accessKey: "default", named: "old") == nil)
        #expect(try store.conversation(accessKey: "default", named: "new")?.id == original.id)
        #expect(try store.turns(of: original.id).map(\.turn.prompt) == ["p"])
        #expect(try store.renameConversation(accessKey: "default", from: "new", to: "new") == store.conversation(id: original.id))
    }

    @Test func renameOntoAnExistingNameOrFromAMissingOneIsRefused() throws {
        try store.createConversation(.sample(name: "a", channel: 1))
        try store.createConversation(.sample(name: "b", channel: 2))
        #expect(throws: ConversationStoreError.nameAlreadyExists(accessKey: "default", name: "b")) {
            try store.renameConversation(accessKey: "default", from: "a", to: "b")
        }
        #expect(throws: ConversationStoreError.conversationNotFound(accessKey: "default", name: "missing")) {
            try store.renameConversation(accessKey: "default", from: "missing", to: "c")
        }
        #expect(throws: ConversationStoreError.invalidName("")) {
            try store.renameConversation(accessKey: "default", from: "a", to: "")
        }
        #expect(try store.conversations(accessKey: "default").map { "\($0.name)=\($0.channelID)" } == ["a=1", "b=2"])
    }

    @Test func deleteForgetsTheConversationAndItsTurns() throws {
        let conversation = try store.createConversation(.sample(name: "gone", channel: 5))
        try store.recordTurn(ConversationTurn(prompt: "p", answer: "a", startedAtMilliseconds: 1, finishedAtMilliseconds: 2, outcome: .done), in: conversation.id)
        #expect(try store.deleteConversation(accessKey: "default", named: "gone").id == conversation.id)
        #expect(try store.conversation(accessKey: "default", named: "gone") == nil)
        #expect(try store.turns(of: conversation.id).isEmpty)
        #expect(throws: ConversationStoreError.conversationNotFound(accessKey: "default", name: "gone")) {
            try store.deleteConversation(accessKey: "default", named: "gone")
        }
        #expect(throws: ConversationStoreError.conversationIDNotFound(conversation.id)) {
            try store.deleteConversation(id: conversation.id)
        }
        #expect(throws: ConversationStoreError.conversationIDNotFound(conversation.id)) {
            try store.recordTurn(ConversationTurn(prompt: "late", answer: "", startedAtMilliseconds: 3, finishedAtMilliseconds: 4, outcome: .done), in: conversation.id)
        }
        #expect(throws: ConversationStoreError.conversationIDNotFound(conversation.id)) {
            try store.markUsed(conversation.id)
        }
        // IDs are never reused, so the late turn above could not have landed in a newer conversation.
        let next = try store.createConversation(.sample(name: "gone", channel: 6))
        #expect(next.id.rawValue > conversation.id.rawValue)
    }

    @Test func leastRecentlyUsedChannelsOfAGuildComeFirstAndThreadsDoNotCount() throws {
        let first = try store.createConversation(.sample(name: "first", channel: 1))
        clock.advance(by: 10)
        try store.createConversation(.sample(name: "second", channel: 2))
        clock.advance(by: 10)
        try store.createConversation(.sample(key: "team", name: "third", channel: 3, bot: "bot-2"))
        clock.advance(by: 10)
        try store.createConversation(.sample(name: "thread", channel: 4, kind: .thread(parentChannelID: Snowflake(1))))
        try store.createConversation(.sample(name: "elsewhere", channel: 5, guild: 901))

        #expect(try store.channelConversationCount(inGuild: Snowflake(900)) == 3)
        #expect(try store.channelConversationCount(inGuild: Snowflake(901)) == 1)
        #expect(try store.channelConversationCount(inGuild: Snowflake(902)) == 0)
        #expect(try store.leastRecentlyUsedChannels(inGuild: Snowflake(900), limit: 10).map(\.name) == ["first", "second", "third"])

        // Using "first" makes it the most recent; an older time never moves it back.
        clock.advance(by: 10)
        try store.markUsed(first.id)
        try store.markUsed(first.id, atMilliseconds: 5)
        #expect(try store.conversation(id: first.id)?.lastUsedAtMilliseconds == 1_700_000_000_040)
        #expect(try store.leastRecentlyUsedChannels(inGuild: Snowflake(900), limit: 2).map(\.name) == ["second", "third"])
        #expect(try store.leastRecentlyUsedChannels(inGuild: Snowflake(900), limit: 0).isEmpty)
    }

    @Test func aTurnMarksItsConversationUsed() throws {
        let early = try store.createConversation(.sample(name: "early", channel: 1))
        clock.advance(by: 100)
        try store.createConversation(.sample(name: "late", channel: 2))
        try store.recordTurn(
            ConversationTurn(prompt: "p", answer: "a", startedAtMilliseconds: 1_700_000_000_150, finishedAtMilliseconds: 1_700_000_000_200, outcome: .done),
            in: early.id
        )
        #expect(try store.conversation(id: early.id)?.lastUsedAtMilliseconds == 1_700_000_000_200)
        #expect(try store.leastRecentlyUsedChannels(inGuild: Snowflake(900), limit: 1).map(\.name) == ["late"])
    }

    @Test func everythingSurvivesReopening() throws {
        let created = try store.createConversation(.sample(name: "kept", channel: 77))
        try store.recordTurn(ConversationTurn(prompt: "p", answer: "a", imageURLs: ["u"], suggestions: ["s"], startedAtMilliseconds: 1, finishedAtMilliseconds: 2, outcome: .done), in: created.id)
        try store.recordCozeActivity(botIdentity: "bot-1", atMilliseconds: 1_700_000_000_500, in: created.id)
        let reopened = try ConversationStore(path: directory.databasePath, clock: clock.function)
        #expect(try reopened.conversation(accessKey: "default", named: "kept") == store.conversation(id: created.id))
        #expect(try reopened.conversation(id: created.id)?.completedTurnCount == 1)
        #expect(try reopened.conversation(id: created.id)?.lastCozeActivityAtMilliseconds == 1_700_000_000_500)
        #expect(try reopened.turns(of: created.id) == store.turns(of: created.id))
        #expect(try reopened.lastCozeActivity(botIdentity: "bot-1") == 1_700_000_000_500)
    }

    @Test func cozeActivityIsPerBotPersistedAndNeverMovesBack() throws {
        let conversation = try store.createConversation(.sample(name: "k", channel: 1))
        #expect(try store.lastCozeActivity(botIdentity: "bot-1") == nil)
        try store.recordCozeActivity(botIdentity: "bot-1", atMilliseconds: 2_000, in: conversation.id)
        try store.recordCozeActivity(botIdentity: "bot-1", atMilliseconds: 1_000, in: conversation.id)
        try store.recordCozeActivity(botIdentity: "bot-2")
        #expect(try store.lastCozeActivity(botIdentity: "bot-1") == 2_000)
        #expect(try store.conversation(id: conversation.id)?.lastCozeActivityAtMilliseconds == 2_000)
        #expect(try store.lastCozeActivityByBot() == ["bot-1": 2_000, "bot-2": 1_700_000_000_000])

        let afterRestart = try ConversationStore(path: directory.databasePath)
        #expect(try afterRestart.lastCozeActivityByBot() == ["bot-1": 2_000, "bot-2": 1_700_000_000_000])
    }

    @Test func aTurnRecordsCozeActivityInItsOwnCommit() throws {
        let conversation = try store.createConversation(.sample(name: "k", channel: 1))
        let finished: UInt64 = 1_700_000_003_000
        let turn = ConversationTurn(prompt: "p", answer: "a", startedAtMilliseconds: finished - 2_000, finishedAtMilliseconds: finished, outcome: .done)
        try store.recordTurn(turn, in: conversation.id, cozeActivityOf: "bot-1")
        #expect(try store.lastCozeActivity(botIdentity: "bot-1") == finished)
        #expect(try store.conversation(id: conversation.id)?.lastCozeActivityAtMilliseconds == finished)
        #expect(try store.conversation(id: conversation.id)?.lastUsedAtMilliseconds == finished)

        // Without a bot, a turn leaves the activity alone (Coze did not answer).
        let silent = ConversationTurn(prompt: "q", answer: "", startedAtMilliseconds: finished + 1_000, finishedAtMilliseconds: finished + 2_000, outcome: .error(code: "timeout"))
        try store.recordTurn(silent, in: conversation.id)
        #expect(try store.lastCozeActivity(botIdentity: "bot-1") == finished)

        // A deleted conversation records nothing, not even the activity: one transaction.
        try store.deleteConversation(id: conversation.id)
        #expect(throws: ConversationStoreError.conversationIDNotFound(conversation.id)) {
            try store.recordTurn(turn, in: conversation.id, cozeActivityOf: "bot-2")
        }
        #expect(try store.lastCozeActivity(botIdentity: "bot-2") == nil)
    }

    @Test func textWithUnusualCharactersRoundTrips() throws {
        let name = "名前 \u{0}nul\n\"quoted\" 🤖"
        let conversation = try store.createConversation(.sample(name: name, channel: 9))
        let turn = ConversationTurn(
            prompt: "", answer: "line1\nline2\u{0}end",
            imageURLs: ["https://cdn.example/a b.png", ""], suggestions: ["\"x\"", "ü"],
            startedAtMilliseconds: 0, finishedAtMilliseconds: UInt64(Int64.max), outcome: .error(code: "quota_exceeded")
        )
        try store.recordTurn(turn, in: conversation.id)
        #expect(try store.conversation(accessKey: "default", named: name)?.id == conversation.id)
        #expect(try store.turns(of: conversation.id) == [RecordedTurn(sequence: 1, completedIndex: nil, turn: turn)])
    }

    @Test func largestSnowflakesRoundTrip() throws {
        let big = NewConversation(
            accessKey: "k", name: "big", botIdentity: "b",
            guildID: Snowflake(UInt64.max), channelID: Snowflake(UInt64.max - 1),
            kind: .thread(parentChannelID: Snowflake(1 << 63))
        )
        try store.createConversation(big)
        let read = try #require(try store.conversation(accessKey: "k", named: "big"))
        #expect(read.guildID == Snowflake(UInt64.max))
        #expect(read.channelID == Snowflake(UInt64.max - 1))
        #expect(read.kind == .thread(parentChannelID: Snowflake(1 << 63)))
        #expect(try store.channelConversationCount(inGuild: Snowflake(UInt64.max)) == 0)
    }

    @Test func integrityCheckOfAFreshStoreIsOK() throws {
        #expect(try store.integrityCheck() == ["ok"])
    }
}

@Suite("ConversationStore: concurrency and speed")
struct ConversationStoreConcurrencyTests {
    @Test func manyTasksWritingAndReadingAtOnceLoseNothing() async throws {
        let directory = try StoreTestDirectory()
        let store = try ConversationStore(path: directory.databasePath)
        let tasks = 8, perTask = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in 0..<perTask {
                        let name = "t\(task)-\(index)"
                        let conversation = try store.createConversation(.sample(name: name, channel: UInt64(task * 1000 + index + 1)))
                        #expect(try store.conversation(accessKey: "default", named: name)?.id == conversation.id)
                        try store.recordTurn(
                            ConversationTurn(prompt: name, answer: "a", startedAtMilliseconds: 1, finishedAtMilliseconds: 2, outcome: .done),
                            in: conversation.id
                        )
                        try store.recordCozeActivity(botIdentity: "bot-\(task)", atMilliseconds: UInt64(index))
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = try store.conversations(accessKey: "default")
        #expect(all.count == tasks * perTask)
        #expect(all.allSatisfy { $0.completedTurnCount == 1 })
        #expect(try store.lastCozeActivityByBot() == Dictionary(uniqueKeysWithValues: (0..<tasks).map { ("bot-\($0)", UInt64(perTask - 1)) }))
        #expect(try store.integrityCheck() == ["ok"])
    }

    /// A lookup by name is what every turn starts with; it must stay in the microseconds.
    @Test func lookupByNameTakesMicroseconds() throws {
        let directory = try StoreTestDirectory()
        let store = try ConversationStore(path: directory.databasePath)
        for index in 0..<500 {
            try store.createConversation(.sample(name: "c\(index)", channel: UInt64(index + 1)))
        }
        let lookups = 20_000
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for index in 0..<lookups {
                _ = try store.conversation(accessKey: "default", named: "c\(index % 500)")
            }
        }
        let microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        let perLookup = microseconds / Double(lookups)
        print("conversation lookup: \(perLookup) µs on average over \(lookups)")
        // Generous bound for a shared, loaded 2-core machine; typically a few µs.
        #expect(perLookup < 200)
    }
}

@Suite("ConversationStore: schema versions")
struct ConversationStoreSchemaTests {
    @Test func aNewFileGetsTheCurrentSchemaVersion() throws {
        let directory = try StoreTestDirectory()
        _ = try ConversationStore(path: directory.databasePath)
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(try raw.userVersion() == ConversationStore.schemaVersion)
        #expect(ConversationStore.schemaVersion == 2)
    }

    @Test func aVersion1FileGainsThePendingChannelsTableAndKeepsItsConversations() throws {
        let directory = try StoreTestDirectory()
        do {
            let old = try ConversationStore(path: directory.databasePath, migrations: [ConversationStoreSchema.migrations[0]])
            try old.createConversation(.sample(name: "before", channel: 11))
        }
        let store = try ConversationStore(path: directory.databasePath)
        #expect(try store.conversation(accessKey: "default", named: "before")?.channelID == Snowflake(11))
        #expect(try store.pendingChannels().isEmpty)
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(try raw.userVersion() == 2)
    }

    @Test func aFileFromANewerVersionIsRefusedAndLeftAlone() throws {
        let directory = try StoreTestDirectory()
        do {
            let raw = try SQLiteDatabase(path: directory.databasePath)
            try raw.execute("CREATE TABLE future (x INTEGER); PRAGMA user_version = 99;")
        }
        #expect(throws: ConversationStoreError.schemaTooNew(
            path: directory.databasePath, fileVersion: 99, supportedVersion: ConversationStore.schemaVersion)) {
            try ConversationStore(path: directory.databasePath)
        }
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(try raw.userVersion() == 99)
        #expect(try raw.query("SELECT name FROM sqlite_master WHERE type = 'table'") { $0.text(0) } == ["future"])
    }

    @Test func olderFilesAreMigratedForwardKeepingTheirData() throws {
        let directory = try StoreTestDirectory()
        let current = ConversationStoreSchema.migrations
        let next = ConversationStore.schemaVersion + 1
        let upgrade = current + [StoreMigration(version: next, sql: """
            ALTER TABLE conversations ADD COLUMN topic TEXT;
            UPDATE conversations SET topic = 'migrated:' || name;
            """)]
        do {
            let old = try ConversationStore(path: directory.databasePath, migrations: current)
            try old.createConversation(.sample(name: "before", channel: 11))
        }
        let upgraded = try ConversationStore(path: directory.databasePath, migrations: upgrade)
        #expect(try upgraded.conversation(accessKey: "default", named: "before")?.channelID == Snowflake(11))
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(try raw.userVersion() == next)
        #expect(try raw.query("SELECT topic FROM conversations") { $0.text(0) } == ["migrated:before"])
        // This build does not know that step, so the upgraded file is now refused.
        #expect(throws: ConversationStoreError.schemaTooNew(
            path: directory.databasePath, fileVersion: next, supportedVersion: ConversationStore.schemaVersion)) {
            try ConversationStore(path: directory.databasePath)
        }
    }

    @Test func aFailingMigrationLeavesTheFileAtItsOldVersion() throws {
        let directory = try StoreTestDirectory()
        let broken = ConversationStoreSchema.migrations + [StoreMigration(version: ConversationStore.schemaVersion + 1, sql: """
            ALTER TABLE conversations ADD COLUMN topic TEXT;
            SELECT * FROM no_such_table;
            """)]
        do {
            let old = try ConversationStore(path: directory.databasePath)
            try old.createConversation(.sample(name: "before", channel: 11))
        }
        #expect(throws: ConversationStoreError.self) {
            try ConversationStore(path: directory.databasePath, migrations: broken)
        }
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(try raw.userVersion() == ConversationStore.schemaVersion)
        #expect(try raw.query("SELECT count(*) FROM pragma_table_info('conversations') WHERE name = 'topic'") { $0.int64(0) } == [0])
        #expect(try ConversationStore(path: directory.databasePath).conversationExists(accessKey: "default", named: "before"))
    }

    @Test func connectionSettingsAreWhatTheStoreReliesOn() throws {
        let directory = try StoreTestDirectory()
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(try raw.query("PRAGMA journal_mode") { $0.text(0) } == ["wal"])
        #expect(try raw.query("PRAGMA synchronous") { $0.int64(0) } == [2])  // FULL
        #expect(try raw.query("PRAGMA foreign_keys") { $0.int64(0) } == [1])
        #expect(try raw.query("PRAGMA busy_timeout") { $0.int64(0) } == [5_000])
    }

    @Test func aFailingStatementCarriesSQLitesMessageAndTheStatement() throws {
        let directory = try StoreTestDirectory()
        let raw = try SQLiteDatabase(path: directory.databasePath)
        #expect(throws: SQLiteError(extendedCode: 1, message: "no such table: nowhere", context: "SELECT * FROM nowhere")) {
            try raw.query("SELECT * FROM nowhere") { $0.int64(0) }
        }
        try raw.execute("CREATE TABLE t (x INTEGER UNIQUE)")
        try raw.run("INSERT INTO t VALUES (?)", [.integer(1)])
        #expect(throws: SQLiteError(extendedCode: 2067, message: "UNIQUE constraint failed: t.x", context: "INSERT INTO t VALUES (?)")) {
            try raw.run("INSERT INTO t VALUES (?)", [.integer(1)])
        }
        // The cached statement is usable again after the failure.
        #expect(try raw.run("INSERT INTO t VALUES (?)", [.integer(2)]) == 1)
    }

    @Test func anUnopenablePathGivesSQLitesMessage() throws {
        let directory = try StoreTestDirectory()
        let path = directory.file("missing-dir/store.sqlite")
        do {
            _ = try ConversationStore(path: path)
            Issue.record("opening \(path) should fail")
        } catch {
            guard case .database(let sqlite) = error else {
                Issue.record("expected a database error, got \(error)")
                return
            }
            #expect(sqlite.code == 14)  // SQLITE_CANTOPEN
            #expect(sqlite.context == "open \(path)")
            #expect(sqlite.message == "unable to open database file")
        }
    }
}
