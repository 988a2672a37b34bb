import CozeBridgeHTTPRequests
import DiscordWire
import Logging

/// The http plugin's settings: its `Settings` mapping in Config.yml, with defaults taken from the
/// seed's top-level keys (`APIPort`, `APISSLPort`, `API_IP_WhiteList_IPs`, …). README.md lists
/// every key.
struct HTTPPluginSettings: Sendable {
    /// The address to listen on.
    var host = "127.0.0.1"
    /// The plain HTTP port; 0 turns HTTP off.
    var port = 8092
    /// The HTTPS port; 0 turns HTTPS off.
    var sslPort = 0
    /// PEM certificate chain and private key for HTTPS.
    var certificatePath: String?
    var privateKeyPath: String?
    /// The largest request body accepted (413 above).
    var maxBodyBytes = 16 * 1024 * 1024
    /// How many connections may wait to be accepted. Hummingbird's 256 overflowed when a thousand
    /// streams opened within a quarter second on a loaded machine: each connection whose SYN was
    /// dropped waited a second for it to be sent again. The kernel caps it at `net.core.somaxconn`.
    var backlog = 1024
    /// The model names `/v1/chat/completions` accepts and `/v1/models` lists.
    var models = ["coze"]
    /// Whether any model name is accepted (a `*` in `Models`).
    var acceptsAnyModel = false
    /// Callers allowed by address; nil lets everyone in.
    var allowList: IPAllowList?
    /// Whether to answer CORS preflights and add CORS headers.
    var cors = true
    /// The origins CORS allows (`*` for any).
    var corsOrigins = ["*"]
    /// What a carried-over history starts and ends with (the seed's `OpenAPI_Chat_MsgForward_*`).
    var contextPrefix = ""
    var contextSuffix = ""
    /// The conversation `/v1/images/generations` uses, and what image prompts are wrapped in.
    var imageConversation = "images"
    var imagePromptPrefix = "Draw an image: "
    var imagePromptSuffix = ""
    /// How long shutdown waits for in-flight requests before it cuts them.
    var shutdownGrace: Duration = .seconds(10)
    /// The plugin's log level.
    var logLevel: Logger.Level = .info
    /// The cl100k_base rank file for exact `usage` counts; nil looks next to the plugin.
    var tokenizerRanks: String?

    /// The seed's `OpenAPI_Chat_Default_Models2Conversation` modes named conversations after
    /// these model names; a config that still has that key gets them as accepted models.
    static let seedModelNames = [
        "gpt-3.5-turbo", "gpt-3.5-turbo-0301", "gpt-3.5-turbo-0613", "gpt-3.5-turbo-16k-0613", "gpt-4",
        "gpt-4-0314", "gpt-4-0613", "gpt-4-32k", "gpt-4-turbo-preview", "gpt-4-1106-preview",
        "gpt-4-0125-preview", "gpt-4-vision-preview", "gemini-pro",
    ]

