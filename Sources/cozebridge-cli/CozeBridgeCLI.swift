import ArgumentParser
import CozeCore
import Foundation

/// `cozebridge-cli`: a small operator chat tool over `CozeCore`, for trying a Config.yml by hand
/// and for the crash-restart tests (which SIGKILL it mid-turn and start it again on the store).
///
/// Output of `send`: the answer is written to stdout as it arrives, one ``TurnEvent/delta(_:)``
/// at a time, without a trailing newline until the turn is done. When Coze rewrites text that was
/// already printed (``TurnEvent/correction(fullText:)``), stdout cannot take it back, so the tool
/// prints a newline and then the whole corrected text; the last full text after the final
/// newline-separated correction plus the deltas after it is the answer.
@main
struct CozeBridgeCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cozebridge-cli",
        abstract: "Chat with a Coze bot through cozebridge from the command line.",
        discussion: """
            send: streams the answer to stdout (deltas; on a correction a newline and the whole \
            corrected text), exit 0 when done, 1 with the error on stderr otherwise. \
            list: prints `name<TAB>channel_id` per conversation of the key.
            """,
        subcommands: [Send.self, List.self]
    )

    // Declared here too so `--config`/`--verbose` may come before the subcommand, as in
    // `cozebridge-cli --config Config.yml send …`; the subcommands' own group receives them.
    @OptionGroup var common: CommonOptions
}

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The Config.yml to run.")
    var config: String = "Config.yml"

    @Flag(name: .long, help: "Print progress lines to stderr.")
    var verbose = false

    /// Loads the configuration, logging its warnings only when verbose (they are advisory).
    func loadConfiguration() throws -> BridgeConfiguration {
        let loaded: LoadedConfiguration
        do {
            loaded = try ConfigurationLoader(environment: ProcessInfo.processInfo.environment)
                .load(contentsOfFile: config)
        } catch {
            throw CLIFailure(message: error.description)
        }
        if verbose {
            for warning in loaded.warnings { log("warning: \(warning.description)") }
        }
        return loaded.configuration
    }

    func log(_ line: String) {
        if verbose { CozeBridgeCLI.writeError(line) }
    }
}

/// An error already phrased for the operator; printed as is, exit code 1.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension CozeBridgeCLI {
    static func writeError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Writes and flushes at once: a reader of the pipe (or a test about to SIGKILL us) must see
    /// exactly what has arrived, not what a stdio buffer decided to release.
    static func writeOut(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Runs `body` and turns every failure into the typed error's text on stderr and exit 1.
    static func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as CLIFailure {
            writeError("error: \(error.message)")
            throw ExitCode.failure
        } catch let error as TurnError {
            writeError("error: turn failed (\(CozeBridge.errorCode(error))): \(error.description)")
            throw ExitCode.failure
        } catch let error as CozeBridgeError {
            writeError("error: \(error.description)")
            throw ExitCode.failure
        } catch {
            writeError("error: \(error)")
            throw ExitCode.failure
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one prompt and stream the answer to stdout.",
            discussion: """
                The conversation is created when the key does not have it yet. A correction of \
                text already printed is shown as a newline followed by the whole corrected text.
                """
        )

        @OptionGroup var common: CommonOptions
        @Option(name: .long, help: "The access key (Bots[].Key).")
        var key: String
        @Option(name: .long, help: "The conversation name.")
        var conversation: String
        @Option(name: .long, help: "An image reference (URL, data URI or base64); repeatable.")
        var image: [String] = []
        @Option(name: .long, help: "Seconds to wait for the bots' gateways.")
        var readyTimeout: Int = 30
        @Argument(help: "The prompt.")
        var prompt: String

        func run() async throws {
            try await reportingFailures {
                let configuration = try common.loadConfiguration()
                let bridge = try CozeBridge(configuration: configuration)
                common.log("store \(configuration.conversations.storePath)")
                bridge.start()
                // Shut down on every path so the gateways close cleanly before the process exits.
                do {
                    try await runTurn(on: bridge)
                } catch {
                    await bridge.shutdown()
                    throw error
                }
                await bridge.shutdown()
            }
        }

        private func runTurn(on bridge: CozeBridge) async throws {
            common.log("connecting \(bridge.configuration.bots.count) bot(s)")
            // Not fatal: the engine itself waits for the conversation's bot (and says why it is
            // unavailable); this only keeps the progress lines in a meaningful order.
            let ready = await bridge.waitUntilReady(timeout: .seconds(readyTimeout))
            common.log(ready ? "bots ready" : "not every bot is ready; trying anyway")
            let existing = try bridge.conversation(accessKey: key, name: conversation)
            common.log(existing.map { "conversation \(conversation) in channel \($0.channelID)" }
                ?? "conversation \(conversation) is new")
            var printed = false
            var started = false
            for try await event in bridge.stream(accessKey: key, conversation: conversation, prompt: prompt, images: image) {
                if !started {
                    // The public event stream has no "prompt posted" event; the first event
                    // proves the prompt is out and Coze is answering.
                    started = true
                    common.log("turn started")
                    if existing == nil, let created = try bridge.conversation(accessKey: key, name: conversation) {
                        common.log("conversation \(conversation) created in channel \(created.channelID)")
                    }
                }
                switch event {
                case .delta(let text):
                    if !text.isEmpty { printed = true }
                    writeOut(text)
                case .correction(let fullText):
                    writeOut((printed ? "\n" : "") + fullText)
                    printed = true
                case .image(let image):
                    common.log("image \(image.url)")
                case .suggestions(let labels):
                    common.log("suggestions: \(labels.joined(separator: " | "))")
                case .done(let result):
                    writeOut("\n")
                    common.log("done (\(result.completion.rawValue), \(result.messageIDs.count) message(s))")
                    return
                case .failed(let error):
                    if printed { writeOut("\n") }
                    throw error
                }
            }
            // The engine promises a terminal event; ending without one means it was shut down.
            throw CozeBridgeError.notRunning
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the key's conversations as `name<TAB>channel_id`.",
            discussion: "Reads the store only; no Discord connection is made."
        )

        @OptionGroup var common: CommonOptions
        @Option(name: .long, help: "The access key (Bots[].Key).")
        var key: String

        func run() async throws {
            try await reportingFailures {
                let configuration = try common.loadConfiguration()
                // Through the engine rather than the bare store so the path comes from the same
                // place as for `send` (Store_path) and the store is opened the same way.
                let bridge = try CozeBridge(configuration: configuration)
                for conversation in try bridge.conversations(accessKey: key) {
                    print("\(conversation.name)\t\(conversation.channelID)")
                }
                await bridge.shutdown()
            }
        }
    }
}
