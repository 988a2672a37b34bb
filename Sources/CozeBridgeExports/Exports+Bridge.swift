import CCozeBridge
import CozeCore
import DiscordWire
import Foundation

// The bridge's life cycle: create (from a file or YAML text), wait until ready, read the
// configuration, destroy. See include/cozebridge.h for the contract of each function.

@c @implementation
public func coze_bridge_create_from_file(
    _ out: UnsafeMutablePointer<OpaquePointer?>!, _ path: UnsafePointer<CChar>!,
    _ options: UnsafePointer<coze_bridge_options>!
) -> Int32 {
    cEntry {
        let path = try CMemory.nonEmpty(path, "path")
        try createBridge(out, options) { loader in try loader.load(contentsOfFile: path) }
    }
}

@c @implementation
public func coze_bridge_create_from_yaml(
    _ out: UnsafeMutablePointer<OpaquePointer?>!, _ yaml: UnsafePointer<CChar>!,
    _ options: UnsafePointer<coze_bridge_options>!
) -> Int32 {
    cEntry {
        let yaml = try CMemory.required(yaml, "yaml")
        try createBridge(out, options) { loader in try loader.load(yaml: yaml) }
    }
}

private func createBridge(
    _ out: UnsafeMutablePointer<OpaquePointer?>?, _ options: UnsafePointer<coze_bridge_options>?,
    load: (ConfigurationLoader) throws -> LoadedConfiguration
) throws {
    guard let out else { throw CFailure.invalid("out is NULL.") }
    var storePath: String?
    var legacyDirectory: String?
    var readyTimeout: Int32 = 0
    var firstReplyTimeout: Int32 = 0
    if let options {
        guard options.pointee.struct_size >= MemoryLayout<coze_bridge_options>.size else {
            throw CFailure.invalid(
                "options->struct_size is \(options.pointee.struct_size); initialise the options with COZE_BRIDGE_OPTIONS_INIT.")
        }
        storePath = options.pointee.store_path.map { String(cString: $0) }
        legacyDirectory = options.pointee.legacy_import_directory.map { String(cString: $0) }
        readyTimeout = options.pointee.ready_timeout_ms
        guard readyTimeout >= 0 else { throw CFailure.invalid("options->ready_timeout_ms is negative.") }
        firstReplyTimeout = options.pointee.first_reply_timeout_ms
        guard firstReplyTimeout >= 0 else { throw CFailure.invalid("options->first_reply_timeout_ms is negative.") }
    }
    let loaded = try load(ConfigurationLoader(environment: ProcessInfo.processInfo.environment))
    var engineOptions = CozeBridgeOptions()
    engineOptions.legacyImportDirectory = legacyDirectory
    if firstReplyTimeout > 0 { engineOptions.firstReplyTimeout = .milliseconds(Int64(firstReplyTimeout)) }
    let core = try CozeBridge(configuration: loaded.configuration, storePath: storePath, options: engineOptions)
    core.start()
    if readyTimeout > 0 {
        let timeout = Duration.milliseconds(Int64(readyTimeout))
        _ = try Blocking.wait { await core.waitUntilReady(timeout: timeout) }
    }
    let handle = BridgeHandle(core: core, document: loaded.document)
    out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
}

@c @implementation
public func coze_bridge_wait_ready(_ bridge: OpaquePointer!, _ timeout_ms: Int32) -> Int32 {
    cEntry {
        let handle = try BridgeHandle.open(bridge)
        guard timeout_ms >= 0 else { throw CFailure.invalid("timeout_ms is negative.") }
        let timeout = Duration.milliseconds(Int64(timeout_ms))
        let ready = try handle.call { core in await core.waitUntilReady(timeout: timeout) }
        let core = try handle.core
        guard ready else {
            let waiting = core.status().filter { $0.state != .ready }
                .map { "\($0.identity): \($0.gateway)" }.joined(separator: "; ")
            throw CFailure(COZE_ETIMEOUT, "Not every bot is ready after \(timeout_ms) ms: \(waiting)")
        }
    }
}

@c @implementation
public func coze_bridge_config_json(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>!, _ bridge: OpaquePointer!,
    _ section: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let handle = try BridgeHandle.open(bridge)
        var value = handle.document
        if let section {
            let key = String(cString: section)
            guard let member = handle.document[key] else {
                throw CFailure(COZE_ENOTFOUND, "The configuration has no top-level key \"\(key)\".")
            }
            value = member
        }
        out.pointee = CMemory.string(value.serialized())
    }
}

@c @implementation
public func coze_bridge_plugin_list_json(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>!, _ bridge: OpaquePointer!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let plugins = try BridgeHandle.open(bridge).core.configuration.plugins
        let list = JSONValue.array(
            plugins.map { plugin in
                [
                    "name": .string(plugin.name), "path": plugin.path.map(JSONValue.string) ?? .null,
                    "enabled": .bool(plugin.isEnabled), "settings": plugin.settings,
                ]
            })
        out.pointee = CMemory.string(list.serialized())
    }
}

@c @implementation
public func coze_bridge_destroy(_ bridge: OpaquePointer!) -> Int32 {
    cEntry {
        guard let bridge else { return }
        if czb_callback_bridge() == UnsafeRawPointer(bridge) {
            throw CFailure(
                COZE_EREENTRANT,
                "coze_bridge_destroy was called from a callback of the same bridge; call it after the stream has ended.")
        }
        try Blocking.refuseInDirectCallback("coze_bridge_destroy")
        let unmanaged = Unmanaged<BridgeHandle>.fromOpaque(UnsafeRawPointer(bridge))
        unmanaged.takeUnretainedValue().close()
        unmanaged.release()
    }
}
