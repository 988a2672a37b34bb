/// Something in the configuration that does not stop the bridge but that the user should hear about.
///
/// Unknown keys are warnings rather than errors so a `Config.yml` written for a newer cozebridge
/// (or carrying the seed's experimental Slack keys) still loads on this one.
public struct ConfigurationWarning: Sendable, Hashable, CustomStringConvertible {
    /// Why the host should log this.
    public enum Reason: Sendable, Hashable {
        /// A key this version does not know; `suggestion` is a known key that differs only in case.
        case unknownKey(String, suggestion: String?)
        /// A known key that has no effect here, and why.
        case ignoredKey(String, because: String)
        /// A bot entry identical to an earlier one; the duplicate is dropped.
        case duplicateBot(of: ConfigurationLocation)
        /// A whitelist entry that is not an IP address or CIDR block. The seed compared strings, so
        /// such an entry never matched anything there either; it is dropped.
        case unmatchableWhitelistEntry(String)
    }

    public var reason: Reason
    public var location: ConfigurationLocation

    public init(_ reason: Reason, at location: ConfigurationLocation) {
        self.reason = reason
        self.location = location
    }

    /// The 1-based line of the offending key, when known.
    public var line: Int? { location.line }

    public var description: String {
        let text: String
        switch reason {
        case .unknownKey(let key, let suggestion):
            text = "unknown key `\(key)` ignored" + (suggestion.map { " (did you mean `\($0)`?)" } ?? "")
        case .ignoredKey(let key, let because):
            text = "`\(key)` ignored: \(because)"
        case .duplicateBot(let other):
            text = "duplicate of \(other.keyPath)" + (other.line.map { " (line \($0))" } ?? "") + "; dropped"
        case .unmatchableWhitelistEntry(let entry):
            text = "\"\(entry)\" is not an IP address or CIDR block and can never match; dropped"
        }
        return "\(location): warning: \(text)"
    }
}
