import CozeBridgeHeaders
import Foundation

/// libcozebridge, opened with dlopen: the host links no CozeCore, so the process holds exactly
/// one copy of the core — the one every plugin reaches through the host's table.
struct CoreLibrary: @unchecked Sendable {
    // @unchecked: a dlopen handle and C function pointers, immutable once loaded.
    let path: String
    let handle: UnsafeMutableRawPointer

    let version: @convention(c) () -> UnsafePointer<CChar>?
    let lastError: @convention(c) () -> UnsafePointer<CChar>?
    let free: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let createFromFile:
        @convention(c) (
            UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, UnsafePointer<coze_bridge_options>?
        ) -> Int32
    let createFromYAML:
        @convention(c) (
            UnsafeMutablePointer<OpaquePointer?>?, UnsafePointer<CChar>?, UnsafePointer<coze_bridge_options>?
        ) -> Int32
    let pluginListJSON: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, OpaquePointer?) -> Int32
    let botStatus:
        @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<coze_bot_status_list>?>?, OpaquePointer?) -> Int32
    let botStatusFree: @convention(c) (UnsafeMutablePointer<coze_bot_status_list>?) -> Void
    let destroy: @convention(c) (OpaquePointer?) -> Int32

    /// Where the library is looked for, first match wins: `explicit` (`--core` or
    /// `$COZEBRIDGE_LIBRARY`), the installed layout next to the executable (`../lib`), the build
    /// directory of the executable, then the dynamic linker's own search.
    static func candidates(explicit: String?) -> [String] {
        if let explicit { return [explicit] }
        let directory = ExecutableLocation.directory
        return [
            directory + "/../lib/libcozebridge.so.1", directory + "/libcozebridge.so.1",
            directory + "/libcozebridge.so", "libcozebridge.so.1",
        ]
    }

    static func load(explicit: String?) throws -> CoreLibrary {
        var failures: [String] = []
        for candidate in candidates(explicit: explicit) {
            if candidate.contains("/") && !FileManager.default.fileExists(atPath: candidate) {
                failures.append("\(candidate): no such file")
                continue
            }
            guard let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) else {
                failures.append(String(cString: dlerror()))
                continue
            }
            return try CoreLibrary(path: candidate, handle: handle)
        }
        let tried = candidates(explicit: explicit).joined(separator: ", ")
        throw HostError.core(
            "cannot load libcozebridge (tried \(tried))"
                + (failures.isEmpty ? "" : ": " + failures.joined(separator: "; "))
                + ". Build it with `make stage`, or name it with --core / COZEBRIDGE_LIBRARY.")
    }

    private init(path: String, handle: UnsafeMutableRawPointer) throws {
        self.path = path
        self.handle = handle
        version = try Self.symbol(handle, "coze_version")
        lastError = try Self.symbol(handle, "coze_last_error")
        free = try Self.symbol(handle, "coze_free")
        createFromFile = try Self.symbol(handle, "coze_bridge_create_from_file")
        createFromYAML = try Self.symbol(handle, "coze_bridge_create_from_yaml")
        pluginListJSON = try Self.symbol(handle, "coze_bridge_plugin_list_json")
        botStatus = try Self.symbol(handle, "coze_bot_status_get")
        botStatusFree = try Self.symbol(handle, "coze_bot_status_list_free")
        destroy = try Self.symbol(handle, "coze_bridge_destroy")
    }

    /// A function of the library as the C type `T` (the header's declaration).
    func symbol<T>(_ name: String) throws -> T { try Self.symbol(handle, name) }

    private static func symbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String) throws -> T {
        guard let pointer = dlsym(handle, name) else {
            throw HostError.core("libcozebridge lacks \(name) (an older library than this host?)")
        }
        return unsafeBitCast(pointer, to: T.self)
    }

    /// The thread's last error of the library.
    var lastErrorMessage: String { lastError().map { String(cString: $0) } ?? "" }

    /// Takes a library-allocated string, releasing it with `coze_free`.
    func take(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
