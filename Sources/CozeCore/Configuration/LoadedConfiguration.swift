import DiscordWire

/// The result of loading: the configuration plus the warnings the host should log.
public struct LoadedConfiguration: Sendable, Hashable {
    /// The checked configuration.
    public var configuration: BridgeConfiguration
    /// Unknown or ignored keys and dropped duplicates, in document order.
    public var warnings: [ConfigurationWarning]
    /// The whole document as written (keys and values as JSON, before defaults), for the parts
    /// the core does not interpret: a plugin's own section, keys of a newer release.
    public var document: JSONValue

    public init(configuration: BridgeConfiguration, warnings: [ConfigurationWarning], document: JSONValue = .object([:])) {
        self.configuration = configuration
        self.warnings = warnings
        self.document = document
    }
}
