/// The outbound proxy for Discord traffic (REST and gateway). The API server never uses it.
public struct ProxyConfiguration: Sendable, Hashable {
    /// The proxy protocol (`ProxyType`).
    public enum ProxyType: String, Sendable, Hashable, CaseIterable {
        /// HTTP `CONNECT` tunnelling.
        case http = "HTTP"
        /// SOCKS5. The seed's `SOCKS` means this; SOCKS4 was never supported by its libraries either.
        case socks5 = "SOCKS5"
    }

    /// Whether Discord traffic goes through the proxy (`UsingProxy`).
    public var isEnabled: Bool
    /// Proxy host name or address (`ProxyIP`).
    public var host: String
    /// Proxy port (`ProxyPort`).
    public var port: Int
    /// Proxy protocol (`ProxyType`).
    public var type: ProxyType

    public init(isEnabled: Bool = false, host: String = "127.0.0.1", port: Int = 8080, type: ProxyType = .http) {
        self.isEnabled = isEnabled
        self.host = host
        self.port = port
        self.type = type
    }
}
