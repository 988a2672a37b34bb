import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// Loading from strings: warnings, ID precision, spelling variants and the environment bot.
@Suite("ConfigurationLoader")
struct ConfigurationLoaderTests {
    static let minimal = """
        Bots:
          - Key: "default"
            Discord_Bot_Token: "token-a"
            Server_id: "1201234567890123457"
            CozeBot_id: "1201234567890123458"
        """

    @Test func minimalYAMLStringGetsSeedDefaults() throws {
        let loaded = try ConfigurationLoader().load(yaml: Self.minimal)
        #expect(loaded.warnings.isEmpty)
        let config = loaded.configuration
        #expect(config.era == .b)
        #expect(config.proxy == ProxyConfiguration())
        #expect(config.api == APIServerConfiguration())
        #expect(config.api.httpPort == 8092)
        #expect(config.openAI == OpenAICompatibilityConfiguration())
        #expect(config.keepalive == KeepaliveConfiguration())
        #expect(config.reply == ReplyConfiguration())
        #expect(config.conversations == ConversationConfiguration())
        #expect(config.discord == DiscordEndpoints())
        #expect(config.readsBotFromEnvironment)
    }

    @Test func unknownKeysAreWarningsWithTheirLines() throws {
        let loaded = try ConfigurationLoader().load(yaml: """
            Bots:
              - Key: "default"
                Discord_Bot_Token: "token-a"
                Server_id: 1
                CozeBot_id: 2
                Nickname: "bridge"
            apiport: 9000
            Slack_Bot_Token: "xoxb"
            Plugins:
              - Name: irc
                Colour: blue
            """, source: "Config.yml")
        #expect(loaded.warnings.map(\.line) == [6, 7, 8, 11])
        #expect(loaded.warnings.map(\.reason) == [
            .unknownKey("Nickname", suggestion: nil),
            .unknownKey("apiport", suggestion: "APIPort"),
            .unknownKey("Slack_Bot_Token", suggestion: nil),
            .unknownKey("Colour", suggestion: nil),
        ])
        #expect(loaded.warnings[0].location.keyPath == "Bots[0].Nickname")
        #expect(loaded.warnings[1].description == "Config.yml:7:1: apiport: warning: unknown key `apiport` ignored (did you mean `APIPort`?)")
        // The unknown key did not take effect.
        #expect(loaded.configuration.api.httpPort == 8092)
    }

    @Test func eraAKeysNextToBotsAreIgnoredWithAWarning() throws {
        let loaded = try ConfigurationLoader().load(yaml: "APIKey: old\n" + Self.minimal)
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings[0].line == 1)
        guard case .ignoredKey("APIKey", _) = loaded.warnings[0].reason else { Issue.record("\(loaded.warnings)"); return }
        #expect(loaded.configuration.bots.map(\.accessKey) == ["default"])
    }

    @Test func identicalBotEntryIsDroppedWithAWarning() throws {
        let entry = """
              - Key: "default"
                Discord_Bot_Token: "token-a"
                Server_id: 1
                CozeBot_id: 2
            """
        let loaded = try ConfigurationLoader().load(yaml: "Bots:\n" + entry + "\n" + entry + "\n")
        #expect(loaded.configuration.bots.count == 1)
        #expect(loaded.warnings.map(\.reason) == [.duplicateBot(of: ConfigurationLocation(source: "<string>", keyPath: "Bots[0]", line: 2, column: 5))])
        #expect(loaded.warnings[0].line == 6)
    }

    @Test func unmatchableWhitelistEntryIsAWarning() throws {
        let loaded = try ConfigurationLoader().load(yaml: Self.minimal + """

            API_IP_WhiteList: true
            API_IP_WhiteList_IPs:
              - localhost
              - 192.168.1.0/24
            """)
        #expect(loaded.warnings.map(\.reason) == [.unmatchableWhitelistEntry("localhost")])
        #expect(loaded.warnings.map(\.line) == [8])
        let whitelist = loaded.configuration.api.ipWhitelist
        #expect(whitelist.allows(try #require(IPAddress(parsing: "192.168.1.77"))))
        #expect(whitelist.allows(try #require(IPAddress(parsing: "::ffff:192.168.1.77"))))
        #expect(!whitelist.allows(try #require(IPAddress(parsing: "192.168.2.1"))))
    }

    @Test func snowflakesKeepEveryDigit() throws {
        // 2^63 + 1 and a value just above 2^53: a Double would round both.
        let loaded = try ConfigurationLoader().load(yaml: """
            Bots:
              - Key: "default"
                Discord_Bot_Token: "token-a"
                CreateChannel_Category: 9223372036854775809
                Server_id: 9007199254740993
                CozeBot_id: "18446744073709551615"
            """)
        let bot = try #require(loaded.configuration.bots.first)
        #expect(bot.channelCategoryID?.rawValue == 9_223_372_036_854_775_809)
        #expect(bot.serverID.rawValue == 9_007_199_254_740_993)
        #expect(bot.cozeBotID.rawValue == UInt64.max)
        #expect(bot.serverID.description == "9007199254740993")
    }

    @Test func spellingsAndShapesTheSeedAccepted() throws {
        let loaded = try ConfigurationLoader().load(yaml: """
            defaults: &bot
              Discord_Bot_Token: "token-a"
              Server_id: 1
              CozeBot_id: 2
            Bots:
              - <<: *bot
                Key: "default"
            UsingProxy: yes
            ProxyType: socks
            APIPort: "8100"
            Keepalive_timer: "5"
            Disable_Name_Cache: On
            API_IP_WhiteList_IPs: 127.0.0.1
            """)
        let config = loaded.configuration
        #expect(loaded.warnings.map(\.reason) == [.unknownKey("defaults", suggestion: nil)])
        #expect(config.bots.first?.botToken == "token-a")
        #expect(config.proxy.isEnabled)
        #expect(config.proxy.type == .socks5)
        #expect(config.api.httpPort == 8100)
        #expect(config.keepalive.period == .seconds(300))
        #expect(config.conversations.usesChannelIDsOnly)
        #expect(config.api.ipWhitelist.entries.count == 1)
    }

    @Test func environmentBotFollowsTheSeedDockerPath() throws {
        let environment = ["token": "env-user-1,env-user-2", "discord_server": "1201234567890123457", "coze_bot": "42", "key": ""]
        let fromEnvironmentOnly = try ConfigurationLoader(environment: environment).load(yaml: "APIPort: 8092\n")
        #expect(fromEnvironmentOnly.configuration.bots == [
            BotConfiguration(
                accessKey: "default", botToken: nil, userTokens: ["env-user-1", "env-user-2"], senderMode: .user,
                channelCategoryID: nil, serverID: Snowflake(1_201_234_567_890_123_457), cozeBotID: Snowflake(42)),
        ])
        let disabled = try ConfigurationLoader(environment: environment).load(yaml: Self.minimal + "\nDisable_ENV_Read: true\n")
        #expect(disabled.configuration.bots.count == 1)

        do {
            _ = try ConfigurationLoader(environment: ["token": "t"]).load(yaml: "APIPort: 1\n")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.reason == .missingKey("discord_server"))
            #expect(error.location.source == "<environment>")
        }
    }

    @Test func userModeWithoutListenerBotIsAllowed() throws {
        let loaded = try ConfigurationLoader().load(yaml: """
            Bots:
              - Key: "k"
                Sender_Mode: USER
                User_Token: "u1"
                Server_id: 1
                CozeBot_id: 2
              - Key: "k"
                Sender_Mode: user
                Discord_Bot_Token: "listener"
                User_Token: ["u2"]
                Server_id: 1
                CozeBot_id: 2
              - Key: "k"
                Discord_Bot_Token: "listener"
                User_Token: "u3"
                Server_id: 1
                CozeBot_id: 2
            """)
        #expect(loaded.configuration.bots.map(\.senderMode) == [.user, .user, .user])
        #expect(loaded.configuration.botPools["k"]?.flatMap(\.senderTokens) == ["u1", "u2", "u3"])
    }
}

