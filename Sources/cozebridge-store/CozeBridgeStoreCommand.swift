import ArgumentParser
import CozeCore
import DiscordWire
import Foundation

/// `cozebridge-store`: look into and maintain the conversation store without running the bridge.
/// Safe next to a running bridge: the store is in WAL mode and waits for the bridge's write lock.
@main
struct CozeBridgeStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cozebridge-store",
        abstract: "Inspect and maintain the cozebridge conversation store (SQLite).",
        subcommands: [List.self, Import.self, Check.self, Stress.self]
    )
}

struct StoreLocation: ParsableArguments {
    @Option(name: .long, help: "The store file (Store_path of Config.yml).")
    var database: String = "cozebridge.sqlite"

    func open() throws -> ConversationStore {
        try ConversationStore(path: database)
    }
}

extension CozeBridgeStoreCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List conversations, tab-separated.")

        @OptionGroup var location: StoreLocation
        @Option(name: .long, help: "Only this access key.")
        var key: String?

        func run() throws {
            let store = try location.open()
            let conversations = try key.map { try store.conversations(accessKey: $0) } ?? store.allConversations()
            print(["key", "name", "bot", "guild", "channel", "kind", "turns", "last_used"].joined(separator: "\t"))
            for conversation in conversations {
                let kind: String
                switch conversation.kind {
                case .channel: kind = "channel"
                case .thread(let parent): kind = "thread of \(parent)"
                }
                print([
                    conversation.accessKey, conversation.name, conversation.botIdentity,
                    conversation.guildID.description, conversation.channelID.description, kind,
                    String(conversation.completedTurnCount),
                    WallClock.discordTimestamp(unixMilliseconds: conversation.lastUsedAtMilliseconds),
                ].joined(separator: "\t"))
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import the Java bridge's cache_names.json / conversation_<Key>.json once.",
            discussion: """
                Every key's conversations are filed under the given bot and guild (the usual \
                single-bot setup); the bridge itself imports at start with each key's own bot. \
                Files already imported are skipped; the files are never modified.
                """
        )

        @OptionGroup var location: StoreLocation
        @Option(name: .long, help: "The old bridge's working directory.")
        var directory: String = "."
        @Option(name: .long, help: "The bot identity that owns the imported channels.")
        var bot: String
        @Option(name: .long, help: "The guild (Server_id) of the imported channels.")
        var guild: String
        @Option(name: .long, help: "The access key for cache_names.json (era A).")
        var eraAKey: String = "default"

        func run() throws {
            guard let guildID = Snowflake(guild) else {
                throw ValidationError("--guild must be a Discord ID, not \(guild)")
            }
            let placement = LegacyConversationPlacement(botIdentity: bot, guildID: guildID)
            let importer = LegacyConversationImporter(directory: directory, eraAAccessKey: eraAKey) { _ in placement }
            let report = try importer.importPendingFiles(into: try location.open())
            for record in report.imported {
                print("imported \(record.fileName): \(record.importedCount) conversation(s) for key \(record.accessKey), \(record.skippedCount) name(s) already present")
            }
            for fileName in report.alreadyImported {
                print("skipped \(fileName): imported earlier")
            }
            for failure in report.failures {
                FileHandle.standardError.write(Data("\(failure)\n".utf8))
            }
            if !report.failures.isEmpty { throw ExitCode.failure }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run SQLite's integrity check; prints ok.")

        @OptionGroup var location: StoreLocation

        func run() throws {
            let findings = try location.open().integrityCheck()
            findings.forEach { print($0) }
            if findings != ["ok"] { throw ExitCode.failure }
        }
    }

    /// The writer of the crash-safety test: writes in a loop and prints one line per committed
    /// write, after the commit, so whatever the parent reads must be in the file after a SIGKILL.
    struct Stress: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write conversations and turns in a loop, printing each committed write (crash tests).",
            discussion: """
                Lines: `conversation <name> <channel>`, `turn <name> <sequence>`, \
                `rename <old> <new>`, `activity <bot> <ms>`. Prompts are `prompt <name> <sequence>`, \
                answers `answer <name> <sequence>`.
                """
        )

        @OptionGroup var location: StoreLocation
        @Option(name: .long, help: "Prefix of the conversation names of this run.")
        var prefix: String
        @Option(name: .long, help: "Conversations to write; 0 for no end.")
        var count: Int = 0
        @Option(name: .long, help: "Access key of the conversations.")
        var key: String = "stress"

        func run() throws {
            let store = try location.open()
            let bot = "stress-bot"
            var index = 0
            while count == 0 || index < count {
                index += 1
                var name = "\(prefix)-\(index)"
                let channelID = Snowflake(UInt64(1_000_000 + index))
                let conversation = try store.createConversation(NewConversation(
                    accessKey: key, name: name, botIdentity: bot,
                    guildID: Snowflake(42), channelID: channelID
                ))
                report("conversation \(name) \(channelID)")
                for sequence in 1...3 {
                    let now = WallClock.unixMilliseconds()
                    try store.recordTurn(ConversationTurn(
                        prompt: "prompt \(name) \(sequence)",
                        answer: "answer \(name) \(sequence)",
                        imageURLs: ["https://cdn.example/\(name)/\(sequence).png"],
                        suggestions: ["more", "again"],
                        startedAtMilliseconds: now,
                        finishedAtMilliseconds: now,
                        outcome: .done
                    ), in: conversation.id)
                    report("turn \(name) \(sequence)")
                    try store.recordCozeActivity(botIdentity: bot, atMilliseconds: now, in: conversation.id)
                    report("activity \(bot) \(now)")
                }
                if index % 5 == 0 {
                    let newName = name + "-renamed"
                    try store.renameConversation(accessKey: key, from: name, to: newName)
                    report("rename \(name) \(newName)")
                    name = newName
                }
            }
        }

        /// One unbuffered write(2): the line is in the kernel before the next store call, so a
        /// SIGKILL can lose at most a line about a write that was committed, never the reverse.
        private func report(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
