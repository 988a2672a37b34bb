import DiscordWire
import Foundation
import Yams

/// Reads a `Config.yml` (any seed era, plus cozebridge's additive keys) into a
/// ``BridgeConfiguration``.
///
/// Every refusal is a ``ConfigurationError`` naming the source, the key path and the line.
/// Unknown keys never refuse a file; they come back as ``LoadedConfiguration/warnings``.
public struct ConfigurationLoader: Sendable {
    /// Environment variables consulted for the seed's Docker bot (`token`, `discord_server`,
    /// `coze_bot`, `key`) unless the file says `Disable_ENV_Read: true`. Empty by default so that
    /// loading is deterministic; the host passes the process environment.
    public var environment: [String: String]

    public init(environment: [String: String] = [:]) {
        self.environment = environment
    }

    /// Loads the file at `path`; errors name `path` as their source.
    public func load(contentsOfFile path: String) throws(ConfigurationError) -> LoadedConfiguration {
        let fileLocation = ConfigurationLocation(source: path, keyPath: "")
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"
            throw ConfigurationError(.unreadableFile(detail: reason), at: fileLocation)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(.unreadableFile(detail: "not UTF-8 text"), at: fileLocation)
        }
        return try load(yaml: text, source: path)
    }

    /// Loads YAML text. `source` labels errors and warnings (a file name, or `<string>`).
    public func load(yaml: String, source: String = "<string>") throws(ConfigurationError) -> LoadedConfiguration {
        let root = try compose(yaml, source: source)
        var parse = ConfigurationParse(source: source, environment: environment)
        let configuration = try parse.configuration(from: root)
        let warnings = parse.warnings.sorted { ($0.location.line ?? .max) < ($1.location.line ?? .max) }
        return LoadedConfiguration(
            configuration: configuration, warnings: warnings, document: ConfigurationParse.jsonValue(root))
    }

    private func compose(_ yaml: String, source: String) throws(ConfigurationError) -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw Self.translate(error, yaml: yaml, source: source)
        } catch {
            throw ConfigurationError(.malformedYAML(problem: "\(error)"), at: ConfigurationLocation(source: source, keyPath: ""))
        }
        guard let node else {
            throw ConfigurationError(.notAMapping(found: "an empty document"), at: ConfigurationLocation(source: source, keyPath: ""))
        }
        guard case .mapping = node else {
            throw ConfigurationError(
                .notAMapping(found: YAMLMappingReader.describe(node)),
                at: YAMLMappingReader.location(of: node, keyPath: "", source: source))
        }
        return node
    }

    /// Keeps libyaml's own wording and position so the user sees the same line their editor shows.
    private static func translate(_ error: YamlError, yaml: String, source: String) -> ConfigurationError {
        func at(_ mark: Mark?) -> ConfigurationLocation {
            ConfigurationLocation(source: source, keyPath: "", line: mark?.line, column: mark?.column)
        }
        func at(_ position: (line: Int, column: Int)) -> ConfigurationLocation {
            ConfigurationLocation(source: source, keyPath: "", line: position.line, column: position.column)
        }
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return ConfigurationError(.malformedYAML(problem: withContext(problem, context)), at: at(mark))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "`\($0)`" }.joined(separator: ", ")
            // Yams points at the first occurrence; the repeat is the line the user needs to see.
            let repeated = duplicates.first.flatMap { repeatedKeyPosition(key: $0, after: context.mark, in: yaml) }
            return ConfigurationError(
                .malformedYAML(problem: "key \(keys) appears more than once in the same mapping "
                    + "(first at line \(context.mark.line))"),
                at: repeated.map(at) ?? at(context.mark))
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in yaml.utf8.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count + 1 }
            return ConfigurationError(
                .malformedYAML(problem: problem),
                at: ConfigurationLocation(source: source, keyPath: "", line: line))
        default:
            return ConfigurationError(.malformedYAML(problem: "\(error)"), at: at(nil))
        }
    }

    /// The next line after `first` that starts the same key at the same column, if any.
    private static func repeatedKeyPosition(key: String, after first: Mark, in yaml: String) -> (line: Int, column: Int)? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line < lines.count else { return nil }
        for index in first.line..<lines.count {
            let line = lines[index].unicodeScalars
            guard line.count >= first.column else { continue }
            let indent = line.prefix(first.column - 1)
            guard indent.allSatisfy({ $0 == " " || $0 == "-" }) else { continue }
            let rest = Substring(line.dropFirst(first.column - 1))
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate) {
                if rest.dropFirst(candidate.count).drop(while: { $0 == " " }).hasPrefix(":") {
                    return (index + 1, first.column)
                }
            }
        }
        return nil
    }
}

