import DiscordWire
import Foundation
import Testing

@testable import CozeCore

@Suite("Legacy conversation import")
struct LegacyConversationImporterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("StoreFixtures/legacy").path

    let directory: StoreTestDirectory
    let legacyDirectory: String
    let store: ConversationStore

    init() throws {
        directory = try StoreTestDirectory()
        legacyDirectory = directory.file("seed")
        try FileManager.default.copyItem(atPath: Self.fixtures, toPath: legacyDirectory)
        store = try ConversationStore(path: directory.databasePath, clock: StoreTestClock(5_000).function)
    }

    static let placements: [String: LegacyConversationPlacement] = [
        "default": LegacyConversationPlacement(botIdentity: "bot-default", guildID: Snowflake(1201234567890120000)),
        "team": LegacyConversationPlacement(botIdentity: "bot-team", guildID: Snowflake(1201234567890120001)),
        "empty": LegacyConversationPlacement(botIdentity: "bot-default", guildID: Snowflake(1201234567890120000)),
    ]

    private func importer(placements: [String: LegacyConversationPlacement] = placements) -> LegacyConversationImporter {
        LegacyConversationImporter(directory: legacyDirectory) { placements[$0] }
    }

    private func fileContents() throws -> [String: Data] {
        var contents: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: legacyDirectory) {
            contents[name] = FileManager.default.contents(atPath: (legacyDirectory as NSString).appendingPathComponent(name))
        }
        return contents
    }

    @Test func importsEveryWellFormedFileAndNamesTheBrokenOnes() throws {
        let before = try fileContents()
        let report = try importer().importPendingFiles(into: store)

        #expect(report.imported == [
            LegacyImportRecord(fileName: "cache_names.json", accessKey: "default", importedAtMilliseconds: 5_000, importedCount: 1, skippedCount: 0),
            LegacyImportRecord(fileName: "conversation_default.json", accessKey: "default", importedAtMilliseconds: 5_000, importedCount: 3, skippedCount: 0),
            LegacyImportRecord(fileName: "conversation_empty.json", accessKey: "empty", importedAtMilliseconds: 5_000, importedCount: 0, skippedCount: 0),
            LegacyImportRecord(fileName: "conversation_team.json", accessKey: "team", importedAtMilliseconds: 5_000, importedCount: 1, skippedCount: 0),
        ])
        #expect(report.alreadyImported.isEmpty)
        #expect(report.failures == [
            LegacyImportFailure(
                fileName: "conversation_badvalue.json",
                reason: "conversation \"support\" maps to \"general\", which is not a Discord channel ID"
            ),
            LegacyImportFailure(fileName: "conversation_truncated.json", reason: "it is not valid JSON (invalid JSON at byte 23: unterminated string)"),
        ])
        #expect(report.failures.allSatisfy { "\($0)".contains($0.fileName) })

        let defaults = try store.conversations(accessKey: "default")
        #expect(defaults.map { "\($0.name)=\($0.channelID)" } == [
            "OpenAI=1201234567890123003", "chat=1201234567890123001", "keepalive=1201234567890123002", "old-era-a=1201234567890123020",
        ])
        #expect(defaults.allSatisfy {
            $0.botIdentity == "bot-default" && $0.guildID == Snowflake(1201234567890120000) && $0.kind == .channel
                && $0.createdAtMilliseconds == 5_000 && $0.lastUsedAtMilliseconds == 5_000
        })
        let team = try store.conversations(accessKey: "team")
        #expect(team.map { "\($0.name)=\($0.channelID)@\($0.botIdentity)" } == ["design=1201234567890123010@bot-team"])
        #expect(try store.conversations(accessKey: "badvalue").isEmpty)
        // The old files are only read.
        #expect(try fileContents() == before)
    }

    @Test func aSecondPassImportsNothingTwice() throws {
        let first = try importer().importPendingFiles(into: store)
        let afterFirst = try store.allConversations()
        let second = try importer().importPendingFiles(into: store)
        #expect(second.imported.isEmpty)
        #expect(second.alreadyImported == ["cache_names.json", "conversation_default.json", "conversation_empty.json", "conversation_team.json"])
        #expect(second.failures == first.failures)
        #expect(try store.allConversations() == afterFirst)

        // Also after a restart: the record lives in the database.
        let reopened = try ConversationStore(path: directory.databasePath)
        #expect(try importer().importPendingFiles(into: reopened).imported.isEmpty)
        #expect(try reopened.legacyImports().map(\.fileName) == second.alreadyImported)
    }

    @Test func aFixedFileIsImportedOnTheNextPass() throws {
        try importer().importPendingFiles(into: store)
        let path = (legacyDirectory as NSString).appendingPathComponent("conversation_truncated.json")
        try Data(#"{"chat":"1201234567890123099"}"#.utf8).write(to: URL(fileURLWithPath: path))
        let placements = Self.placements.merging(["truncated": LegacyConversationPlacement(botIdentity: "b", guildID: Snowflake(1))]) { $1 }
        let report = try importer(placements: placements).importPendingFiles(into: store)
        #expect(report.imported.map(\.fileName) == ["conversation_truncated.json"])
        #expect(try store.conversation(accessKey: "truncated", named: "chat")?.channelID == Snowflake(1201234567890123099))
    }

    @Test func namesAlreadyInTheStoreKeepTheirChannel() throws {
        try store.createConversation(.sample(name: "chat", channel: 42))
        let report = try importer().importPendingFiles(into: store)
        #expect(report.imported.first { $0.fileName == "conversation_default.json" }?.importedCount == 2)
        #expect(report.imported.first { $0.fileName == "conversation_default.json" }?.skippedCount == 1)
        #expect(try store.conversation(accessKey: "default", named: "chat")?.channelID == Snowflake(42))
    }

    @Test func aKeyWithoutABotIsReportedAndRetriedLater() throws {
        let withoutTeam = Self.placements.filter { $0.key != "team" }
        let report = try importer(placements: withoutTeam).importPendingFiles(into: store)
        #expect(report.failures.contains(LegacyImportFailure(
            fileName: "conversation_team.json",
            reason: "no bot is configured with Key \"team\" to own its 1 conversation(s)"
        )))
        #expect(try store.conversations(accessKey: "team").isEmpty)
        #expect(try importer().importPendingFiles(into: store).imported.map(\.fileName) == ["conversation_team.json"])
    }

    @Test func eraAFileGoesUnderTheGivenKey() throws {
        let importer = LegacyConversationImporter(directory: legacyDirectory, eraAAccessKey: "legacy") { _ in
            LegacyConversationPlacement(botIdentity: "b", guildID: Snowflake(7))
        }
        let report = try importer.importPendingFiles(into: store)
        #expect(report.imported.first?.fileName == "cache_names.json")
        #expect(report.imported.first?.accessKey == "legacy")
        #expect(try store.conversations(accessKey: "legacy").map(\.name) == ["old-era-a"])
    }

    @Test func fileNamesMapToKeys() {
        let importer = self.importer()
        #expect(importer.accessKey(forFileNamed: "conversation_my key.json") == "my key")
        #expect(importer.accessKey(forFileNamed: "conversation_.json") == "default")
        #expect(importer.accessKey(forFileNamed: "cache_names.json") == "default")
        #expect(importer.accessKey(forFileNamed: "conversation_x.json.bak") == nil)
        #expect(importer.accessKey(forFileNamed: "Config.yml") == nil)
    }

    @Test func aMissingDirectoryIsNothingToImport() throws {
        let importer = LegacyConversationImporter(directory: directory.file("nowhere")) { _ in nil }
        #expect(try importer.importPendingFiles(into: store) == LegacyImportReport())
    }
}
