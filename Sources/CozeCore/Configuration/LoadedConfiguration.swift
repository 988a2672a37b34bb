/// The result of loading: the configuration plus the warnings the host should log.
public struct LoadedConfiguration: Sendable, Hashable {
    /// The checked configuration.
    public var configuration: BridgeConfiguration
    /// Unknown or ignored keys and dropped duplicates, in document order.
    public var warnings: [ConfigurationWarning]

    public init(configuration: BridgeConfiguration, warnings: [ConfigurationWarning]) {
        self.configuration = configuration
        self.warnings = warnings
    }
}