/// The full example in docs/configuration.md must stay loadable, or the docs lie.
@Suite("Configuration documentation")
struct ConfigurationDocumentationTests {
    @Test func fullExampleLoadsWithoutWarnings() throws {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/configuration.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try #require(text.range(of: "## Full example"))
        let fenceOpen = try #require(text.range(of: "```yaml\n", range: start.upperBound..<text.endIndex))
        let fenceClose = try #require(text.range(of: "\n```", range: fenceOpen.upperBound..<text.endIndex))
        let yaml = String(text[fenceOpen.upperBound..<fenceClose.lowerBound])

        let loaded = try ConfigurationLoader().load(yaml: yaml, source: "docs/configuration.md")
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.configuration.botPools.keys.sorted() == ["default", "sk-team"])
        #expect(loaded.configuration.plugins.map(\.name) == ["openai", "irc"])
    }
}

@Suite("Configuration redaction")
struct ConfigurationRedactionTests {
    @Test func botDescriptionsHideTokens() throws {
        let bot = BotConfiguration(
            accessKey: "k", botToken: "secret-bot", userTokens: ["secret-user"], senderMode: .user,
            channelCategoryID: nil, serverID: Snowflake(1), cozeBotID: Snowflake(2))
        var dumped = ""
        dump(bot, to: &dumped)
        for text in [String(describing: bot), String(reflecting: bot), dumped] {
            #expect(!text.contains("secret"))
        }
        #expect(String(describing: bot).contains("server: 1"))
    }
}
