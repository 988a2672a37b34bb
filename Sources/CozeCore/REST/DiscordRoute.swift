import DiscordWire

/// One Discord REST v10 endpoint with its parameters filled in.
///
/// A route knows the three things the rate limiter keys on (discord-wire.md §3.3):
/// the *route key* (method + path template, plus optional metadata for known sub-limits), and the
/// *major parameter* — the first `channels/<id>`, `guilds/<id>` or `webhooks/<id>[/<token>]` of the
/// path — which Discord folds into every per-route bucket.
public struct DiscordRoute: Sendable, Hashable, CustomStringConvertible {
    /// HTTP methods Discord's REST API uses.
    public enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"

        /// Whether repeating the request cannot have a different effect than sending it once.
        /// Only these are retried after a transport error that may have reached Discord.
        public var isIdempotent: Bool { self != .post && self != .patch }
    }

    /// One `name=value` pair of the query string (values are percent-encoded when sent).
    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The HTTP method.
    public let method: Method
    /// The path template, e.g. `/channels/{channel_id}/messages/{message_id}`.
    public let template: String
    /// The concrete path, e.g. `/channels/123/messages/456` (without the API base or query).
    public let path: String
    /// Query parameters, in order.
    public let query: [QueryItem]
    /// `channels/<id>`, `guilds/<id>`, `webhooks/<id>[/<token>]` or `""`.
    public let majorParameter: String
    /// Distinguishes sub-limits that share a template (e.g. deleting a very young message).
    public let metadata: String?

    /// Builds a route from a template whose `{name}` placeholders are replaced by `parameters`.
    ///
    /// Parameter values are percent-encoded as a path segment; snowflakes never need it, but a
    /// webhook token or an emoji could.
    public init(
        _ method: Method, _ template: String, parameters: [String: String] = [:], query: [QueryItem] = [],
        metadata: String? = nil
    ) {
        self.method = method
        self.template = template
        self.query = query
        self.metadata = metadata
        var path = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            path += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            path += DiscordRoute.percentEncode(parameters[name] ?? "", allowing: DiscordRoute.segmentCharacters)
            rest = rest[rest.index(after: close)...]
        }
        path += rest
        self.path = path
        self.majorParameter = DiscordRoute.majorParameter(of: path)
    }

    /// `METHOD template[:metadata]`: the rate limiter's name for this endpoint until Discord tells
    /// it the bucket hash.
    public var routeKey: String {
        let key = "\(method.rawValue) \(template)"
        return metadata.map { "\(key):\($0)" } ?? key
    }

    /// Interaction callbacks and webhook-token routes do not count against the per-token global
    /// limit (topics/rate-limits.mdx), so the limiter lets them bypass it.
    public var isExemptFromGlobalLimit: Bool {
        template.hasPrefix("/interactions/") || template.hasPrefix("/webhooks/{webhook_id}/{webhook_token}")
    }

    /// The path plus the encoded query string, ready to append to the API base URL.
    public var pathAndQuery: String {
        guard !query.isEmpty else { return path }
        let items = query.map {
            DiscordRoute.percentEncode($0.name, allowing: DiscordRoute.queryCharacters) + "="
                + DiscordRoute.percentEncode($0.value, allowing: DiscordRoute.queryCharacters)
        }
        return path + "?" + items.joined(separator: "&")
    }

    /// `POST /channels/{channel_id}/messages (channels/123)`.
    public var description: String {
        majorParameter.isEmpty ? routeKey : "\(routeKey) (\(majorParameter))"
    }

    // MARK: - Major parameter

    /// The first top-level resource of `path` that Discord keys rate limits on.
    static func majorParameter(of path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for index in segments.indices where index + 1 < segments.count {
            switch segments[index] {
            case "channels", "guilds":
                return "\(segments[index])/\(segments[index + 1])"
            case "webhooks":
                var major = "webhooks/\(segments[index + 1])"
                if index + 2 < segments.count { major += "/\(segments[index + 2])" }
                return major
            default:
                continue
            }
        }
        return ""
    }

    // MARK: - Percent-encoding

    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))
    private static let segmentCharacters: Set<UInt8> = unreserved.union(Array("@!$&'()*+,;=:".utf8))
    private static let queryCharacters: Set<UInt8> = unreserved

    static func percentEncode(_ text: String, allowing allowed: Set<UInt8>) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if allowed.contains(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

// MARK: - The endpoints the bridge uses

extension DiscordRoute {
    /// `GET /users/@me`: the identity behind the token.
    public static func getCurrentUser() -> DiscordRoute {
        DiscordRoute(.get, "/users/@me")
    }

    /// `GET /gateway/bot`: gateway URL, shard count and session start limit (bot tokens only).
    public static func getGatewayBot() -> DiscordRoute {
        DiscordRoute(.get, "/gateway/bot")
    }

    /// `GET /gateway`: the gateway URL (works for any token, including user tokens).
    public static func getGateway() -> DiscordRoute {
        DiscordRoute(.get, "/gateway")
    }

    /// `GET /guilds/{guild_id}/channels`: every channel of the guild (threads excluded).
    public static func listGuildChannels(guildID: Snowflake) -> DiscordRoute {
        DiscordRoute(.get, "/guilds/{guild_id}/channels", parameters: ["guild_id": guildID.description])
    }

    /// `GET /guilds/{guild_id}/threads/active`: `{threads, members}`, the guild's active threads.
    public static func listActiveGuildThreads(guildID: Snowflake) -> DiscordRoute {
        DiscordRoute(.get, "/guilds/{guild_id}/threads/active", parameters: ["guild_id": guildID.description])
    }

    /// `POST /guilds/{guild_id}/channels`: body `{name, type, parent_id?, topic?, …}`.
    public static func createGuildChannel(guildID: Snowflake) -> DiscordRoute {
        DiscordRoute(.post, "/guilds/{guild_id}/channels", parameters: ["guild_id": guildID.description])
    }

    /// `GET /channels/{channel_id}`.
    public static func getChannel(_ channelID: Snowflake) -> DiscordRoute {
        DiscordRoute(.get, "/channels/{channel_id}", parameters: ["channel_id": channelID.description])
    }

    /// `PATCH /channels/{channel_id}`: body with the fields to change (e.g. `name`).
    public static func modifyChannel(_ channelID: Snowflake) -> DiscordRoute {
        DiscordRoute(.patch, "/channels/{channel_id}", parameters: ["channel_id": channelID.description])
    }

    /// `DELETE /channels/{channel_id}`: answers with the deleted channel.
    public static func deleteChannel(_ channelID: Snowflake) -> DiscordRoute {
        DiscordRoute(.delete, "/channels/{channel_id}", parameters: ["channel_id": channelID.description])
    }

    /// `POST /channels/{channel_id}/messages`: JSON, or multipart with `payload_json` and `files[n]`.
    public static func createMessage(channelID: Snowflake) -> DiscordRoute {
        DiscordRoute(.post, "/channels/{channel_id}/messages", parameters: ["channel_id": channelID.description])
    }

    /// `GET /channels/{channel_id}/messages/{message_id}`.
    public static func getMessage(channelID: Snowflake, messageID: Snowflake) -> DiscordRoute {
        DiscordRoute(
            .get, "/channels/{channel_id}/messages/{message_id}",
            parameters: ["channel_id": channelID.description, "message_id": messageID.description])
    }

    /// `GET /channels/{channel_id}/messages?limit=&before=|after=|around=`: newest first.
    public static func listMessages(
        channelID: Snowflake, limit: Int? = nil, before: Snowflake? = nil, after: Snowflake? = nil,
        around: Snowflake? = nil
    ) -> DiscordRoute {
        var query: [QueryItem] = []
        if let limit { query.append(QueryItem(name: "limit", value: String(limit))) }
        if let before { query.append(QueryItem(name: "before", value: before.description)) }
        if let after { query.append(QueryItem(name: "after", value: after.description)) }
        if let around { query.append(QueryItem(name: "around", value: around.description)) }
        return DiscordRoute(
            .get, "/channels/{channel_id}/messages", parameters: ["channel_id": channelID.description], query: query)
    }

    /// `PATCH /channels/{channel_id}/messages/{message_id}`: JSON or multipart.
    public static func editMessage(channelID: Snowflake, messageID: Snowflake) -> DiscordRoute {
        DiscordRoute(
            .patch, "/channels/{channel_id}/messages/{message_id}",
            parameters: ["channel_id": channelID.description, "message_id": messageID.description])
    }

    /// `DELETE /channels/{channel_id}/messages/{message_id}`.
    ///
    /// Discord limits deleting messages younger than 10 s (and older than 14 days) separately from
    /// other deletes; the age goes into the route key so those don't share one queue and keep
    /// re-learning each other's bucket.
    public static func deleteMessage(
        channelID: Snowflake, messageID: Snowflake, now unixMilliseconds: UInt64 = WallClock.unixMilliseconds()
    ) -> DiscordRoute {
        let age = unixMilliseconds &- messageID.unixMilliseconds
        let metadata: String?
        if messageID.unixMilliseconds > unixMilliseconds || age < 10_000 {
            metadata = "young"
        } else if age > 14 * 24 * 3_600_000 {
            metadata = "old"
        } else {
            metadata = nil
        }
        return DiscordRoute(
            .delete, "/channels/{channel_id}/messages/{message_id}",
            parameters: ["channel_id": channelID.description, "message_id": messageID.description], metadata: metadata)
    }

    /// `POST /channels/{channel_id}/threads`: a thread without a starter message.
    public static func createThread(channelID: Snowflake) -> DiscordRoute {
        DiscordRoute(.post, "/channels/{channel_id}/threads", parameters: ["channel_id": channelID.description])
    }

    /// `POST /channels/{channel_id}/messages/{message_id}/threads`: a thread started from a message
    /// (the thread id equals the message id).
    public static func createThread(channelID: Snowflake, fromMessage messageID: Snowflake) -> DiscordRoute {
        DiscordRoute(
            .post, "/channels/{channel_id}/messages/{message_id}/threads",
            parameters: ["channel_id": channelID.description, "message_id": messageID.description])
    }

    /// `POST /channels/{channel_id}/typing`: shows the typing indicator for about 10 s.
    public static func triggerTyping(channelID: Snowflake) -> DiscordRoute {
        DiscordRoute(.post, "/channels/{channel_id}/typing", parameters: ["channel_id": channelID.description])
    }
}
