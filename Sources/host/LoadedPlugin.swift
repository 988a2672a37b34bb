import CozeBridgeHeaders

/// A plugin that passed every check and whose init succeeded. Its image stays loaded for the life
/// of the process (Swift images cannot be unloaded); "unloading" is calling `shutdown` once.
final class LoadedPlugin: @unchecked Sendable {
    // @unchecked: created and shut down on the main thread; `name` is read by log calls.
    let name: String
    let path: String
    let version: String
    let descriptor: UnsafePointer<coze_plugin_v1>
    var state: UnsafeMutableRawPointer?
    private var isShutDown = false

    init(name: String, path: String, version: String, descriptor: UnsafePointer<coze_plugin_v1>) {
        self.name = name
        self.path = path
        self.version = version
        self.descriptor = descriptor
    }

    /// The token the plugin passes to `log` (unretained: the registry keeps the plugin alive).
    var token: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()) }

    func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        descriptor.pointee.shutdown?(state)
    }
}
