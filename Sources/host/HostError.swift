/// What stops the host before it serves anything; each message says what to do.
enum HostError: Error, CustomStringConvertible {
    /// libcozebridge cannot be loaded or lacks a function.
    case core(String)
    /// The configuration was refused (the message names file, line and key).
    case configuration(String)
    /// Something else failed at start-up.
    case startup(String)

    var description: String {
        switch self {
        case .core(let text), .configuration(let text), .startup(let text): return text
        }
    }

    /// The exit status, following sysexits.h.
    var exitCode: Int32 {
        switch self {
        case .core: return 69  // EX_UNAVAILABLE
        case .configuration: return 78  // EX_CONFIG
        case .startup: return 70  // EX_SOFTWARE
        }
    }
}
