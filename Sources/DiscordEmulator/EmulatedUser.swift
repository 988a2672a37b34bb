import DiscordWire

/// An account in the emulated guild, with the token that authenticates it.
struct EmulatedUser: Sendable, Equatable {
    var id: Snowflake
    var username: String
    var globalName: String?
    var isBot: Bool
    /// The raw token; bots authenticate REST calls with `Bot <token>`, users with the bare token.
    var token: String

    /// The embedded form used in authors, mentions and member objects.
    var partialJSON: JSONValue {
        var object: [String: JSONValue] = [
            "id": JSONValue(id), "username": .string(username), "discriminator": "0",
            "global_name": .string(orNull: globalName), "avatar": nil, "public_flags": 0,
        ]
        if isBot { object["bot"] = true }
        return .object(object)
    }

    /// The full form of `GET /users/@me` and READY (discord-wire.md §7.1).
    var fullJSON: JSONValue {
        guard case .object(var object) = partialJSON else { return partialJSON }
        object["bot"] = .bool(isBot)
        object["system"] = false
        object["flags"] = 0
        object["banner"] = nil
        object["accent_color"] = nil
        object["mfa_enabled"] = false
        object["verified"] = true
        object["locale"] = "en-US"
        object["premium_type"] = 0
        object["email"] = nil
        return .object(object)
    }

    /// A token shaped like Discord's: base64 of the id, a timestamp part and a secret part.
    static func makeToken(for id: Snowflake, secret: String) -> String {
        let idPart = base64URL(Array(id.description.utf8))
        return "\(idPart).Em\(secret.prefix(4)).\(secret)"
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * offset) }
            let characters = chunk.count + 1
            for position in 0..<characters { output.append(alphabet[Int(value >> (18 - 6 * position) & 0x3F)]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