/// One pass over one document: the parsing state and the warnings collected on the way.
private struct ConfigurationParse {
    let source: String
    let environment: [String: String]
    var warnings: [ConfigurationWarning] = []

    init(source: String, environment: [String: String]) {
        self.source = source
        self.environment = environment
    }

    /// A bot plus where its parts were written, for duplicate detection.
    private struct ParsedBot {
        var bot: BotConfiguration
        var location: ConfigurationLocation
        var tokenLocations: [String: ConfigurationLocation]
    }

    /// Era A kept its one bot in these top-level keys.
    private static let eraABotKeys = [
        "Discord_Bot_Token", "APIKey", "CozeBot_InServer_id", "CozeBot_id", "Discord_CreateChannel_Category",
    ]

    mutating func configuration(from root: Node) throws(ConfigurationError) -> BridgeConfiguration {
        let top = try YAMLMappingReader(root, keyPath: "", source: source)

        let version = try top.integer("Version", in: 0...Int(Int32.max)) ?? 0
        let minimumReaderVersion = try top.integer("Version_minSupport", in: 0...Int(Int32.max)) ?? 0
        if minimumReaderVersion > BridgeConfiguration.supportedVersion {
            throw ConfigurationError(
                .unsupportedVersion(required: minimumReaderVersion, supported: BridgeConfiguration.supportedVersion),
                at: top.location(of: "Version_minSupport"))
        }

        let readsEnvironment = !(try top.bool("Disable_ENV_Read") ?? false)
        let (era, bots) = try self.bots(from: top)
        var parsedBots = bots
        if readsEnvironment, let environmentBot = try environmentBot() {
            parsedBots.append(environmentBot)
        }
        guard !parsedBots.isEmpty else {
            throw ConfigurationError(.noBots, at: top.has("Bots") ? top.location(of: "Bots") : top.location)
        }

        let configuration = BridgeConfiguration(
            era: era ?? .c,
            version: version,
            minimumReaderVersion: minimumReaderVersion,
            bots: try deduplicated(parsedBots),
            proxy: try proxy(from: top),
            api: try api(from: top),
            openAI: try openAI(from: top),
            keepalive: try keepalive(from: top),
            reply: try reply(from: top),
            conversations: try conversations(from: top),
            discord: try discordEndpoints(from: top),
            plugins: try plugins(from: top),
            readsBotFromEnvironment: readsEnvironment)
        warnings += top.unknownKeyWarnings()
        return configuration
    }

    // MARK: Bots

    /// Bots from `Bots:` (eras B/C) or the flat era-A keys. The era is `nil` when neither is there.
    private mutating func bots(from top: YAMLMappingReader) throws(ConfigurationError) -> (ConfigurationEra?, [ParsedBot]) {
        guard top.has("Bots") else {
            guard Self.eraABotKeys.contains(where: top.has) else { return (nil, []) }
            return (.a, [try eraABot(from: top)])
        }
        for key in Self.eraABotKeys where top.has(key) {
            top.acknowledge(key)
            warnings.append(ConfigurationWarning(
                .ignoredKey(key, because: "`Bots` is present, so the era-A single-bot keys do not apply"),
                at: top.keyLocation(of: key)))
        }
        guard let list = top.node("Bots"), !YAMLMappingReader.isNull(list) else { return (.b, []) }
        guard case .sequence(let entries) = list else {
            throw ConfigurationError(
                .wrongType(expected: "a list of bots (lines starting with `- `)", found: YAMLMappingReader.describe(list)),
                at: top.location(of: "Bots"))
        }
        var era = ConfigurationEra.b
        var parsed: [ParsedBot] = []
        for (index, entry) in entries.enumerated() {
            let reader = try YAMLMappingReader(entry, keyPath: "Bots[\(index)]", source: source)
            if reader.has("Protocol") || reader.has("Token") { era = .c }
            parsed.append(try listedBot(from: reader))
            warnings += reader.unknownKeyWarnings()
        }
        return (era, parsed)
    }

