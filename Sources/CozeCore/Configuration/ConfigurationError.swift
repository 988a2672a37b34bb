/// A configuration the bridge refuses to start with.
///
/// The description always names the source, the key path and (when the YAML gave one) the line and
/// column, e.g. `Config.yml:14:16: Bots[1].Server_id: expected a Discord ID (digits), found "abc"`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        /// The file could not be read (missing, unreadable, not UTF-8).
        case unreadableFile(detail: String)
        /// The text is not valid YAML; `problem` is libyaml's own explanation.
        case malformedYAML(problem: String)
        /// The document is empty or its top level is not a mapping of keys.
        case notAMapping(found: String)
        /// A required key is absent. The location points at the mapping that lacks it.
        case missingKey(String)
        /// The value has the wrong shape or type, e.g. `APIPort: abc`.
        case wrongType(expected: String, found: String)
        /// A number outside the allowed range, e.g. a port above 65535.
        case outOfRange(value: String, allowed: String)
        /// A word outside a closed set, e.g. `ProxyType: FTP` or `Sender_Mode: robot`.
        case unknownValue(value: String, allowed: [String])
        /// A value of the right type that still makes no sense (bad URL, bad CIDR, …).
        case invalidValue(value: String, detail: String)
        /// A bot entry with no token at all, or without the token its sender mode needs.
        case missingToken(detail: String)
        /// The same Discord token appears in two bot entries that would use it differently.
        /// `otherEntry` is where it was first seen.
        case conflictingDuplicateToken(otherEntry: ConfigurationLocation, detail: String)
        /// Two plugins with the same name; the host identifies plugins by name.
        case duplicatePluginName(String, otherEntry: ConfigurationLocation)
        /// Neither `Bots`, nor the era-A top-level bot keys, nor the environment define a bot.
        case noBots
        /// `Version_minSupport` asks for a newer configuration format than this build reads.
        case unsupportedVersion(required: Int, supported: Int)
    }

    public var reason: Reason
    public var location: ConfigurationLocation

    public init(_ reason: Reason, at location: ConfigurationLocation) {
        self.reason = reason
        self.location = location
    }

    /// The key path at fault, e.g. `Bots[1].Server_id`.
    public var keyPath: String { location.keyPath }
    /// The 1-based line at fault, when known.
    public var line: Int? { location.line }
    /// The 1-based column at fault, when known.
    public var column: Int? { location.column }

    public var description: String {
        "\(location): \(reasonText)"
    }

    private var reasonText: String {
        switch reason {
        case .unreadableFile(let detail):
            return "cannot read the configuration file: \(detail)"
        case .malformedYAML(let problem):
            return "malformed YAML: \(problem)"
        case .notAMapping(let found):
            return "the configuration must be a mapping of keys (like `APIPort: 8092`), found \(found)"
        case .missingKey(let key):
            return "missing required key `\(key)`"
        case .wrongType(let expected, let found):
            return "expected \(expected), found \(found)"
        case .outOfRange(let value, let allowed):
            return "\(value) is out of range (allowed: \(allowed))"
        case .unknownValue(let value, let allowed):
            return "unknown value \"\(value)\" (allowed: \(allowed.joined(separator: ", ")))"
        case .invalidValue(let value, let detail):
            return "invalid value \"\(value)\": \(detail)"
        case .missingToken(let detail):
            return detail
        case .conflictingDuplicateToken(let other, let detail):
            return "this Discord token is also used by \(other.keyPath)"
                + (other.line.map { " (line \($0))" } ?? "") + " with \(detail)"
        case .duplicatePluginName(let name, let other):
            return "plugin name \"\(name)\" is already used by \(other.keyPath)"
                + (other.line.map { " (line \($0))" } ?? "")
        case .noBots:
            return "no bot is configured: add a `Bots:` list (see docs/configuration.md)"
        case .unsupportedVersion(let required, let supported):
            return "this configuration needs format version \(required) or newer, "
                + "but this cozebridge reads up to version \(supported); upgrade cozebridge"
        }
    }
}
