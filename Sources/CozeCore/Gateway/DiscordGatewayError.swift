import DiscordWire

/// Why a gateway client stopped for good: Discord refused the session in a way that retrying
/// cannot fix, so the bot is taken out of service with a message that says what to do.
public struct DiscordGatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Kind: Sendable, Equatable {
        /// 4004: the token is wrong or revoked.
        case authenticationFailed
        /// 4010: the shard in IDENTIFY is invalid.
        case invalidShard
        /// 4011: the bot is in too many guilds for one connection.
        case shardingRequired
        /// 4012: the gateway refused API version 10.
        case invalidAPIVersion
        /// 4013: the intents value is not valid.
        case invalidIntents
        /// 4014: a privileged intent is not enabled for this application.
        case disallowedIntents
        /// The configuration cannot work (e.g. a gateway URL that is not ws:// or wss://).
        case invalidConfiguration
    }

    /// The kind of refusal.
    public let kind: Kind
    /// Discord's close code, when the refusal came as one.
    public let closeCode: UInt16?
    /// What went wrong and how to fix it, naming the bot.
    public let description: String

    public init(kind: Kind, closeCode: UInt16?, description: String) {
        self.kind = kind
        self.closeCode = closeCode
        self.description = description
    }

    /// The fatal error for close `code`, or `nil` when Discord allows reconnecting after it.
    static func fatal(
        closeCode code: UInt16, reason: String, botLabel: String, intents: GatewayIntents
    ) -> DiscordGatewayError? {
        guard let known = GatewayCloseCode(rawValue: code), !known.allowsReconnect else { return nil }
        let said = reason.isEmpty ? "" : " (Discord said: \(reason))"
        switch known {
        case .authenticationFailed:
            return DiscordGatewayError(
                kind: .authenticationFailed, closeCode: code,
                description: "Discord rejected the bot token of bot \(botLabel) (close code 4004)\(said): check "
                    + "Discord_Bot_Token; a token is reset whenever it is regenerated in the Developer Portal.")
        case .disallowedIntents:
            let names = Self.names(of: intents.intersection(.privileged))
            let list = names.isEmpty ? "a privileged intent" : "the privileged intent\(names.count > 1 ? "s" : "") "
                + names.joined(separator: ", ")
            let toggles = names.map { Self.portalToggle(for: $0) }.joined(separator: "', '")
            return DiscordGatewayError(
                kind: .disallowedIntents, closeCode: code,
                description: "Discord refused \(list) for bot \(botLabel) (close code 4014)\(said): enable "
                    + "'\(toggles.isEmpty ? "the privileged intents" : toggles)' for this bot in the Developer Portal "
                    + "(Bot → Privileged Gateway Intents).")
        case .invalidIntents:
            return DiscordGatewayError(
                kind: .invalidIntents, closeCode: code,
                description: "Discord refused the intents value \(intents.rawValue) of bot \(botLabel) as invalid "
                    + "(close code 4013)\(said): configure only intents Discord defines.")
        case .invalidShard:
            return DiscordGatewayError(
                kind: .invalidShard, closeCode: code,
                description: "Discord refused the shard of bot \(botLabel) (close code 4010)\(said).")
        case .shardingRequired:
            return DiscordGatewayError(
                kind: .shardingRequired, closeCode: code,
                description: "Discord requires sharding for bot \(botLabel) (close code 4011)\(said): the bot is in "
                    + "too many guilds for one connection; remove it from guilds it does not need.")
        case .invalidAPIVersion:
            return DiscordGatewayError(
                kind: .invalidAPIVersion, closeCode: code,
                description: "Discord refused gateway API version 10 for bot \(botLabel) (close code 4012)\(said): "
                    + "check the gateway URL.")
        default:
            return nil
        }
    }

    private static func names(of intents: GatewayIntents) -> [String] {
        var names: [String] = []
        if intents.contains(.guildMembers) { names.append("GUILD_MEMBERS") }
        if intents.contains(.guildPresences) { names.append("GUILD_PRESENCES") }
        if intents.contains(.messageContent) { names.append("MESSAGE_CONTENT") }
        return names
    }

    /// The switch's label in the Developer Portal.
    private static func portalToggle(for name: String) -> String {
        switch name {
        case "GUILD_MEMBERS": return "Server Members Intent"
        case "GUILD_PRESENCES": return "Presence Intent"
        default: return "Message Content Intent"
        }
    }
}
