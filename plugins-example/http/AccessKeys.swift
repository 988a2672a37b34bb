import CozeBridgePluginKit
import Foundation
import HTTPTypes
import Hummingbird

/// Which bot pool a request may use: `Authorization: Bearer KEY` (also the seed's `key` header or
/// parameter) must be one of the configured `Key`s; a request without a key gets the open key
/// (`Key: default` or `""`) when one is configured.
struct AccessKeys: Sendable {
    /// Why a request has no usable key.
    enum Refusal: Error {
        /// No key was presented and no bot is open.
        case missing
        /// The key presented is not configured.
        case unknown
    }

    let host: HostAPI

    /// The key a request presents: the bearer token, else a `key` header (the seed's), else
    /// `parameter` (the seed's `key` parameter). Empty values count as none.
    static func presented(in request: Request, parameter: String? = nil) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                if !token.isEmpty { return token }
            }
        }
        if let name = HTTPField.Name("key"), let header = request.headers[name], !header.isEmpty { return header }
        if let parameter, !parameter.isEmpty { return parameter }
        return nil
    }

    /// The access key to hand to the core for `presented`: the key itself, or nil for the open key.
    func resolve(_ presented: String?) throws(Refusal) -> String? {
        let configured = Set(((try? host.botStatus()) ?? []).map(\.accessKey))
        let open = configured.contains("default") || configured.contains("")
        guard let presented else {
            if open { return nil }
            throw .missing
        }
        guard configured.contains(presented) else { throw .unknown }
        return presented
    }

    /// The configured name of a resolved key: the key, or "default" for the open one.
    static func name(of key: String?) -> String {
        key ?? "default"
    }

    /// The bots of a resolved key's pool.
    func bots(of key: String?) throws(CozeError) -> [BotStatus] {
        let name = Self.name(of: key)
        return try host.botStatus().filter { $0.accessKey == name || (key == nil && $0.accessKey.isEmpty) }
    }
}

