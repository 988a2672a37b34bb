import ArgumentParser
import CozeBridgeHeaders
import Foundation
import Logging

/// `cozebridge-host` (installed as `cozebridge`): loads libcozebridge, starts the bridge the
/// configuration describes, loads the frontend plugins it names, and runs until SIGINT/SIGTERM.
@main
struct HostCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "cozebridge",
        abstract: "Runs the cozebridge core and its frontend plugins.",
        discussion: """
            With --config, the bots and plugins of that Config.yml. With --demo (or without --config),
            an embedded Discord emulator with a simulated Coze bot and the HTTP plugin on --demo-port.
            """,
        version: version)

    @Option(help: "The configuration file (Config.yml).")
    var config: String?

    @Option(name: .customLong("plugin"), help: "Also load this plugin file (repeatable).")
    var extraPlugins: [String] = []

    @Option(name: .customLong("plugin-dir"), help: "Where plugins named without a Path are looked for (repeatable).")
    var pluginDirectories: [String] = []

    @Flag(help: "Run against an embedded Discord emulator with a matching configuration.")
    var demo = false

    @Option(help: "The HTTP plugin's port in --demo mode.")
    var demoPort = 8090

    @Option(help: "libcozebridge to load (default: $COZEBRIDGE_LIBRARY, then next to this program).")
    var core: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Seconds SIGINT/SIGTERM waits for turns in flight before stopping them.")
    var shutdownTimeout: Double = 30

    @Option(help: "Seconds to wait for every bot's Discord session at start.")
    var readyTimeout: Double = 15

    mutating func validate() throws {
        if demo && config != nil { throw ValidationError("--demo brings its own configuration; drop --config") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "cozebridge")
        do {
            try Host(command: self, logger: logger).run()
        } catch let error as HostError {
            logger.critical("\(error.description)")
            throw ExitCode(error.exitCode)
        }
    }
}
