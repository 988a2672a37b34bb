import AsyncHTTPClient
import DiscordWire

extension DiscordProxy {
    /// The AsyncHTTPClient form of this proxy, for the REST client.
    var asyncHTTPClientProxy: HTTPClient.Configuration.Proxy {
        switch kind {
        case .http: return .server(host: host, port: port)
        case .socks5: return .socksServer(host: host, port: port)
        }
    }
}
