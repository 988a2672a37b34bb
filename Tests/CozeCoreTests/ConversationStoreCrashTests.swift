import DiscordWire
import Foundation
import Testing
import TestSupport

@testable import CozeCore

/// Kill -9 during writes: the store must reopen sound and hold every write the writer reported.
///
/// The writer is `cozebridge-store stress`, i.e. the Swift store itself, in a child process. It
/// prints a line for each write only after that write's commit returned, so every line read
/// here is a promise the file must keep.
@Suite("ConversationStore: crash safety")
struct ConversationStoreCrashTests {
    /// The `cozebridge-store` executable built next to the test bundle (or named by
    /// `COZEBRIDGE_STORE_BIN`), without Bundle lookups that differ between platforms.
    static func storeToolPath() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["COZEBRIDGE_STORE_BIN"] {
            return explicit
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On macOS the test binary sits inside `<name>.xctest/Contents/MacOS/`.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("cozebridge-store").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// What the writer promised, replayed in order.
    struct Promises {
        /// Current name → channel ID of each reported conversation.
        var channels: [String: UInt64] = [:]
        /// Names that a reported rename gave up.
        var renamedAway: Set<String> = []
        /// Current name → the reported turns (sequence → the name at the time, for the prompt).
        var turns: [String: [Int: String]] = [:]
        var lastActivity: [String: UInt64] = [:]
        var lineCount = 0

        mutating func replay(_ output: String) throws {
            // A line cut by the kill has no newline yet and promises nothing.
            var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.removeLast()
            for line in lines {
                let fields = line.split(separator: " ").map(String.init)
                lineCount += 1
                switch fields.first {
                case "conversation":
                    let channel: UInt64 = try #require(UInt64(fields[2]))
                    channels[fields[1]] = channel
                case "turn":
                    turns[fields[1], default: [:]][try #require(Int(fields[2]))] = fields[1]
                case "activity":
                    let time: UInt64 = try #require(UInt64(fields[2]))
                    lastActivity[fields[1]] = max(lastActivity[fields[1]] ?? 0, time)
                case "rename":
                    channels[fields[2]] = channels.removeValue(forKey: fields[1])
                    turns[fields[2]] = turns.removeValue(forKey: fields[1])
                    renamedAway.insert(fields[1])
                default:
                    Issue.record("unexpected line from the writer: \(line)")
                }
            }
        }

        func verify(against store: ConversationStore) throws {
            for (name, channel) in channels {
                // The kill can fall between a rename's commit and its report line: then the
                // conversation is under the new name the writer would have reported.
                let found = try store.conversation(accessKey: "stress", named: name)
                    ?? store.conversation(accessKey: "stress", named: name + "-renamed")
                let conversation = try #require(found, "lost conversation \(name)")
                #expect(conversation.channelID == Snowflake(channel))
                let stored = try store.turns(of: conversation.id)
                for (sequence, originalName) in turns[name] ?? [:] {
                    let turn = try #require(stored.first { $0.sequence == sequence }, "lost turn \(sequence) of \(name)")
                    #expect(turn.turn.prompt == "prompt \(originalName) \(sequence)")
                    #expect(turn.turn.answer == "answer \(originalName) \(sequence)")
                    #expect(turn.turn.imageURLs == ["https://cdn.example/\(originalName)/\(sequence).png"])
                    #expect(turn.turn.suggestions == ["more", "again"])
                }
            }
            for name in renamedAway {
                #expect(try store.conversation(accessKey: "stress", named: name) == nil, "\(name) was renamed away")
            }
            for (bot, time) in lastActivity {
                #expect(try #require(try store.lastCozeActivity(botIdentity: bot)) >= time)
            }
        }
    }

    @Test func killedWritersLoseNoCommittedWrite() async throws {
        let tool = try #require(Self.storeToolPath(), "cozebridge-store was not built next to the tests; run swift build --build-tests")
        let directory = try StoreTestDirectory()
        var promises = Promises()
        var generator = SystemRandomNumberGenerator()

        for round in 1...5 {
            let outputPath = directory.file("round-\(round).out")
            #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: tool)
            writer.arguments = ["stress", "--database", directory.databasePath, "--prefix", "r\(round)"]
            writer.standardOutput = output
            try writer.run()
            try output.close()

            // Kill at a random moment once writing is under way, so the kill lands mid-stream.
            let started = ContinuousClock.now
            while (try? Data(contentsOf: URL(fileURLWithPath: outputPath)).isEmpty) ?? true {
                #expect(writer.isRunning, "the writer exited early: \(writer.terminationStatus)")
                guard writer.isRunning, ContinuousClock.now - started < .seconds(60) else { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &generator)))
            kill(writer.processIdentifier, SIGKILL)
            await writer.exited()
            #expect(writer.terminationReason == .uncaughtSignal)
            #expect(writer.terminationStatus == SIGKILL)

            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: outputPath)), as: UTF8.self)
            let linesBefore = promises.lineCount
            try promises.replay(text)
            #expect(promises.lineCount > linesBefore, "round \(round) committed nothing before the kill")

            let store = try ConversationStore(path: directory.databasePath)
            #expect(try store.integrityCheck() == ["ok"])
            try promises.verify(against: store)
        }
        print("crash test: \(promises.lineCount) committed writes over 5 kills, \(promises.channels.count) conversations")
    }
}
