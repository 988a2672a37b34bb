/// The Swift compiler this module was built with, as "swift-MAJOR.MINOR".
///
/// Swift has no stable ABI on Linux, so a Swift plugin and the host that loads it must come from
/// the same compiler release. A Swift plugin puts this string in its descriptor's
/// `build_fingerprint` (``PluginDescriptor/make(name:version:initialize:shutdown:)`` does); the
/// host compares it with its own copy of this constant and refuses a plugin whose fingerprint
/// differs. Patch releases of one MINOR share the runtime's ABI and compare equal.
public let buildFingerprint: String = {
    #if compiler(>=6.6)
    return "swift-6.6+"
    #elseif compiler(>=6.5)
    return "swift-6.5"
    #elseif compiler(>=6.4)
    return "swift-6.4"
    #elseif compiler(>=6.3)
    return "swift-6.3"
    #elseif compiler(>=6.2)
    return "swift-6.2"
    #elseif compiler(>=6.1)
    return "swift-6.1"
    #else
    return "swift-6.0"
    #endif
}()
