import DiscordWire
import Foundation

/// Where the conversations of one access key were created: the bot that owns them and its guild.
/// The legacy files hold only name → channel ID, so the importer asks for the rest.
public struct LegacyConversationPlacement: Hashable, Sendable {
    public var botIdentity: String
    public var guildID: Snowflake

    public init(botIdentity: String, guildID: Snowflake) {
        self.botIdentity = botIdentity
        self.guildID = guildID
    }
}

/// A legacy file that could not be imported. Its name is in every message, and the other files
/// are imported regardless. The file is not marked as imported, so it is retried (and reported
/// again) at the next start, after the operator has fixed it.
public struct LegacyImportFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public let fileName: String
    public let reason: String

    public init(fileName: String, reason: String) {
        self.fileName = fileName
        self.reason = reason
    }

    public var description: String { "legacy conversation file \(fileName) was not imported: \(reason)" }
}

/// What one import pass did.
public struct LegacyImportReport: Hashable, Sendable {
    /// Files imported by this pass.
    public var imported: [LegacyImportRecord] = []
    /// Files present but imported by an earlier pass, left alone.
    public var alreadyImported: [String] = []
    /// Files that could not be imported.
    public var failures: [LegacyImportFailure] = []

    public init() {}
}

/// Imports the name → channel maps the Java bridge (catx-feitu/Coze-Discord-Bridge) wrote into
/// its working directory, once:
///
/// - `conversation_<Key>.json` (eras B and C): a JSON object `{ "<name>": "<channel ID>", … }`
///   for the bot whose access key is `<Key>`.
/// - `cache_names.json` (era A, one global bot): the same object, plus an `OldMessage2Name` array
///   of era A's history-hash mode, which has no meaning here and is ignored.
///
/// Every file is imported in one transaction together with the row that records it in the store,
/// so a file is imported entirely or not at all, and never twice. The files are only read, never
/// changed or deleted: an operator may still want to roll back to the old bridge.
///
/// A name the key already has in the store keeps its current channel (the store is newer than
/// any legacy file); such entries are counted as skipped. The seed wrote the map only on a clean
/// shutdown and era A overwrote it with `{}` at every start, so an empty file is normal and is
/// recorded as imported with nothing in it.
public struct LegacyConversationImporter: Sendable {
    /// The era-A file name.
    public static let eraAFileName = "cache_names.json"
    /// The key inside `cache_names.json` that is not a conversation.
    static let eraAHistoryMember = "OldMessage2Name"

    /// The directory the old bridge ran in.
    public var directory: String
    /// The access key `cache_names.json` belongs to (era A had one bot and one `APIKey`); its
    /// conversations are filed under this key.
    public var eraAAccessKey: String
    /// The bot and guild of an access key; `nil` when no bot has that key any more, in which case
    /// that key's file is reported and retried later.
    public var placement: @Sendable (_ accessKey: String) -> LegacyConversationPlacement?

    public init(
        directory: String,
        eraAAccessKey: String = BotConfiguration.openAccessKey,
        placement: @escaping @Sendable (_ accessKey: String) -> LegacyConversationPlacement?
    ) {
        self.directory = directory
        self.eraAAccessKey = eraAAccessKey
        self.placement = placement
    }

    /// The access key a legacy file belongs to, or `nil` when the name is not a legacy file.
    /// `conversation_.json` (the seed's empty key) belongs to ``BotConfiguration/openAccessKey``.
    public func accessKey(forFileNamed fileName: String) -> String? {
        if fileName == Self.eraAFileName { return eraAAccessKey }
        let prefix = "conversation_", suffix = ".json"
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(suffix), fileName.count >= prefix.count + suffix.count
        else { return nil }
        let key = String(fileName.dropFirst(prefix.count).dropLast(suffix.count))
        // The seed's `Key: ""` wrote `conversation_.json`; the configuration calls that key "default".
        return key.isEmpty ? BotConfiguration.openAccessKey : key
    }

