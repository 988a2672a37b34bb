import Foundation
import Testing

@testable import CozeCore

/// A broken `Config.yml` is refused, naming the key path and the exact line (and column).
@Suite("Configuration errors")
struct ConfigurationErrorTests {
    /// A valid bot entry, so each case below breaks exactly one thing.
    static let goodBot = """
        Bots:
          - Key: "default"
            Discord_Bot_Token: "token-a"
            Server_id: "1201234567890123457"
            CozeBot_id: "1201234567890123458"
        """

    func refusal(_ yaml: String, source: String = "Config.yml") -> ConfigurationError? {
        do {
            _ = try ConfigurationLoader().load(yaml: yaml, source: source)
            return nil
        } catch {
            return error
        }
    }

    @Test func malformedYAMLKeepsYamsLine() throws {
        let error = try #require(refusal("""
            APIPort: 8092
            Bots:
              - Key: "default"
                Server_id: "1
            APISSLPort: 0
            """))
        guard case .malformedYAML = error.reason else { Issue.record("\(error)"); return }
        // The quote opened on line 4 never closes; libyaml notices at the end of the text (the
        // last line, 5) and its context, the quote on line 4 column 16, stays in the message.
        #expect(error.line == 5)
        #expect(error.description.hasPrefix("Config.yml:5:"))
        #expect(error.description.contains("at line 4, column 16"))
    }

    @Test func badIndentationIsMalformed() throws {
        let error = try #require(refusal("""
            APIPort: 8092
              APISSLPort: 0
            """))
        guard case .malformedYAML = error.reason else { Issue.record("\(error)"); return }
        #expect(error.line == 2)
    }

    @Test func duplicateYAMLKeyIsMalformed() throws {
        let error = try #require(refusal(Self.goodBot + "\nAPIPort: 1\nAPIPort: 2\n"))
        guard case .malformedYAML(let problem) = error.reason else { Issue.record("\(error)"); return }
        #expect(problem.contains("`APIPort`"))
        #expect(problem.contains("first at line 6"))
        #expect(error.line == 7)
    }

    @Test func duplicateKeyInsideABotPointsAtTheRepeat() throws {
        let error = try #require(refusal(Self.goodBot + "\n    Server_id: \"1\"\n"))
        guard case .malformedYAML(let problem) = error.reason else { Issue.record("\(error)"); return }
        #expect(problem.contains("first at line 4"))
        #expect(error.line == 6)
        #expect(error.column == 5)
    }

    @Test func wrongTypeNamesKeyLineAndColumn() throws {
        let error = try #require(refusal(Self.goodBot + "\nAPIPort: abc\n"))
        #expect(error.reason == .wrongType(expected: "a whole number", found: "\"abc\""))
        #expect(error.keyPath == "APIPort")
        #expect(error.line == 6)
        #expect(error.column == 10)
        #expect(error.description == "Config.yml:6:10: APIPort: expected a whole number, found \"abc\"")
    }

    @Test func outOfRangePort() throws {
        let error = try #require(refusal("ProxyPort: 70000\n" + Self.goodBot))
        #expect(error.reason == .outOfRange(value: "70000", allowed: "1…65535"))
        #expect(error.keyPath == "ProxyPort")
        #expect(error.line == 1)
        let negative = try #require(refusal(Self.goodBot + "\nAPISSLPort: -1\n"))
        #expect(negative.reason == .outOfRange(value: "-1", allowed: "0…65535"))
        #expect(negative.line == 6)
        let huge = try #require(refusal(Self.goodBot + "\nAPIPort: 123456789012345678901234\n"))
        #expect(huge.reason == .outOfRange(value: "123456789012345678901234", allowed: "0…65535"))
    }

    @Test func unknownProxyType() throws {
        let error = try #require(refusal(Self.goodBot + "\nUsingProxy: true\nProxyType: SOCKS4\n"))
        #expect(error.reason == .unknownValue(value: "SOCKS4", allowed: ["HTTP", "SOCKS", "SOCKS5"]))
        #expect(error.keyPath == "ProxyType")
        #expect(error.line == 7)
    }

    @Test func missingServerIDPointsAtTheBotEntry() throws {
        let error = try #require(refusal("""
            Bots:
              - Key: "default"
                Discord_Bot_Token: "token-a"
                Server_id: 1201234567890123457
                CozeBot_id: 1201234567890123458
              - Key: "second"
                Discord_Bot_Token: "token-b"
                CozeBot_id: 1201234567890123458
            """))
        #expect(error.reason == .missingKey("Server_id"))
        #expect(error.keyPath == "Bots[1]")
        #expect(error.line == 6)
        #expect(error.description.contains("Bots[1]: missing required key `Server_id`"))
    }

    @Test func nonNumericIDNamesTheFullPath() throws {
        let error = try #require(refusal("""
            Bots:
              - Key: "default"
                Discord_Bot_Token: "token-a"
                Server_id: 1201234567890123457
                CozeBot_id: 1201234567890123458
              - Key: "second"
                Discord_Bot_Token: "token-b"
                Server_id: my-server
                CozeBot_id: 1201234567890123458
            """))
        #expect(error.keyPath == "Bots[1].Server_id")
        #expect(error.line == 8)
        #expect(error.column == 16)
        // A float-looking ID was rounded somewhere; the message says so.
        let rounded = try #require(refusal(Self.goodBot.replacingOccurrences(of: "\"1201234567890123457\"", with: "1.2012345678901235e18")))
        #expect(rounded.keyPath == "Bots[0].Server_id")
        #expect(rounded.description.contains("rounded"))
    }

    @Test func botWithoutKeyOrToken() throws {
        let noKey = try #require(refusal("""
            Bots:
              - Discord_Bot_Token: "token-a"
                Server_id: 1
                CozeBot_id: 2
            """))
        #expect(noKey.reason == .missingKey("Key"))
        #expect(noKey.keyPath == "Bots[0]")
        #expect(noKey.line == 2)

        let noToken = try #require(refusal("""
            APIPort: 8092
            Bots:
              - Key: "default"
                Server_id: 1
                CozeBot_id: 2
            """))
        guard case .missingToken = noToken.reason else { Issue.record("\(noToken)"); return }
        #expect(noToken.keyPath == "Bots[0]")
        #expect(noToken.line == 3)
    }

    @Test func unknownSenderModeAndModeWithoutItsToken() throws {
        let unknown = try #require(refusal(Self.goodBot + "\n    Sender_Mode: robot\n"))
        #expect(unknown.reason == .unknownValue(value: "robot", allowed: ["bot", "user"]))
        #expect(unknown.keyPath == "Bots[0].Sender_Mode")
        #expect(unknown.line == 6)

        let userWithoutUserToken = try #require(refusal(Self.goodBot + "\n    Sender_Mode: user\n"))
        #expect(userWithoutUserToken.reason == .missingToken(detail: "`Sender_Mode: user` needs `User_Token`"))
        #expect(userWithoutUserToken.line == 6)
    }

    @Test func duplicateTokenWithConflictingSettings() throws {
        let error = try #require(refusal("""
            Bots:
              - Key: "default"
                Discord_Bot_Token: "same-token"
                Server_id: 1201234567890123457
                CozeBot_id: 1201234567890123458
              - Key: "default"
                Discord_Bot_Token: "same-token"
                Server_id: 1201234567890123999
                CozeBot_id: 1201234567890123458
            """))
        guard case .conflictingDuplicateToken(let other, let detail) = error.reason else {
            Issue.record("\(error)")
            return
        }
        #expect(detail == "a different Server_id")
        #expect(other.keyPath == "Bots[0]")
        #expect(other.line == 2)
        #expect(error.keyPath == "Bots[1].Discord_Bot_Token")
        #expect(error.line == 7)
        #expect(error.description.contains("also used by Bots[0] (line 2) with a different Server_id"))
    }

    @Test func oneUserAccountSendingForTwoEntriesIsRefused() throws {
        let error = try #require(refusal("""
            Bots:
              - Key: "k"
                User_Token: "shared-user, other-user"
                Server_id: 1
                CozeBot_id: 2
              - Key: "k"
                User_Token: "shared-user"
                Server_id: 1
                CozeBot_id: 2
            """))
        guard case .conflictingDuplicateToken(_, let detail) = error.reason else { Issue.record("\(error)"); return }
        #expect(detail.contains("count twice"))
        #expect(error.line == 7)
    }

    @Test func missingBotsAndEmptyDocument() throws {
        let noBots = try #require(refusal("APIPort: 8092\n"))
        #expect(noBots.reason == .noBots)
        #expect(noBots.line == 1)
        let emptyList = try #require(refusal("APIPort: 8092\nBots: []\n"))
        #expect(emptyList.reason == .noBots)
        #expect(emptyList.line == 2)
        let empty = try #require(refusal(""))
        #expect(empty.reason == .notAMapping(found: "an empty document"))
        let list = try #require(refusal("- a\n- b\n"))
        #expect(list.reason == .notAMapping(found: "a list"))
        #expect(list.line == 1)
    }

    @Test func moreRefusals() throws {
        let notAList = try #require(refusal("Bots: \"default\"\n"))
        #expect(notAList.keyPath == "Bots")
        #expect(notAList.line == 1)

        let badBool = try #require(refusal(Self.goodBot + "\nUsingProxy: maybe\n"))
        #expect(badBool.reason == .wrongType(expected: "true or false", found: "\"maybe\""))
        #expect(badBool.line == 6)

        let badMapping = try #require(refusal(Self.goodBot + "\nOpenAPI_Chat_Default_Models2Conversation: 4\n"))
        #expect(badMapping.reason == .outOfRange(value: "4", allowed: "0…3"))

        let badURL = try #require(refusal(Self.goodBot + "\nDiscord_Gateway: http://127.0.0.1:1/\n"))
        #expect(badURL.keyPath == "Discord_Gateway")
        #expect(badURL.line == 6)

        let badCIDR = try #require(refusal(Self.goodBot + "\nAPI_IP_WhiteList_IPs:\n  - 127.0.0.1\n  - 10.0.0.0/33\n"))
        #expect(badCIDR.keyPath == "API_IP_WhiteList_IPs[1]")
        #expect(badCIDR.line == 8)

        let badProtocol = try #require(refusal(Self.goodBot + "\n    Protocol: slack\n"))
        #expect(badProtocol.reason == .unknownValue(value: "slack", allowed: ["discord"]))
        #expect(badProtocol.keyPath == "Bots[0].Protocol")

        let timeouts = try #require(refusal(Self.goodBot + "\ngenerate_timeout: 20000\ngenerate_totalTimeout: 10000\n"))
        #expect(timeouts.keyPath == "generate_totalTimeout")
        #expect(timeouts.line == 7)

        let strategy = try #require(refusal(Self.goodBot + "\nChannelCap_Strategy: archive\n"))
        #expect(strategy.reason == .unknownValue(value: "archive", allowed: ["evict", "threads"]))

        let tooNew = try #require(refusal("Version_minSupport: 3\n" + Self.goodBot))
        #expect(tooNew.reason == .unsupportedVersion(required: 3, supported: 0))
        #expect(tooNew.line == 1)

        let plugins = try #require(refusal(Self.goodBot + "\nPlugins:\n  - irc\n  - Name: irc\n"))
        guard case .duplicatePluginName("irc", let other) = plugins.reason else { Issue.record("\(plugins)"); return }
        #expect(other.line == 7)
        #expect(plugins.keyPath == "Plugins[1]")
        #expect(plugins.line == 8)

        let halfTLS = try #require(refusal(Self.goodBot + "\nAPISSL_certificatePath: cert.pem\n"))
        #expect(halfTLS.reason == .missingKey("APISSL_privateKeyPath"))
        #expect(halfTLS.line == 6)
    }

    @Test func unreadableFile() throws {
        let path = "/nonexistent/cozebridge/Config.yml"
        do {
            _ = try ConfigurationLoader().load(contentsOfFile: path)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.reason == .unreadableFile(detail: "no such file"))
            #expect(error.description.hasPrefix(path))
        }
    }

    @Test func fileErrorsNameTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cozebridge-config-\(UUID()).yml").path
        try (Self.goodBot + "\nAPIPort: abc\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try ConfigurationLoader().load(contentsOfFile: path)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.description.hasPrefix("\(path):6:10: APIPort:"))
        }
    }
}