    private func listedBot(from entry: YAMLMappingReader) throws(ConfigurationError) -> ParsedBot {
        guard let rawKey = try entry.string("Key") else {
            throw ConfigurationError(.missingKey("Key"), at: entry.location)
        }
        let loginProtocol = try entry.nonBlankString("Protocol")?.lowercased() ?? "discord"
        guard loginProtocol == "discord" else {
            throw ConfigurationError(.unknownValue(value: loginProtocol, allowed: ["discord"]), at: entry.location(of: "Protocol"))
        }

        var tokenLocations: [String: ConfigurationLocation] = [:]
        let botToken = try entry.nonBlankString("Discord_Bot_Token").map(Self.withoutBotPrefix)
        if let botToken { tokenLocations[botToken] = entry.location(of: "Discord_Bot_Token") }

        // The seed's `Token` holds comma-separated user tokens; `User_Token` may be that or a list.
        var userTokens: [String] = []
        for key in ["Token", "User_Token"] {
            for item in try entry.stringList(key) ?? [] {
                for token in item.text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !token.isEmpty {
                    if !userTokens.contains(token) { userTokens.append(token) }
                    tokenLocations[token] = tokenLocations[token] ?? item.location
                }
            }
        }

        let senderMode = try self.senderMode(from: entry, botToken: botToken, userTokens: userTokens)
        return ParsedBot(
            bot: BotConfiguration(
                accessKey: rawKey.isEmpty ? BotConfiguration.openAccessKey : rawKey,
                loginProtocol: loginProtocol,
                botToken: botToken,
                userTokens: userTokens,
                senderMode: senderMode,
                channelCategoryID: try entry.snowflake("CreateChannel_Category"),
                serverID: try requiredSnowflake("Server_id", in: entry, meaning: "the Discord server (guild) ID"),
                cozeBotID: try requiredSnowflake("CozeBot_id", in: entry, meaning: "the Coze bot's Discord user ID")),
            location: entry.location,
            tokenLocations: tokenLocations)
    }

    private func senderMode(
        from entry: YAMLMappingReader, botToken: String?, userTokens: [String]
    ) throws(ConfigurationError) -> BotConfiguration.SenderMode {
        guard botToken != nil || !userTokens.isEmpty else {
            throw ConfigurationError(
                .missingToken(detail: "this bot has no token: set `Discord_Bot_Token` (sender mode bot) "
                    + "or `User_Token` (sender mode user)"),
                at: entry.location)
        }
        guard let written = try entry.nonBlankString("Sender_Mode") else {
            // Without a choice, do what the tokens given imply: user tokens mean era C's way.
            return userTokens.isEmpty ? .bot : .user
        }
        guard let mode = BotConfiguration.SenderMode(rawValue: written.lowercased()) else {
            throw ConfigurationError(
                .unknownValue(value: written, allowed: BotConfiguration.SenderMode.allCases.map(\.rawValue)),
                at: entry.location(of: "Sender_Mode"))
        }
        if mode == .bot && botToken == nil {
            throw ConfigurationError(
                .missingToken(detail: "`Sender_Mode: bot` needs `Discord_Bot_Token`"), at: entry.location(of: "Sender_Mode"))
        }
        if mode == .user && userTokens.isEmpty {
            throw ConfigurationError(
                .missingToken(detail: "`Sender_Mode: user` needs `User_Token`"), at: entry.location(of: "Sender_Mode"))
        }
        return mode
    }

    private func eraABot(from top: YAMLMappingReader) throws(ConfigurationError) -> ParsedBot {
        guard let token = try top.nonBlankString("Discord_Bot_Token").map(Self.withoutBotPrefix) else {
            throw ConfigurationError(
                .missingToken(detail: "`Discord_Bot_Token` is required (or move to a `Bots:` list)"),
                at: top.location(of: "Discord_Bot_Token"))
        }
        // Era A: an empty APIKey meant an open API, which is what the `default` key means now.
        let key = try top.nonBlankString("APIKey") ?? BotConfiguration.openAccessKey
        return ParsedBot(
            bot: BotConfiguration(
                accessKey: key,
                botToken: token,
                senderMode: .bot,
                channelCategoryID: try top.snowflake("Discord_CreateChannel_Category"),
                serverID: try requiredSnowflake("CozeBot_InServer_id", in: top, meaning: "the Discord server (guild) ID"),
                cozeBotID: try requiredSnowflake("CozeBot_id", in: top, meaning: "the Coze bot's Discord user ID")),
            location: top.location,
            tokenLocations: [token: top.location(of: "Discord_Bot_Token")])
    }

