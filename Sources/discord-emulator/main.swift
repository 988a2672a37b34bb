import ArgumentParser
import DiscordEmulator
import DiscordWire
import Foundation
import NIOPosix

/// `discord-emulator [--port N] [--scenario FILE] [--event-loops N]`: prints one JSON line when
/// ready (docs/emulator.md).
@main
struct DiscordEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discord-emulator",
        abstract: "A loopback Discord (gateway v10 + REST v10) with a simulated Coze bot.")

    @Option(help: "Port on 127.0.0.1; 0 picks a free one.")
    var port: Int = 0

    @Option(help: "A scenario JSON file (see docs/emulator.md).")
    var scenario: String?

    @Option(
        help: """
            Event loop threads serving every connection (default: one per CPU). With 1, a dispatch \
            is written to all its gateway connections back to back on one thread, in the order the \
            sessions identified; with more, each connection's loop waits for a CPU of its own.
            """)
    var eventLoops: Int?

    func validate() throws {
        if let eventLoops, !(1...256).contains(eventLoops) {
            throw ValidationError("--event-loops must be between 1 and 256, not \(eventLoops)")
        }
    }

    func run() async throws {
        var scenarioJSON: JSONValue = [:]
        if let scenario {
            guard let data = FileManager.default.contents(atPath: scenario) else {
                throw ValidationError("cannot read scenario file \(scenario)")
            }
            do {
                scenarioJSON = try JSONValue.parse(Array(data))
            } catch {
                throw ValidationError("scenario file \(scenario): \(error)")
            }
        }
        let group = eventLoops.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
        let emulator: DiscordEmulator
        do {
            emulator = try await DiscordEmulator.start(
                port: port, scenario: scenarioJSON, eventLoopGroup: group ?? MultiThreadedEventLoopGroup.singleton)
        } catch let error as ScenarioError {
            try await group?.shutdownGracefully()
            throw ValidationError("\(scenario ?? "scenario"): \(error.description)")
        }
        FileHandle.standardOutput.write(Data((emulator.info.json.serialized() + "\n").utf8))
        FileHandle.standardError.write(Data("discord-emulator: listening on \(emulator.info.baseURL)\n".utf8))
        await Self.waitForTerminationSignal()
        try await emulator.shutdown()
        try await group?.shutdownGracefully()
    }

    /// Returns on SIGINT or SIGTERM.
    static func waitForTerminationSignal() async {
        let signals = AsyncStream<Int32> { continuation in
            nonisolated(unsafe) let sources = [SIGINT, SIGTERM].map { signalNumber in
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { continuation.yield(signalNumber) }
                source.resume()
                return source
            }
            // The termination handler owns the sources, keeping them alive as long as the stream.
            continuation.onTermination = { _ in sources.forEach { $0.cancel() } }
        }
        for await _ in signals { return }
    }
}
