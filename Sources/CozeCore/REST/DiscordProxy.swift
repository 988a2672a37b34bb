import AsyncHTTPClient
import Foundation

/// An outbound proxy for Discord traffic: HTTP `CONNECT` tunnelling or SOCKS5.
///
/// Kept deliberately small so that the configuration layer can map the seed's
/// `UsingProxy` / `ProxyType` / `ProxyIP` / `ProxyPort` keys onto it, and so that the gateway can
/// share the same value with the REST client.
public struct DiscordProxy: Sendable, Hashable, CustomStringConvertible {
    /// The proxy protocol.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An HTTP proxy reached with `CONNECT host:port` (the TLS session runs through the tunnel).
        case http
        /// A SOCKS5 proxy (no authentication).
        case socks5
    }

    /// The proxy protocol.
    public var kind: Kind
    /// Host name or address of the proxy.
    public var host: String
    /// TCP port of the proxy.
    public var port: Int

    /// Creates a proxy description.
    public init(kind: Kind, host: String, port: Int) {
        self.kind = kind
        self.host = host
        self.port = port
    }

    /// Parses a `ProxyType` value as configuration files spell it: `http`, `https` (still a
    /// `CONNECT` proxy), `socks`, `socks5`, `socks5h`; case-insensitive. `nil` for anything else.
    public static func kind(named name: String) -> Kind? {
        switch name.lowercased().trimmingCharacters(in: .whitespaces) {
        case "http", "https": return .http
        case "socks", "socks5", "socks5h": return .socks5
        default: return nil
        }
    }

    /// `http://host:port` or `socks5://host:port`, for logs.
    public var description: String { "\(kind.rawValue)://\(host):\(port)" }

    /// The AsyncHTTPClient form of this proxy.
    var asyncHTTPClientProxy: HTTPClient.Configuration.Proxy {
        switch kind {
        case .http: return .server(host: host, port: port)
        case .socks5: return .socksServer(host: host, port: port)
        }
    }
}