    /// The seed's Docker path. It ran era C (1.0.0223), so `token` holds user tokens.
    private func environmentBot() throws(ConfigurationError) -> ParsedBot? {
        guard let tokenText = environment["token"]?.trimmingCharacters(in: .whitespacesAndNewlines), !tokenText.isEmpty else { return nil }
        func location(_ name: String) -> ConfigurationLocation {
            ConfigurationLocation(source: "<environment>", keyPath: name)
        }
        func id(_ name: String) throws(ConfigurationError) -> Snowflake {
            let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !text.isEmpty else { throw ConfigurationError(.missingKey(name), at: location(name)) }
            guard let value = Snowflake(text) else {
                throw ConfigurationError(.wrongType(expected: "a Discord ID (plain digits)", found: "\"\(text)\""), at: location(name))
            }
            return value
        }
        let tokens = tokenText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        let key = environment["key"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return ParsedBot(
            bot: BotConfiguration(
                accessKey: key.isEmpty ? BotConfiguration.openAccessKey : key,
                botToken: nil,
                userTokens: tokens,
                senderMode: .user,
                channelCategoryID: nil,
                serverID: try id("discord_server"),
                cozeBotID: try id("coze_bot")),
            location: location("token"),
            tokenLocations: Dictionary(tokens.map { ($0, location("token")) }, uniquingKeysWith: { first, _ in first }))
    }

    private func requiredSnowflake(
        _ key: String, in entry: YAMLMappingReader, meaning: String
    ) throws(ConfigurationError) -> Snowflake {
        guard entry.has(key) else { throw ConfigurationError(.missingKey(key), at: entry.location) }
        guard let value = try entry.snowflake(key) else {
            throw ConfigurationError(.invalidValue(value: "", detail: "\(meaning) is required"), at: entry.location(of: key))
        }
        return value
    }

    /// Drops exact repeats (with a warning) and refuses a token shared in a way that cannot work.
    ///
    /// A token shared by two different entries is fine only as the listening bot of user-mode
    /// entries that agree on key, server, Coze bot and category. Anything else either points one
    /// identity at two setups or would count one account twice when a pool balances.
    private mutating func deduplicated(_ parsed: [ParsedBot]) throws(ConfigurationError) -> [BotConfiguration] {
        var kept: [ParsedBot] = []
        var owner: [String: Int] = [:]
        for candidate in parsed {
            if let twin = kept.first(where: { $0.bot == candidate.bot }) {
                warnings.append(ConfigurationWarning(.duplicateBot(of: twin.location), at: candidate.location))
                continue
            }
            let tokens = (candidate.bot.botToken.map { [$0] } ?? []) + candidate.bot.userTokens
            for token in tokens {
                guard let index = owner[token] else { continue }
                let other = kept[index]
                let here = candidate.tokenLocations[token] ?? candidate.location
                let differences = Self.settingDifferences(other.bot, candidate.bot)
                if !differences.isEmpty {
                    throw ConfigurationError(
                        .conflictingDuplicateToken(
                            otherEntry: other.location, detail: "a different \(differences.joined(separator: ", "))"),
                        at: here)
                }
                if other.bot.senderTokens.contains(token) && candidate.bot.senderTokens.contains(token) {
                    throw ConfigurationError(
                        .conflictingDuplicateToken(
                            otherEntry: other.location,
                            detail: "both entries send prompts with it, so one account would count twice in the pool; "
                                + "merge them or remove one"),
                        at: here)
                }
            }
            for token in tokens where owner[token] == nil { owner[token] = kept.count }
            kept.append(candidate)
        }
        return kept.map(\.bot)
    }

    private static func settingDifferences(_ first: BotConfiguration, _ second: BotConfiguration) -> [String] {
        var differences: [String] = []
        if first.accessKey != second.accessKey { differences.append("Key") }
        if first.serverID != second.serverID { differences.append("Server_id") }
        if first.cozeBotID != second.cozeBotID { differences.append("CozeBot_id") }
        if first.channelCategoryID != second.channelCategoryID { differences.append("CreateChannel_Category") }
        return differences
    }

    /// People paste the header value; the core adds the prefix itself.
    private static func withoutBotPrefix(_ token: String) -> String {
        token.hasPrefix("Bot ") ? token.dropFirst(4).trimmingCharacters(in: .whitespacesAndNewlines) : token
    }

    // MARK: Network

    private func proxy(from top: YAMLMappingReader) throws(ConfigurationError) -> ProxyConfiguration {
        let isEnabled = try top.bool("UsingProxy") ?? false
        let host = try top.nonBlankString("ProxyIP") ?? (top.has("ProxyIP") ? "" : "127.0.0.1")
        if isEnabled && host.isEmpty {
            throw ConfigurationError(.invalidValue(value: "", detail: "`UsingProxy` is true, so a proxy host is needed"),
                at: top.location(of: "ProxyIP"))
        }
        let port = try top.integer("ProxyPort", in: 1...65535) ?? 8080
        let type: ProxyConfiguration.ProxyType
        let writtenType = try top.nonBlankString("ProxyType")
        switch writtenType?.uppercased() {
        case nil, "HTTP": type = .http
        case "SOCKS", "SOCKS5": type = .socks5
        default:
            throw ConfigurationError(.unknownValue(value: writtenType ?? "", allowed: ["HTTP", "SOCKS", "SOCKS5"]), at: top.location(of: "ProxyType"))
        }
        return ProxyConfiguration(isEnabled: isEnabled, host: host, port: port, type: type)
    }

    private mutating func api(from top: YAMLMappingReader) throws(ConfigurationError) -> APIServerConfiguration {
        let httpPort = try top.integer("APIPort", in: 0...65535) ?? 8092
        // The seed's class default was 8093, but without a keystore that listener always failed,
        // so an absent key means off.
        let httpsPort = try top.integer("APISSLPort", in: 0...65535) ?? 0
        if httpsPort != 0 && httpsPort == httpPort {
            throw ConfigurationError(.invalidValue(value: "\(httpsPort)", detail: "`APIPort` already uses this port"),
                at: top.location(of: "APISSLPort"))
        }
        let certificatePath = try top.nonBlankString("APISSL_certificatePath")
        let privateKeyPath = try top.nonBlankString("APISSL_privateKeyPath")
        if (certificatePath == nil) != (privateKeyPath == nil) {
            let missing = certificatePath == nil ? "APISSL_certificatePath" : "APISSL_privateKeyPath"
            let present = certificatePath == nil ? "APISSL_privateKeyPath" : "APISSL_certificatePath"
            throw ConfigurationError(.missingKey(missing), at: top.location(of: present))
        }
        return APIServerConfiguration(
            httpPort: httpPort == 0 ? nil : httpPort,
            httpsPort: httpsPort == 0 ? nil : httpsPort,
            keyStorePath: try top.nonBlankString("APISSL_keyStorePath"),
            keyStorePassword: try top.string("APISSL_keyStorePassword").flatMap { $0.isEmpty ? nil : $0 },
            certificatePath: certificatePath,
            privateKeyPath: privateKeyPath,
            maxConcurrentRequests: try top.integer("APIMaxThread", in: 1...4096) ?? 10,
            ipWhitelist: try ipWhitelist(from: top))
    }

    private mutating func ipWhitelist(from top: YAMLMappingReader) throws(ConfigurationError) -> IPWhitelist {
        let isEnabled = try top.bool("API_IP_WhiteList") ?? false
        var entries: [IPWhitelistEntry] = []
        for item in try top.stringList("API_IP_WhiteList_IPs") ?? [] {
            do throws(IPWhitelistEntry.Problem) {
                if let entry = try IPWhitelistEntry(parsing: item.text) {
                    entries.append(entry)
                } else {
                    warnings.append(ConfigurationWarning(.unmatchableWhitelistEntry(item.text), at: item.location))
                }
            } catch {
                guard case .badPrefix(let maximum) = error else { continue }
                throw ConfigurationError(
                    .invalidValue(value: item.text, detail: "the prefix after `/` must be a number from 0 to \(maximum)"),
                    at: item.location)
            }
        }
        return IPWhitelist(isEnabled: isEnabled, entries: entries)
    }

    private func discordEndpoints(from top: YAMLMappingReader) throws(ConfigurationError) -> DiscordEndpoints {
        func url(_ key: String, schemes: [String]) throws(ConfigurationError) -> String? {
            guard let text = try top.nonBlankString(key) else { return nil }
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                schemes.contains(scheme), let host = components.host, !host.isEmpty
            else {
                throw ConfigurationError(
                    .invalidValue(value: text, detail: "expected an absolute \(schemes.joined(separator: "/")) URL"),
                    at: top.location(of: key))
            }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        return DiscordEndpoints(
            apiBaseURL: try url("Discord_API", schemes: ["https", "http"]) ?? DiscordEndpoints.discordAPI,
            gatewayURL: try url("Discord_Gateway", schemes: ["wss", "ws"]))
    }

    // MARK: Behaviour

    private func openAI(from top: YAMLMappingReader) throws(ConfigurationError) -> OpenAICompatibilityConfiguration {
        let defaults = OpenAICompatibilityConfiguration()
        let mappingNumber = try top.integer("OpenAPI_Chat_Default_Models2Conversation", in: 0...3) ?? 0
        return OpenAICompatibilityConfiguration(
            conversationMapping: .init(rawValue: mappingNumber) ?? .lastUserMessageToDefault,
            defaultConversation: try top.nonBlankString("OpenAPI_Chat_Default_Channel") ?? defaults.defaultConversation,
            historyPrefix: try top.string("OpenAPI_Chat_MsgForward_Prefix") ?? defaults.historyPrefix,
            historySuffix: try top.string("OpenAPI_Chat_MsgForward_Suffix") ?? defaults.historySuffix,
            imageConversation: try top.nonBlankString("OpenAPI_ImageGenerate_Default_Channel") ?? defaults.imageConversation,
            imagePromptPrefix: try top.string("OpenAI_ImageGenerate_Prompt_Prefix") ?? defaults.imagePromptPrefix,
            imagePromptSuffix: try top.string("OpenAI_ImageGenerate_Prompt_Suffix") ?? defaults.imagePromptSuffix)
    }

    private func keepalive(from top: YAMLMappingReader) throws(ConfigurationError) -> KeepaliveConfiguration {
        let minutesPerYear = 366 * 24 * 60
        let periodMinutes = try top.integer("Keepalive_timer", in: 0...minutesPerYear) ?? 0
        let maxSilenceMinutes = try top.integer("Keepalive_maxIntervalMinutes", in: 0...minutesPerYear) ?? 720
        for key in ["Keepalive_sendChannel", "Keepalive_sendMessage"] where top.has(key) {
            if try top.nonBlankString(key) == nil, try top.string(key) != nil {
                throw ConfigurationError(.invalidValue(value: "", detail: "must not be blank"), at: top.location(of: key))
            }
        }
        return KeepaliveConfiguration(
            period: periodMinutes == 0 ? nil : .seconds(periodMinutes * 60),
            maxSilence: .seconds(maxSilenceMinutes * 60),
            conversationName: try top.nonBlankString("Keepalive_sendChannel") ?? "keepalive",
            message: try top.nonBlankString("Keepalive_sendMessage") ?? "keepalive")
    }

    private func reply(from top: YAMLMappingReader) throws(ConfigurationError) -> ReplyConfiguration {
        let day = 24 * 3_600_000
        let idle = try top.integer("generate_timeout", in: 100...day) ?? 10_000
        let overall = try top.integer("generate_totalTimeout", in: 1_000...day) ?? max(300_000, idle)
        if overall < idle {
            throw ConfigurationError(
                .outOfRange(value: "\(overall)", allowed: "at least `generate_timeout` (\(idle) ms)"),
                at: top.location(of: "generate_totalTimeout"))
        }
        return ReplyConfiguration(
            idleTimeout: .milliseconds(idle),
            overallTimeout: .milliseconds(overall),
            skipsReplySourceCheck: try top.bool("Disable_CozeBot_ReplyMsgCheck") ?? false,
            refusesLongPrompts: try top.bool("Disable_2000Limit_Unlock") ?? false)
    }

    private func conversations(from top: YAMLMappingReader) throws(ConfigurationError) -> ConversationConfiguration {
        if top.has("Store_path"), try top.nonBlankString("Store_path") == nil {
            throw ConfigurationError(.invalidValue(value: "", detail: "a file path is required"), at: top.location(of: "Store_path"))
        }
        let strategy: ConversationConfiguration.ChannelCapStrategy
        if let written = try top.nonBlankString("ChannelCap_Strategy") {
            guard let parsed = ConversationConfiguration.ChannelCapStrategy(rawValue: written.lowercased()) else {
                throw ConfigurationError(
                    .unknownValue(value: written, allowed: ConversationConfiguration.ChannelCapStrategy.allCases.map(\.rawValue)),
                    at: top.location(of: "ChannelCap_Strategy"))
            }
            strategy = parsed
        } else {
            strategy = .evictLeastRecentlyUsed
        }
        return ConversationConfiguration(
            storePath: try top.nonBlankString("Store_path") ?? "cozebridge.sqlite",
            usesChannelIDsOnly: try top.bool("Disable_Name_Cache") ?? false,
            channelCapStrategy: strategy,
            maxChannelsPerGuild: try top.integer("ChannelCap_maxChannels", in: 1...500) ?? 450)
    }

    // MARK: Plugins

    private mutating func plugins(from top: YAMLMappingReader) throws(ConfigurationError) -> [PluginConfiguration] {
        guard let list = top.node("Plugins"), !YAMLMappingReader.isNull(list) else { return [] }
        guard case .sequence(let entries) = list else {
            throw ConfigurationError(
                .wrongType(expected: "a list of plugins", found: YAMLMappingReader.describe(list)), at: top.location(of: "Plugins"))
        }
        var plugins: [PluginConfiguration] = []
        var seen: [String: ConfigurationLocation] = [:]
        for (index, entry) in entries.enumerated() {
            let keyPath = "Plugins[\(index)]"
            let entryLocation = YAMLMappingReader.location(of: entry, keyPath: keyPath, source: source)
            let plugin: PluginConfiguration
            if case .scalar(let scalar) = entry, !YAMLMappingReader.isNull(entry) {
                plugin = Self.plugin(nameOrPath: scalar.string.trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
                let reader = try YAMLMappingReader(entry, keyPath: keyPath, source: source)
                let path = try reader.nonBlankString("Path")
                guard let name = try reader.nonBlankString("Name") ?? path.map({ Self.plugin(nameOrPath: $0).name }) else {
                    throw ConfigurationError(.missingKey("Name"), at: entryLocation)
                }
                var settings = JSONValue.object([:])
                if let settingsNode = reader.node("Settings"), !YAMLMappingReader.isNull(settingsNode) {
                    guard case .mapping = settingsNode else {
                        throw ConfigurationError(
                            .wrongType(expected: "a mapping of plugin settings", found: YAMLMappingReader.describe(settingsNode)),
                            at: reader.location(of: "Settings"))
                    }
                    settings = Self.jsonValue(settingsNode)
                }
                plugin = PluginConfiguration(
                    name: name, path: path, isEnabled: try reader.bool("Enabled") ?? true, settings: settings)
                warnings += reader.unknownKeyWarnings()
            }
            guard !plugin.name.isEmpty else {
                throw ConfigurationError(.invalidValue(value: "", detail: "a plugin name or path is required"), at: entryLocation)
            }
            if let other = seen[plugin.name] {
                throw ConfigurationError(.duplicatePluginName(plugin.name, otherEntry: other), at: entryLocation)
            }
            seen[plugin.name] = entryLocation
            plugins.append(plugin)
        }
        return plugins
    }

    /// A bare item is a name, or a path when it has a slash; a path's name is its file name without
    /// `lib` and the extension, which is how the host names a plugin it finds on disk.
    private static func plugin(nameOrPath text: String) -> PluginConfiguration {
        guard text.contains("/") else { return PluginConfiguration(name: text) }
        var name = Substring(text.split(separator: "/").last ?? "")
        if let dot = name.firstIndex(of: ".") { name = name[..<dot] }
        if name.hasPrefix("lib") && name.count > 3 { name = name.dropFirst(3) }
        return PluginConfiguration(name: String(name), path: text)
    }

    /// YAML → JSON for plugin settings, typing plain scalars the way YAML does, except that an
    /// integer too large for 64 bits stays text instead of being rounded through `Double`.
    static func jsonValue(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                members[key.scalar?.string ?? "\(key)"] = jsonValue(value)
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(sequence.map(jsonValue))
        case .alias:
            return .null
        case .scalar(let scalar):
            let text = scalar.string
            guard scalar.style == .plain else { return .string(text) }
            if YAMLMappingReader.isNull(node) { return .null }
            switch text {
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
            default: break
            }
            if YAMLMappingReader.isDecimalInteger(text) {
                return Int64(text).map(JSONValue.int) ?? .string(text)
            }
            if let value = node.int { return .int(Int64(value)) }
            if let value = Double(text), value.isFinite { return .double(value) }
            return .string(text)
        }
    }
}
