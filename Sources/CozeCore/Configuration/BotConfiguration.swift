import DiscordWire

/// One Discord identity (or set of identities) that talks to one Coze-published bot.
///
/// Read from an entry of `Bots:` (seed eras B and C) or from the flat top-level keys of era A.
/// Entries that share an ``accessKey`` form a pool; see ``BridgeConfiguration/botPools``.
public struct BotConfiguration: Sendable, Hashable {
    /// Who posts the prompt into Discord.
    public enum SenderMode: String, Sendable, Hashable, CaseIterable {
        /// The bridge's bot token posts and listens (seed eras A/B). Coze has at times ignored
        /// messages written by bots; if replies never come, switch to ``user``.
        case bot
        /// A user token posts the prompt (seed era C, and the peers' approach). The bot token,
        /// when given, listens; without one the core listens as the user.
        case user
    }

    /// The access key (`Key`) clients present to pick this bot. The seed's `""` becomes
    /// ``openAccessKey``.
    public var accessKey: String
    /// The login protocol (`Protocol`, era C). Only `discord` exists.
    public var loginProtocol: String
    /// The bridge bot's token (`Discord_Bot_Token`), without the `Bot ` prefix.
    public var botToken: String?
    /// User tokens (`Token` of era C, or the additive `User_Token`), in the order written.
    /// The seed allowed several, separated by commas, as fallbacks when one hits Coze's daily limit.
    public var userTokens: [String]
    /// How prompts are posted (`Sender_Mode`, additive).
    public var senderMode: SenderMode
    /// The category new conversation channels go under (`CreateChannel_Category`); `nil` for none.
    public var channelCategoryID: Snowflake?
    /// The guild where the Coze bot lives and conversations are created (`Server_id`).
    public var serverID: Snowflake
    /// The user ID of the Coze-hosted Discord bot, mentioned in every prompt (`CozeBot_id`).
    public var cozeBotID: Snowflake

    /// The seed's key meaning "no key needed": requests without a key reach this bot.
    public static let openAccessKey = "default"

    public init(
        accessKey: String,
        loginProtocol: String = "discord",
        botToken: String?,
        userTokens: [String] = [],
        senderMode: SenderMode,
        channelCategoryID: Snowflake?,
        serverID: Snowflake,
        cozeBotID: Snowflake
    ) {
        self.accessKey = accessKey
        self.loginProtocol = loginProtocol
        self.botToken = botToken
        self.userTokens = userTokens
        self.senderMode = senderMode
        self.channelCategoryID = channelCategoryID
        self.serverID = serverID
        self.cozeBotID = cozeBotID
    }

    /// Whether requests without any key may use this bot.
    public var isOpenAccess: Bool { accessKey == Self.openAccessKey }

    /// Tokens that post prompts: the bot token in ``SenderMode/bot`` mode, the user tokens in
    /// ``SenderMode/user`` mode. A pool balances over these.
    public var senderTokens: [String] {
        switch senderMode {
        case .bot: return botToken.map { [$0] } ?? []
        case .user: return userTokens
        }
    }
}

// Tokens are credentials: logging a configuration must never print them.
extension BotConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "BotConfiguration(key: \(accessKey), mode: \(senderMode.rawValue), "
            + "botToken: \(botToken == nil ? "none" : "<redacted>"), userTokens: \(userTokens.count) <redacted>, "
            + "server: \(serverID), cozeBot: \(cozeBotID), category: \(channelCategoryID.map(\.description) ?? "none"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}
