import CozeBridgeHeaders
import CozeBridgePluginKit

// The plugin's C face: the entry symbol (the only one exports.map exports), its descriptor, and
// init / shutdown, which run on the host's main thread.

/// The plugin's version.
let httpPluginVersion = "0.1.0"

nonisolated(unsafe) private let descriptor = PluginDescriptor.make(
    name: "http", version: httpPluginVersion, initialize: httpPluginInit, shutdown: httpPluginShutdown)

/// The entry the host looks up with dlsym.
@_cdecl("coze_plugin_entry_v1")
public func coze_plugin_entry_v1() -> UnsafePointer<coze_plugin_v1>? {
    descriptor
}

/// Starts the servers; fails with a message when a setting is unusable or a port cannot be bound.
private func httpPluginInit(
    api: UnsafePointer<coze_host_api>?, token: UnsafeRawPointer?, settings: UnsafePointer<CChar>?,
    stateOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, errorOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    guard let api, let stateOut else {
        errorOut?.pointee = PluginDescriptor.errorMessage("init was called without a host table or state pointer.")
        return COZE_EINVAL
    }
    let host = HostAPI(table: api, pluginToken: token)
    do {
        let plugin = try HTTPPlugin.start(host: host, settingsJSON: settings.map { String(cString: $0) } ?? "{}")
        stateOut.pointee = Unmanaged.passRetained(plugin).toOpaque()
        return COZE_OK
    } catch {
        errorOut?.pointee = PluginDescriptor.errorMessage(error.description)
        return COZE_ECONFIG
    }
}

/// Stops the servers and releases the plugin.
private func httpPluginShutdown(state: UnsafeMutableRawPointer?) {
    guard let state else { return }
    Unmanaged<HTTPPlugin>.fromOpaque(state).takeRetainedValue().stop()
}