    /// A setting that is present but unusable.
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `settings` (the plugin's `Settings` object) over the defaults from `topLevel` (the
    /// configuration's top-level keys).
    init(settings: JSONValue, topLevel: JSONValue) throws(Invalid) {
        let reader = Reader(settings: settings, topLevel: topLevel)
        host = try reader.string("Host") ?? host
        port = try reader.port("Port", seed: "APIPort") ?? port
        sslPort = try reader.port("SSLPort", seed: "APISSLPort") ?? sslPort
        certificatePath = try reader.string("CertificatePath", seed: "APISSL_certificatePath")
        privateKeyPath = try reader.string("PrivateKeyPath", seed: "APISSL_privateKeyPath")
        if sslPort != 0, certificatePath == nil || privateKeyPath == nil {
            throw Invalid(
                description: "HTTPS on port \(sslPort) needs CertificatePath and PrivateKeyPath (PEM files; "
                    + "or the top-level APISSL_certificatePath / APISSL_privateKeyPath).")
        }
        if port == 0, sslPort == 0 {
            throw Invalid(description: "Port and SSLPort are both 0: the plugin would serve nothing.")
        }
        if port != 0, port == sslPort { throw Invalid(description: "Port and SSLPort are both \(port).") }
        if let bytes = try reader.int("MaxBodyBytes") {
            guard bytes > 0 else { throw Invalid(description: "MaxBodyBytes must be positive, found \(bytes).") }
            maxBodyBytes = bytes
        }
        if let pending = try reader.int("Backlog") {
            guard (1...65535).contains(pending) else {
                throw Invalid(description: "Backlog must be 1-65535 (connections waiting to be accepted), found \(pending).")
            }
            backlog = pending
        }
        if let listed = try reader.strings("Models") {
            acceptsAnyModel = listed.contains("*")
            models = listed.filter { $0 != "*" }
            if models.isEmpty, !acceptsAnyModel { throw Invalid(description: "Models is empty.") }
            if models.isEmpty { models = ["coze"] }
        } else if topLevel["OpenAPI_Chat_Default_Models2Conversation"] != nil {
            models = ["coze"] + Self.seedModelNames
        }
        if let addresses = try reader.strings("IPWhiteList") {
            allowList = try IPAllowList(parsing: addresses)
        } else if topLevel["API_IP_WhiteList"]?.lenientBool == true {
            allowList = try IPAllowList(parsing: reader.strings("API_IP_WhiteList_IPs", from: topLevel) ?? [])
        }
        cors = try reader.bool("CORS") ?? cors
        corsOrigins = try reader.strings("CORSOrigins") ?? corsOrigins
        contextPrefix = try reader.string("ContextPrefix", seed: "OpenAPI_Chat_MsgForward_Prefix") ?? ""
        contextSuffix = try reader.string("ContextSuffix", seed: "OpenAPI_Chat_MsgForward_Suffix") ?? ""
        imageConversation =
            try reader.string("ImageConversation", seed: "OpenAPI_ImageGenerate_Default_Channel") ?? imageConversation
        imagePromptPrefix =
            try reader.string("ImagePromptPrefix", seed: "OpenAI_ImageGenerate_Prompt_Prefix") ?? imagePromptPrefix
        imagePromptSuffix =
            try reader.string("ImagePromptSuffix", seed: "OpenAI_ImageGenerate_Prompt_Suffix") ?? imagePromptSuffix
        tokenizerRanks = try reader.string("TokenizerRanks")
        if let seconds = try reader.int("ShutdownGraceSeconds") { shutdownGrace = .seconds(max(0, seconds)) }
        if let level = try reader.string("LogLevel") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw Invalid(description: "LogLevel: expected trace, debug, info, notice, warning, error or critical, found \"\(level)\".")
            }
            logLevel = parsed
        }
    }

    /// Typed access to the settings, falling back to a top-level key.
    private struct Reader {
        let settings: JSONValue
        let topLevel: JSONValue

        func value(_ key: String, seed: String?) -> (value: JSONValue, name: String)? {
            if let value = settings[key], !value.isNull { return (value, "Settings.\(key)") }
            if let seed, let value = topLevel[seed], !value.isNull { return (value, seed) }
            return nil
        }

        func string(_ key: String, seed: String? = nil) throws(Invalid) -> String? {
            guard let (value, name) = value(key, seed: seed) else { return nil }
            guard let text = value.lenientString else { throw Invalid(description: "\(name): expected text.") }
            return text
        }

        func int(_ key: String, seed: String? = nil) throws(Invalid) -> Int? {
            guard let (value, name) = value(key, seed: seed) else { return nil }
            guard let number = value.lenientInt else { throw Invalid(description: "\(name): expected a whole number.") }
            return number
        }

        func port(_ key: String, seed: String) throws(Invalid) -> Int? {
            guard let number = try int(key, seed: seed) else { return nil }
            guard (0...65535).contains(number) else {
                throw Invalid(description: "\(key): \(number) is not a port (0-65535).")
            }
            return number
        }

        func bool(_ key: String) throws(Invalid) -> Bool? {
            guard let (value, name) = value(key, seed: nil) else { return nil }
            guard let flag = value.lenientBool else { throw Invalid(description: "\(name): expected true or false.") }
            return flag
        }

        func strings(_ key: String, from object: JSONValue? = nil) throws(Invalid) -> [String]? {
            let found: (value: JSONValue, name: String)?
            if let object {
                found = object[key].map { ($0, key) }
            } else {
                found = value(key, seed: nil)
            }
            guard let (value, name) = found, !value.isNull else { return nil }
            if let single = value.lenientString { return [single] }
            guard let items = value.arrayValue else { throw Invalid(description: "\(name): expected a list.") }
            var result: [String] = []
            for item in items {
                guard let text = item.lenientString else { throw Invalid(description: "\(name): expected a list of text.") }
                result.append(text)
            }
            return result
        }
    }
}