    /// Imports every legacy file of ``directory`` that the store has not imported yet.
    ///
    /// - Throws: only when the store itself fails; problems with a file land in
    ///   ``LegacyImportReport/failures`` and do not stop the others.
    @discardableResult
    public func importPendingFiles(into store: ConversationStore) throws(ConversationStoreError) -> LegacyImportReport {
        var report = LegacyImportReport()
        let fileNames: [String]
        do {
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { accessKey(forFileNamed: $0) != nil }
                .sorted()
        } catch {
            // No such directory simply means there is nothing to import.
            return report
        }
        guard !fileNames.isEmpty else { return report }
        let done = Set(try store.legacyImports().map(\.fileName))

        for fileName in fileNames {
            if done.contains(fileName) {
                report.alreadyImported.append(fileName)
                continue
            }
            guard let accessKey = accessKey(forFileNamed: fileName) else { continue }
            let entries: [(name: String, channelID: Snowflake)]
            do {
                entries = try readEntries(of: fileName)
            } catch {
                report.failures.append(error)
                continue
            }
            guard let placement = placement(accessKey) else {
                report.failures.append(LegacyImportFailure(
                    fileName: fileName,
                    reason: "no bot is configured with Key \"\(accessKey)\" to own its \(entries.count) conversation(s)"
                ))
                continue
            }
            report.imported.append(try store.importLegacyEntries(
                entries, fileName: fileName, accessKey: accessKey, placement: placement
            ))
        }
        return report
    }

    /// Reads and checks one file: a JSON object whose members map names to channel IDs (decimal
    /// strings, or numbers, as fastjson may have written them).
    func readEntries(of fileName: String) throws(LegacyImportFailure) -> [(name: String, channelID: Snowflake)] {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LegacyImportFailure(fileName: fileName, reason: "it cannot be read")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse([UInt8](data))
        } catch {
            throw LegacyImportFailure(fileName: fileName, reason: "it is not valid JSON (\(error))")
        }
        guard let members = document.objectValue else {
            throw LegacyImportFailure(fileName: fileName, reason: "expected a JSON object of conversation name → channel ID")
        }
        var entries: [(name: String, channelID: Snowflake)] = []
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            if fileName == Self.eraAFileName, name == Self.eraAHistoryMember { continue }
            guard !name.isEmpty else {
                throw LegacyImportFailure(fileName: fileName, reason: "a conversation has an empty name")
            }
            let channelID: Snowflake?
            switch value {
            case .string(let text): channelID = Snowflake(text)
            case .int(let number) where number > 0: channelID = Snowflake(UInt64(number))
            default: channelID = nil
            }
            guard let channelID, channelID.rawValue > 0 else {
                throw LegacyImportFailure(
                    fileName: fileName,
                    reason: "conversation \"\(name)\" maps to \(value), which is not a Discord channel ID"
                )
            }
            entries.append((name, channelID))
        }
        return entries
    }
}

extension ConversationStore {
    /// Files one legacy file's entries under `accessKey` and records the file, atomically.
    func importLegacyEntries(
        _ entries: [(name: String, channelID: Snowflake)],
        fileName: String,
        accessKey: String,
        placement: LegacyConversationPlacement
    ) throws(ConversationStoreError) -> LegacyImportRecord {
        let now = nowMilliseconds
        return try withWriteTransaction { database in
            var imported = 0, skipped = 0
            for entry in entries {
                if try Self.conversation(accessKey: accessKey, name: entry.name, in: database) != nil {
                    skipped += 1
                    continue
                }
                try database.run(
                    """
                    INSERT INTO conversations (access_key, name, bot_identity, guild_id, channel_id, kind,
                        parent_channel_id, created_at_ms, last_used_at_ms)
                    VALUES (?, ?, ?, ?, ?, 'channel', NULL, ?, ?)
                    """,
                    [
                        .text(accessKey), .text(entry.name), .text(placement.botIdentity),
                        Self.value(placement.guildID), Self.value(entry.channelID), Self.value(now), Self.value(now),
                    ]
                )
                imported += 1
            }
            try database.run(
                """
                INSERT INTO legacy_imports (file_name, access_key, imported_at_ms, imported_count, skipped_count)
                VALUES (?, ?, ?, ?, ?)
                """,
                [.text(fileName), .text(accessKey), Self.value(now), .integer(Int64(imported)), .integer(Int64(skipped))]
            )
            return LegacyImportRecord(
                fileName: fileName,
                accessKey: accessKey,
                importedAtMilliseconds: now,
                importedCount: imported,
                skippedCount: skipped
            )
        }
    }
}
