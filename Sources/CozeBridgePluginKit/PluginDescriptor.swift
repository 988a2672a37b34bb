import CozeBridgeHeaders

/// Builds the static descriptor (`coze_plugin_v1`) a Swift plugin's `coze_plugin_entry_v1`
/// returns, with this module's ABI version and ``buildFingerprint``.
///
/// ```swift
/// private let descriptor = PluginDescriptor.make(
///     name: "http", version: "0.1.0", initialize: httpPluginInit, shutdown: httpPluginShutdown)
///
/// @_cdecl("coze_plugin_entry_v1")
/// public func coze_plugin_entry_v1() -> UnsafePointer<coze_plugin_v1>? { descriptor }
/// ```
///
/// The descriptor and its strings are allocated once and never freed: the host keeps them for the
/// life of the process (plugins are never unloaded).
public enum PluginDescriptor {
    /// The type of the descriptor's `init`.
    public typealias Initialize = @convention(c) (
        UnsafePointer<coze_host_api>?, UnsafeRawPointer?, UnsafePointer<CChar>?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Int32
    /// The type of the descriptor's `shutdown`.
    public typealias Shutdown = @convention(c) (UnsafeMutableRawPointer?) -> Void

    /// A new descriptor; call once and keep it in a global.
    public static func make(
        name: String, version: String, initialize: Initialize, shutdown: Shutdown
    ) -> UnsafePointer<coze_plugin_v1> {
        let descriptor = UnsafeMutablePointer<coze_plugin_v1>.allocate(capacity: 1)
        var value = coze_plugin_v1()
        value.abi_major = UInt32(COZE_PLUGIN_ABI_MAJOR)
        value.abi_minor = UInt32(COZE_PLUGIN_ABI_MINOR)
        value.struct_size = MemoryLayout<coze_plugin_v1>.size
        value.name = UnsafePointer(CString.malloced(name))
        value.version = UnsafePointer(CString.malloced(version))
        value.build_fingerprint = UnsafePointer(CString.malloced(buildFingerprint))
        value.`init` = initialize
        value.shutdown = shutdown
        descriptor.initialize(to: value)
        return UnsafePointer(descriptor)
    }

    /// A message for `init`'s `error_out`: allocated with malloc, as the host frees it with free().
    public static func errorMessage(_ message: String) -> UnsafeMutablePointer<CChar>? {
        CString.malloced(message)
    }
}
