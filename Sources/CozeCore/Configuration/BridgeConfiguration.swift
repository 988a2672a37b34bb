/// Everything a `Config.yml` says, as checked values.
///
/// Produced by ``ConfigurationLoader``. Seed files of every era map onto this one shape; keys the
/// seed never had are additive and default to what the seed did (see docs/configuration.md).
public struct BridgeConfiguration: Sendable, Hashable {
    /// Which seed era the file follows.
    public var era: ConfigurationEra
    /// Informational format version (`Version`).
    public var version: Int
    /// The oldest reader this file accepts (`Version_minSupport`); checked on load.
    public var minimumReaderVersion: Int
    /// Bots in file order, duplicates removed. Never empty.
    public var bots: [BotConfiguration]
    /// Outbound proxy for Discord (`UsingProxy`, `ProxyIP`, `ProxyPort`, `ProxyType`).
    public var proxy: ProxyConfiguration
    /// The HTTP/HTTPS API and who may call it.
    public var api: APIServerConfiguration
    /// The OpenAI-compatible endpoints.
    public var openAI: OpenAICompatibilityConfiguration
    /// Keepalive scheduling.
    public var keepalive: KeepaliveConfiguration
    /// Reply completion and timeouts.
    public var reply: ReplyConfiguration
    /// Conversation storage and the channel cap.
    public var conversations: ConversationConfiguration
    /// Discord base URLs.
    public var discord: DiscordEndpoints
    /// Plugins for the host to load, in file order.
    public var plugins: [PluginConfiguration]
    /// Whether a bot may also come from the environment (`Disable_ENV_Read: false`, the seed's
    /// Docker path: `token`, `discord_server`, `coze_bot`, `key`).
    public var readsBotFromEnvironment: Bool

    /// The configuration format version this build reads; files whose `Version_minSupport` is
    /// higher are refused. The seed's files all say 0, and additive keys do not bump it.
    public static let supportedVersion = 0

    public init(
        era: ConfigurationEra,
        version: Int = 0,
        minimumReaderVersion: Int = 0,
        bots: [BotConfiguration],
        proxy: ProxyConfiguration = ProxyConfiguration(),
        api: APIServerConfiguration = APIServerConfiguration(),
        openAI: OpenAICompatibilityConfiguration = OpenAICompatibilityConfiguration(),
        keepalive: KeepaliveConfiguration = KeepaliveConfiguration(),
        reply: ReplyConfiguration = ReplyConfiguration(),
        conversations: ConversationConfiguration = ConversationConfiguration(),
        discord: DiscordEndpoints = DiscordEndpoints(),
        plugins: [PluginConfiguration] = [],
        readsBotFromEnvironment: Bool = true
    ) {
        self.era = era
        self.version = version
        self.minimumReaderVersion = minimumReaderVersion
        self.bots = bots
        self.proxy = proxy
        self.api = api
        self.openAI = openAI
        self.keepalive = keepalive
        self.reply = reply
        self.conversations = conversations
        self.discord = discord
        self.plugins = plugins
        self.readsBotFromEnvironment = readsBotFromEnvironment
    }

    /// Bots grouped by access key: every group is a pool the core balances new conversations over.
    /// (The seed loaded only the first bot of a repeated key; cozebridge pools them.)
    public var botPools: [String: [BotConfiguration]] {
        Dictionary(grouping: bots, by: \.accessKey)
    }

    /// Access keys in the order they first appear in the file.
    public var accessKeys: [String] {
        var seen = Set<String>()
        return bots.map(\.accessKey).filter { seen.insert($0).inserted }
    }

    /// The pool for `accessKey`, empty when no bot has that key.
    public func bots(forAccessKey accessKey: String) -> [BotConfiguration] {
        bots.filter { $0.accessKey == accessKey }
    }
}
