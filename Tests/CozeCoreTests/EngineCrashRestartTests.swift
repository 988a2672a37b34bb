import DiscordEmulator
import DiscordWire
import Foundation
import Testing
import TestSupport

@testable import CozeCore

/// issue #3, "Must show": kill the process during a turn, restart — conversations are still
/// mapped to their channels.
///
/// The process is the real `cozebridge-cli` (SIGKILL cannot be simulated in-process): it is
/// killed once before Coze's reply starts and once mid-stream; a fresh process on the same store
/// must list the conversation under the channel that holds the prompt, and a further `send`
/// must continue in that channel with the exact expected answer.
@Suite("Engine: crash and restart", .serialized)
struct EngineCrashRestartTests {
    static let key = "test"
    static let seed: UInt64 = 1

    /// The `cozebridge-cli` executable built next to the test bundle (or `COZEBRIDGE_CLI_BIN`).
    static func cliPath() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["COZEBRIDGE_CLI_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On macOS the test binary sits inside `<name>.xctest/Contents/MacOS/`.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("cozebridge-cli").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Bytes appended from a pipe's handler thread and read from the test's task.
    final class LockedBytes: @unchecked Sendable {
        // @unchecked: every access to `bytes` holds `lock`.
        private let lock = NSLock()
        private var bytes: [UInt8] = []

        func append(_ data: Data) { lock.withLock { bytes += data } }
        var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
    }

    /// A running child whose stdout is collected as it arrives (the kill decision reads it).
    final class Child: Sendable {
        let process: Process
        private let output = LockedBytes()
        private let errors = LockedBytes()

        init(_ path: String, _ arguments: [String]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            out.fileHandleForReading.readabilityHandler = { [output] handle in
                let data = handle.availableData
                output.append(data)
            }
            err.fileHandleForReading.readabilityHandler = { [errors] handle in
                let data = handle.availableData
                errors.append(data)
            }
            try process.run()
        }

        var stdout: String { output.text }
        var stderr: String { errors.text }

        /// Waits for the exit; `nil` when the child is still running at `timeout`.
        func exitStatus(timeout: Duration) async throws -> Int32? {
            guard await process.exited(within: timeout) else { return nil }
            // Let the readability handlers drain what the child wrote last.
            try await Task.sleep(for: .milliseconds(100))
            return process.terminationStatus
        }

        func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// Where the kill falls.
    enum Moment: String, CaseIterable, Sendable {
        /// The prompt is in the channel, Coze has not started answering.
        case beforeReply
        /// The CLI has printed the first streamed text.
        case midStream
    }

    @Test("SIGKILL during a turn keeps the conversation on its channel", arguments: Moment.allCases)
    func killDuringTurn(moment: Moment) async throws {
        let cli = try #require(Self.cliPath(), "cozebridge-cli is not built next to the tests")
        // ~4 s of streaming (20 edits, 200 ms apart); before the reply, a long start delay gives
        // the kill a window between the prompt and Coze's first message.
        let startDelay = moment == .beforeReply ? 3000 : 10
        let emulator = try await DiscordEmulator.start(scenario: [
            "seed": JSONValue(Int(Self.seed)),
            "rate_limits": ["enabled": false],
            "coze": ["start_delay_ms": JSONValue(startDelay), "edit_interval_ms": 200, "chunks": 20],
        ])
        let info = emulator.info
        let inspector = DiscordRESTClient(
            configuration: .init(token: info.userToken, tokenKind: .user, baseURL: info.api, requestTimeout: .seconds(10)))
        let directory = NSTemporaryDirectory() + "crash-restart-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configPath = directory + "/Config.yml"
        try """
            Bots:
              - Key: "\(Self.key)"
                Discord_Bot_Token: "\(info.bridgeBotToken)"
                Server_id: "\(info.guildID)"
                CreateChannel_Category: "\(info.categoryID)"
                CozeBot_id: "\(info.cozeBotUserID)"
            Discord_API: "\(info.api)"
            Discord_Gateway: "\(info.gateway)"
            Store_path: "\(directory)/conversations.sqlite"
            Disable_ENV_Read: true
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let name = "crash-\(moment.rawValue)"
        let firstPrompt = "Tell me about lighthouses \(moment.rawValue)"
        let secondPrompt = "And about harbours \(moment.rawValue)"

        // 1. The turn that gets killed.
        let victim = try Child(cli, ["--config", configPath, "--verbose", "send", "--key", Self.key, "--conversation", name, firstPrompt])
        var promptChannel: Snowflake?
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, victim.process.isRunning {
            switch moment {
            case .midStream:
                if !victim.stdout.isEmpty { victim.kill() }
            case .beforeReply:
                if let channel = try await channelHolding(firstPrompt, inspector: inspector, info: info) {
                    promptChannel = channel
                    victim.kill()
                }
            }
            if victim.process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        }
        let killedStatus = try await victim.exitStatus(timeout: .seconds(5))
        #expect(victim.process.terminationReason == .uncaughtSignal, "not killed: \(victim.stderr)")
        #expect(killedStatus == Int32(SIGKILL))
        if moment == .beforeReply {
            #expect(victim.stdout.isEmpty, "the reply had started: \(victim.stdout)")
        } else {
            #expect(!victim.stdout.isEmpty)
        }

        // 2. A restart on the same store still maps the name to the channel that holds the prompt.
        let list = try Child(cli, ["--config", configPath, "list", "--key", Self.key])
        let listStatus: Int32? = try await list.exitStatus(timeout: .seconds(20))
        #expect(listStatus == Int32(0), "list failed: \(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let row = try #require(rows.first { $0.first == name }, "conversation lost: \(list.stdout)")
        let channelID = try #require(row.count == 2 ? Snowflake(row[1]) : nil)
        let holding = try await channelHolding(firstPrompt, inspector: inspector, info: info)
        #expect(holding == channelID)
        if let promptChannel { #expect(promptChannel == channelID) }
        let channel = try await inspector.channel(channelID)
        #expect(channel["id"]?.stringValue == channelID.description)

        // 3. The conversation continues in that channel with the exact answer.
        let again = try Child(cli, ["--config", configPath, "send", "--key", Self.key, "--conversation", name, secondPrompt])
        let sendStatus: Int32? = try await again.exitStatus(timeout: .seconds(40))
        #expect(sendStatus == Int32(0), "send failed: \(again.stderr)")
        let expected = CozeAnswerGenerator.answer(prompt: secondPrompt, previousPrompt: firstPrompt, seed: Self.seed)
        #expect(Self.finalText(of: again.stdout) == expected)
        let contents = try await inspector.messages(channelID: channelID, limit: 100).compactMap { $0["content"]?.stringValue }
        #expect(contents.contains { $0.contains(firstPrompt) })
        #expect(contents.contains { $0.contains(secondPrompt) })

        try await inspector.shutdown()
        try await emulator.shutdown()
    }

    /// The guild channel whose messages include `prompt`, if any (read with the owner's token,
    /// independently of the bridge).
    func channelHolding(_ prompt: String, inspector: DiscordRESTClient, info: DiscordEmulator.Info) async throws -> Snowflake? {
        for channel in try await inspector.guildChannels(guildID: info.guildID) {
            guard let id = channel["id"]?.stringValue.flatMap({ Snowflake($0) }), id != info.generalChannelID,
                channel["type"]?.intValue == 0
            else { continue }
            let messages = try await inspector.messages(channelID: id, limit: 50)
            if messages.contains(where: { $0["content"]?.stringValue?.contains(prompt) ?? false }) { return id }
        }
        return nil
    }

    /// The answer as `send` documents its stdout: the text after the last correction's newline
    /// (no corrections here, so the whole output) without the final newline.
    static func finalText(of output: String) -> String {
        output.hasSuffix("\n") ? String(output.dropLast()) : output
    }
}
