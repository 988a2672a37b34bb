import CozeBridgeHeaders
import Foundation
import Logging

/// Loads, checks and starts plugins; refuses a bad one with a message naming its file and the
/// reason, and goes on with the others (WeeChat's, ZNC's and libpurple's checks combined).
final class PluginRegistry {
    private(set) var plugins: [LoadedPlugin] = []
    let api: UnsafePointer<coze_host_api>
    let fingerprint: String
    let logger: Logger

    /// A plugin that could not be loaded, and why.
    struct Refusal: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "plugin \(path) refused: \(reason)" }
    }

    /// Called with a plugin's token right before its shutdown (drops its turn observers).
    let willShutDown: (UnsafeRawPointer) -> Void

    init(
        api: UnsafePointer<coze_host_api>, fingerprint: String, logger: Logger,
        willShutDown: @escaping (UnsafeRawPointer) -> Void
    ) {
        self.api = api
        self.willShutDown = willShutDown
        self.fingerprint = fingerprint
        self.logger = logger
    }

    /// Loads the plugin at `path`. `expectedName` is the name the configuration gave it.
    @discardableResult
    func load(path: String, expectedName: String?, settingsJSON: String) -> Result<LoadedPlugin, Refusal> {
        let result = Result { try loadChecked(path: path, expectedName: expectedName, settingsJSON: settingsJSON) }
            .mapError { $0 as? Refusal ?? Refusal(path: path, reason: "\($0)") }
        switch result {
        case .success(let plugin):
            plugins.append(plugin)
            logger.info("plugin loaded", metadata: ["plugin": "\(plugin.name)", "version": "\(plugin.version)", "path": "\(path)"])
        case .failure(let refusal):
            logger.error("\(refusal.description)")
        }
        return result
    }

    private func loadChecked(path: String, expectedName: String?, settingsJSON: String) throws -> LoadedPlugin {
        func refuse(_ reason: String) -> Refusal { Refusal(path: path, reason: reason) }
        guard FileManager.default.fileExists(atPath: path) else { throw refuse("no such file") }
        // RTLD_LOCAL: a plugin's symbols stay its own. Never dlclose'd, even when refused: the
        // image may hold Swift metadata the runtime already registered.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw refuse("not a loadable shared object: \(String(cString: dlerror()))")
        }
        guard let entrySymbol = dlsym(handle, COZE_PLUGIN_ENTRY_SYMBOL) else {
            throw refuse("not a cozebridge plugin: it has no \(COZE_PLUGIN_ENTRY_SYMBOL) symbol")
        }
        let entry = unsafeBitCast(entrySymbol, to: coze_plugin_entry_v1_fn.self)
        guard let descriptor = entry() else { throw refuse("\(COZE_PLUGIN_ENTRY_SYMBOL) returned no descriptor") }
        let plugin = descriptor.pointee
        guard plugin.abi_major == UInt32(COZE_PLUGIN_ABI_MAJOR) else {
            throw refuse(
                "plugin ABI \(plugin.abi_major).\(plugin.abi_minor), this host speaks \(COZE_PLUGIN_ABI_MAJOR).\(COZE_PLUGIN_ABI_MINOR); rebuild the plugin against this host's cozebridge_plugin.h")
        }
        guard plugin.abi_minor <= UInt32(COZE_PLUGIN_ABI_MINOR) else {
            throw refuse(
                "plugin needs ABI \(plugin.abi_major).\(plugin.abi_minor), newer than this host's \(COZE_PLUGIN_ABI_MAJOR).\(COZE_PLUGIN_ABI_MINOR); update the host")
        }
        guard plugin.struct_size >= MemoryLayout<coze_plugin_v1>.size else {
            throw refuse("descriptor struct_size \(plugin.struct_size) is smaller than coze_plugin_v1 (\(MemoryLayout<coze_plugin_v1>.size))")
        }
        guard let namePointer = plugin.name, namePointer.pointee != 0 else { throw refuse("the descriptor has no name") }
        let name = String(cString: namePointer)
        if let expectedName, expectedName != name {
            throw refuse("the configuration calls it \"\(expectedName)\" but the plugin is named \"\(name)\"")
        }
        if let other = plugins.first(where: { $0.name == name }) {
            throw refuse("a plugin named \"\(name)\" is already loaded (from \(other.path))")
        }
        if let built = plugin.build_fingerprint.map({ String(cString: $0) }), built != fingerprint {
            throw refuse(
                "built with \(built), this host with \(fingerprint); Swift has no stable ABI on Linux, so rebuild the plugin with the host's toolchain")
        }
        guard let initialize = plugin.`init` else { throw refuse("the descriptor has no init function") }
        let version = plugin.version.map { String(cString: $0) } ?? "?"
        let loaded = LoadedPlugin(name: name, path: path, version: version, descriptor: descriptor)
        var state: UnsafeMutableRawPointer?
        var message: UnsafeMutablePointer<CChar>?
        let status = settingsJSON.withCString { initialize(api, loaded.token, $0, &state, &message) }
        guard status == COZE_OK else {
            let reason = message.map { String(cString: $0) } ?? "no reason given"
            free(message)
            throw refuse("init failed (status \(status)): \(reason)")
        }
        loaded.state = state
        return loaded
    }

    /// Shuts every plugin down, the last loaded first.
    func shutdownAll() {
        for plugin in plugins.reversed() {
            logger.info("plugin shutting down", metadata: ["plugin": "\(plugin.name)"])
            willShutDown(plugin.token)
            plugin.shutdown()
        }
    }
}
