import CozeBridgeHeaders
import CozeBridgePluginKit
import DiscordEmulator
import DiscordWire
import Foundation
import Logging

/// One run of the host: core, bridge, plugins, then waiting for a termination signal.
struct Host {
    let command: HostCommand
    let logger: Logger

    func run() throws {
        // Before any thread exists, so every thread inherits it: SIGINT/SIGTERM wait for sigwait()
        // instead of killing the process or slipping past a handler installed too late.
        let termination = TerminationSignal.block()
        let core = try CoreLibrary.load(
            explicit: command.core ?? ProcessInfo.processInfo.environment["COZEBRIDGE_LIBRARY"])
        logger.info("core loaded", metadata: ["path": "\(core.path)", "version": "\(String(cString: core.version()!))"])

        var demo: DemoEnvironment?
        if command.demo || command.config == nil {
            let store = FileManager.default.temporaryDirectory.appendingPathComponent(
                "cozebridge-demo-\(getpid()).sqlite").path
            do {
                demo = try DemoEnvironment.start(httpPort: command.demoPort, storePath: store)
            } catch {
                throw HostError.startup("cannot start the demo's Discord emulator: \(error)")
            }
        }
        let bridge = try createBridge(core, yaml: demo?.yaml)
        let table = try HostAPITable(core: core, bridge: bridge, hostVersion: HostCommand.version, logger: logger)
        HostAPITable.shared = table
        let registry = PluginRegistry(
            api: table.api, fingerprint: CozeBridgePluginKit.buildFingerprint, logger: logger,
            willShutDown: { table.removeObservers(of: $0) })
        for request in try pluginRequests(core, bridge) {
            registry.load(path: request.path, expectedName: request.name, settingsJSON: request.settingsJSON)
        }
        logger.notice(
            "cozebridge is running",
            metadata: ["plugins": "\(registry.plugins.map(\.name).joined(separator: ","))"])
        if let demo { FileHandle.standardOutput.write(Data((demo.banner + "\n").utf8)) }

        let signal = termination.wait()
        logger.notice("stopping", metadata: ["signal": "\(signal)"])
        registry.shutdownAll()
        waitForTurnsInFlight(core, bridge)
        _ = core.destroy(bridge)
        if let demo { try? Blocking.wait { try await demo.emulator.shutdown() } }
        logger.notice("stopped")
    }

    private func createBridge(_ core: CoreLibrary, yaml: String?) throws -> OpaquePointer {
        var options = coze_bridge_options()
        options.struct_size = MemoryLayout<coze_bridge_options>.size
        options.ready_timeout_ms = Int32(clamping: Int(command.readyTimeout * 1000))
        var bridge: OpaquePointer?
        let status: Int32
        if let yaml {
            status = core.createFromYAML(&bridge, yaml, &options)
        } else {
            status = core.createFromFile(&bridge, command.config!, &options)
        }
        guard status == COZE_OK, let bridge else {
            let message = core.lastErrorMessage
            throw status == COZE_ECONFIG ? HostError.configuration(message) : HostError.startup(message)
        }
        return bridge
    }

    /// A plugin to load: from the configuration's `Plugins:` (enabled ones) or `--plugin`.
    struct PluginRequest {
        let name: String?
        let path: String
        let settingsJSON: String
    }

    private func pluginRequests(_ core: CoreLibrary, _ bridge: OpaquePointer) throws -> [PluginRequest] {
        var text: UnsafeMutablePointer<CChar>?
        guard core.pluginListJSON(&text, bridge) == COZE_OK, let json = core.take(text) else {
            throw HostError.startup("cannot read the plugin list: \(core.lastErrorMessage)")
        }
        let entries: JSONValue
        do { entries = try JSONValue.parse(Array(json.utf8)) } catch {
            throw HostError.startup("the core returned a malformed plugin list: \(error)")
        }
        var requests: [PluginRequest] = []
        for entry in entries.arrayValue ?? [] {
            guard let name = entry["name"]?.stringValue else { continue }
            guard entry["enabled"]?.boolValue ?? true else {
                logger.info("plugin disabled in the configuration", metadata: ["plugin": "\(name)"])
                continue
            }
            let settings = (entry["settings"] ?? .object([:])).serialized()
            if let path = entry["path"]?.stringValue {
                requests.append(PluginRequest(name: name, path: path, settingsJSON: settings))
            } else if let path = findPlugin(named: name) {
                requests.append(PluginRequest(name: name, path: path, settingsJSON: settings))
            } else {
                logger.error(
                    "plugin \(name) refused: no file for it in \(pluginDirectories.joined(separator: ", ")); give its Path in Config.yml")
            }
        }
        requests += command.extraPlugins.map { PluginRequest(name: nil, path: $0, settingsJSON: "{}") }
        return requests
    }

    /// The plugin directories: `--plugin-dir`s, then the installed layout, then the executable's own directory.
    private var pluginDirectories: [String] {
        let directory = ExecutableLocation.directory
        return command.pluginDirectories + [directory + "/../lib/cozebridge/plugins", directory]
    }

    private func findPlugin(named name: String) -> String? {
        for directory in pluginDirectories {
            for file in ["libcozebridge-\(name).so", "\(name).so", "lib\(name).so"] {
                let path = directory + "/" + file
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }

    /// Lets the turns still running finish (their answers reach the store) until the deadline.
    private func waitForTurnsInFlight(_ core: CoreLibrary, _ bridge: OpaquePointer) {
        let deadline = ContinuousClock.now + .milliseconds(Int(command.shutdownTimeout * 1000))
        var lastReport: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            var list: UnsafeMutablePointer<coze_bot_status_list>?
            guard core.botStatus(&list, bridge) == COZE_OK, let list else { return }
            let items = UnsafeBufferPointer(start: list.pointee.items, count: list.pointee.count)
            let inFlight = items.reduce(0) { $0 + Int($1.in_flight_turns) }
            core.botStatusFree(list)
            if inFlight == 0 { return }
            if lastReport.map({ ContinuousClock.now - $0 >= .seconds(5) }) ?? true {
                logger.info("waiting for turns in flight", metadata: ["turns": "\(inFlight)"])
                lastReport = ContinuousClock.now
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        logger.warning("turns still in flight at the shutdown deadline are cancelled")
    }
}
