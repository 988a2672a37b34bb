import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// Loads one fixture per seed era (and one with every additive key) and checks every value.
@Suite("BridgeConfiguration fixtures")
struct BridgeConfigurationTests {
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "yml", subdirectory: "Fixtures"))
        return url.path
    }

    static func load(_ name: String, environment: [String: String] = [:]) throws -> LoadedConfiguration {
        try ConfigurationLoader(environment: environment).load(contentsOfFile: fixture(name))
    }

    @Test func eraCLoadsEveryKey() throws {
        let loaded = try Self.load("Config-eraC", environment: ["token": "ignored-because-Disable_ENV_Read"])
        #expect(loaded.warnings.isEmpty)
        let config = loaded.configuration
        #expect(config.era == .c)
        #expect(config.version == 0)
        #expect(config.minimumReaderVersion == 0)
        #expect(config.readsBotFromEnvironment == false)

        #expect(config.bots == [
            BotConfiguration(
                accessKey: "default", loginProtocol: "discord", botToken: nil,
                userTokens: ["user-token-alpha", "user-token-beta"], senderMode: .user,
                channelCategoryID: Snowflake(1_201_234_567_890_123_456),
                serverID: Snowflake(1_201_234_567_890_123_457),
                cozeBotID: Snowflake(1_201_234_567_890_123_458)),
            // `Key: ""` is the seed's spelling of the open `default` key.
            BotConfiguration(
                accessKey: "default", loginProtocol: "discord", botToken: nil,
                userTokens: ["user-token-gamma"], senderMode: .user,
                channelCategoryID: nil,
                serverID: Snowflake(1_201_234_567_890_123_459),
                cozeBotID: Snowflake(1_201_234_567_890_123_460)),
        ])
        #expect(config.botPools.count == 1)
        #expect(config.botPools["default"]?.count == 2)
        #expect(config.bots.allSatisfy { $0.isOpenAccess })

        #expect(config.proxy == ProxyConfiguration(isEnabled: true, host: "10.0.0.2", port: 1080, type: .socks5))
        #expect(config.api.httpPort == 8092)
        #expect(config.api.httpsPort == nil)
        #expect(config.api.keyStorePath == "keystore.jks")
        #expect(config.api.keyStorePassword == "123456")
        #expect(config.api.certificatePath == nil)
        #expect(config.api.privateKeyPath == nil)
        #expect(config.api.maxConcurrentRequests == 16)
        #expect(config.api.ipWhitelist.isEnabled)
        #expect(config.api.ipWhitelist.entries.map(\.description) == ["127.0.0.1", "0:0:0:0:0:0:0:1"])
        #expect(config.api.ipWhitelist.allows(try #require(IPAddress(parsing: "::1"))))
        #expect(!config.api.ipWhitelist.allows(try #require(IPAddress(parsing: "127.0.0.2"))))

        #expect(config.openAI == OpenAICompatibilityConfiguration(
            conversationMapping: .historyToDefault,
            defaultConversation: "openai-chat",
            historyPrefix: "下面是一段聊天记录,忽略除此之外的对话",
            historySuffix: "请根据上方聊天记录生成相应,不需要写解释,不需要添加前缀",
            imageConversation: "openai-images",
            imagePromptPrefix: "画图",
            imagePromptSuffix: " (4k)"))
        #expect(config.keepalive == KeepaliveConfiguration(
            period: .seconds(3600), maxSilence: .seconds(720 * 60), conversationName: "keepalive", message: "hello"))
        #expect(config.reply == ReplyConfiguration(
            idleTimeout: .milliseconds(10_000), overallTimeout: .milliseconds(300_000),
            skipsReplySourceCheck: false, refusesLongPrompts: false))
        #expect(config.conversations == ConversationConfiguration())
        #expect(config.discord == DiscordEndpoints(apiBaseURL: "https://discord.com/api/v10", gatewayURL: nil))
        #expect(config.plugins.isEmpty)
    }

    @Test func eraBLoadsEveryKeyAndPoolsSharedKeys() throws {
        let loaded = try Self.load("Config-eraB")
        #expect(loaded.warnings.isEmpty)
        let config = loaded.configuration
        #expect(config.era == .b)
        #expect(config.readsBotFromEnvironment)

        #expect(config.bots == [
            BotConfiguration(
                accessKey: "default", botToken: "bot-token-one", senderMode: .bot,
                channelCategoryID: Snowflake(1_187_000_000_000_000_001),
                serverID: Snowflake(1_187_000_000_000_000_002), cozeBotID: Snowflake(1_187_000_000_000_000_003)),
            // "Bot " pasted in front of the token is dropped.
            BotConfiguration(
                accessKey: "paid", botToken: "bot-token-two", senderMode: .bot, channelCategoryID: nil,
                serverID: Snowflake(1_187_000_000_000_000_004), cozeBotID: Snowflake(1_187_000_000_000_000_005)),
            BotConfiguration(
                accessKey: "paid", botToken: "bot-token-three", senderMode: .bot, channelCategoryID: nil,
                serverID: Snowflake(1_187_000_000_000_000_004), cozeBotID: Snowflake(1_187_000_000_000_000_005)),
        ])
        #expect(config.accessKeys == ["default", "paid"])
        #expect(config.botPools["paid"]?.map(\.botToken) == ["bot-token-two", "bot-token-three"])
        #expect(config.bots(forAccessKey: "default").count == 1)
        #expect(config.bots(forAccessKey: "nope").isEmpty)
        #expect(config.bots.map(\.senderTokens) == [["bot-token-one"], ["bot-token-two"], ["bot-token-three"]])

        #expect(config.proxy == ProxyConfiguration(isEnabled: false, host: "127.0.0.1", port: 8080, type: .http))
        #expect(config.api == APIServerConfiguration(
            httpPort: 8092, httpsPort: 8093, keyStorePath: "keystore.jks", keyStorePassword: "changeit",
            maxConcurrentRequests: 10,
            ipWhitelist: IPWhitelist(isEnabled: false, entries: [try #require(try IPWhitelistEntry(parsing: "127.0.0.1"))])))
        #expect(config.openAI == OpenAICompatibilityConfiguration(
            conversationMapping: .historyToModelConversation, defaultConversation: "default",
            historyPrefix: "Chat log follows.", historySuffix: "Answer the last message.",
            imageConversation: "default", imagePromptPrefix: "draw ", imagePromptSuffix: ""))
        #expect(config.keepalive == KeepaliveConfiguration(
            period: nil, maxSilence: .seconds(1440 * 60), conversationName: "keepalive", message: "keepalive"))
        #expect(config.reply == ReplyConfiguration(
            idleTimeout: .milliseconds(8000), overallTimeout: .milliseconds(300_000),
            skipsReplySourceCheck: true, refusesLongPrompts: true))
        #expect(config.conversations == ConversationConfiguration(usesChannelIDsOnly: true))
    }

    @Test func eraALoadsItsFlatSingleBot() throws {
        let loaded = try Self.load("Config-eraA")
        #expect(loaded.warnings.isEmpty)
        let config = loaded.configuration
        #expect(config.era == .a)
        #expect(config.bots == [
            BotConfiguration(
                accessKey: "sk-era-a", botToken: "era-a-bot-token", senderMode: .bot,
                channelCategoryID: Snowflake(1_200_000_000_000_000_011),
                serverID: Snowflake(1_200_000_000_000_000_012),
                cozeBotID: Snowflake(1_200_000_000_000_000_013)),
        ])
        #expect(config.proxy == ProxyConfiguration(isEnabled: true, host: "proxy.internal", port: 3128, type: .http))
        #expect(config.api == APIServerConfiguration(
            httpPort: 9000, httpsPort: 9443, keyStorePath: "/etc/bridge/keystore.jks", keyStorePassword: "secret"))
        #expect(config.openAI == OpenAICompatibilityConfiguration(
            conversationMapping: .lastUserMessageToDefault, defaultConversation: "default",
            historyPrefix: "Here is a chat log", historySuffix: "", imageConversation: "images"))
        // Era A had no keepalive: the defaults apply.
        #expect(config.keepalive == KeepaliveConfiguration())
        #expect(config.reply == ReplyConfiguration(idleTimeout: .milliseconds(5000)))
        #expect(config.conversations == ConversationConfiguration(usesChannelIDsOnly: true))
    }

    @Test func additiveKeysLoad() throws {
        let loaded = try Self.load("Config-cozebridge")
        #expect(loaded.warnings.isEmpty)
        let config = loaded.configuration
        #expect(config.era == .b)
        let server = Snowflake(1_300_000_000_000_000_002)
        let cozeBot = Snowflake(1_300_000_000_000_000_003)
        let category = Snowflake(1_300_000_000_000_000_001)
        #expect(config.bots == [
            BotConfiguration(
                accessKey: "sk-pool", botToken: "listener-bot-token", userTokens: ["user-token-one"],
                senderMode: .user, channelCategoryID: category, serverID: server, cozeBotID: cozeBot),
            BotConfiguration(
                accessKey: "sk-pool", botToken: "listener-bot-token", userTokens: ["user-token-two", "user-token-three"],
                senderMode: .user, channelCategoryID: category, serverID: server, cozeBotID: cozeBot),
            BotConfiguration(
                accessKey: "default", botToken: "solo-bot-token", senderMode: .bot, channelCategoryID: nil,
                serverID: Snowflake(1_300_000_000_000_000_004), cozeBotID: Snowflake(1_300_000_000_000_000_005)),
        ])
        #expect(config.botPools["sk-pool"]?.flatMap(\.senderTokens) == ["user-token-one", "user-token-two", "user-token-three"])
        #expect(config.proxy.type == .socks5)
        #expect(config.api.httpsPort == 8443)
        #expect(config.api.certificatePath == "tls/cert.pem")
        #expect(config.api.privateKeyPath == "tls/key.pem")
        #expect(config.api.maxConcurrentRequests == 32)
        #expect(config.api.ipWhitelist.entries.map(\.description) == ["127.0.0.1", "0:0:0:0:0:0:0:1", "10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8"])
        #expect(config.openAI.conversationMapping == .lastMessageToModelConversation)
        #expect(config.keepalive.period == .seconds(1800))
        #expect(config.keepalive.maxSilence == .seconds(360 * 60))
        #expect(config.reply.idleTimeout == .milliseconds(15_000))
        #expect(config.reply.overallTimeout == .milliseconds(240_000))
        #expect(config.conversations == ConversationConfiguration(
            storePath: "/var/lib/cozebridge/conversations.sqlite", usesChannelIDsOnly: false,
            channelCapStrategy: .threads, maxChannelsPerGuild: 400))
        #expect(config.discord == DiscordEndpoints(apiBaseURL: "http://127.0.0.1:4000/api/v10", gatewayURL: "ws://127.0.0.1:4000"))

        #expect(config.plugins.map(\.name) == ["openai", "irc", "matrix"])
        #expect(config.plugins[0] == PluginConfiguration(name: "openai"))
        #expect(config.plugins[2] == PluginConfiguration(name: "matrix", path: "plugins/libmatrix.so"))
        let irc = config.plugins[1]
        #expect(irc.path == "plugins/libirc.so")
        #expect(!irc.isEnabled)
        #expect(irc.settings == [
            "server": "irc.libera.chat",
            "port": 6697,
            "tls": true,
            "channels": ["#coze", "#coze-dev"],
            "owner_id": "123456789012345678901234",
            "ratio": 0.5,
            "nick": nil,
        ])
        let reparsed = try JSONValue.parse(irc.settingsJSON)
        #expect(reparsed == irc.settings)
    }
}
