/// Where the core reaches Discord. Overridden to point at the emulator in tests and the demo.
public struct DiscordEndpoints: Sendable, Hashable {
    /// The real Discord REST base.
    public static let discordAPI = "https://discord.com/api/v10"

    /// REST base URL including the version path (`Discord_API`, additive), without a trailing slash.
    public var apiBaseURL: String
    /// Gateway URL (`Discord_Gateway`, additive). `nil` means "ask `GET /gateway/bot` at
    /// ``apiBaseURL``", which is what Discord recommends.
    public var gatewayURL: String?

    public init(apiBaseURL: String = DiscordEndpoints.discordAPI, gatewayURL: String? = nil) {
        self.apiBaseURL = apiBaseURL
        self.gatewayURL = gatewayURL
    }
}
