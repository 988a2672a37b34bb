import DiscordWire

/// Why a Discord REST request failed, after every retry the client was willing to make.
///
/// 4xx answers carry Discord's error JSON (`code`, `message`, `errors`); `errors` is flattened into
/// ``fieldErrors`` so that `description` reads like
/// `HTTP 400 (code 50035) on POST /channels/{channel_id}/messages: Invalid Form Body; content: Must be 2000 or fewer in length.`
public struct DiscordHTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, coarsely: enough to decide what to do next.
    public enum Kind: String, Sendable, Hashable {
        /// A 4xx other than 429: the request is wrong (or forbidden) and was not retried.
        case clientError
        /// A 5xx, still failing after the configured retries.
        case serverError
        /// Discord kept answering 429 past the configured number of attempts.
        case rateLimited
        /// A 429 that did not come from Discord's API (no JSON body or no `Via` header): a
        /// Cloudflare or proxy block. Never retried, since hammering it extends the ban.
        case blockedByProxy
        /// No HTTP answer: connection refused, reset, TLS or proxy failure.
        case transport
        /// No answer within the request timeout.
        case timeout
        /// A 2xx whose body was not the JSON the endpoint promises.
        case invalidResponse
        /// The client was shut down.
        case shutdown
    }

    /// One entry of Discord's nested `errors` object, with its path flattened.
    public struct FieldError: Sendable, Hashable, CustomStringConvertible {
        /// Dotted path of the offending field, e.g. `content` or `embeds.0.description`.
        public var path: String
        /// Discord's symbolic code, e.g. `BASE_TYPE_MAX_LENGTH`.
        public var code: String
        /// Human-readable text, e.g. `Must be 2000 or fewer in length.`
        public var message: String

        public init(path: String, code: String, message: String) {
            self.path = path
            self.code = code
            self.message = message
        }

        /// `path: message` (just `message` for errors on the whole body).
        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// The category of failure.
    public var kind: Kind
    /// The route that failed, as `METHOD template`.
    public var route: String
    /// HTTP status of the last answer, when there was one.
    public var status: Int?
    /// Discord's JSON error code (`50035`, `10003`, …), when the body had one.
    public var code: Int?
    /// Discord's `message`, or a description of the transport failure.
    public var message: String
    /// Discord's `errors`, flattened.
    public var fieldErrors: [FieldError]
    /// For ``Kind/rateLimited`` and ``Kind/blockedByProxy``: how long the server asked to wait.
    public var retryAfter: Double?

    public init(
        kind: Kind, route: String, status: Int? = nil, code: Int? = nil, message: String,
        fieldErrors: [FieldError] = [], retryAfter: Double? = nil
    ) {
        self.kind = kind
        self.route = route
        self.status = status
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
        self.retryAfter = retryAfter
    }

    /// A typed error from an HTTP answer and its body (Discord's error JSON when it parses).
    init(kind: Kind, route: String, status: Int, body: [UInt8]) {
        let json = try? JSONValue.parse(body)
        let message: String
        if let text = json?["message"]?.stringValue {
            message = text
        } else if json == nil, !body.isEmpty {
            // Not JSON: an HTML error page from a proxy, typically. Keep a short, printable excerpt.
            message = String(decoding: body.prefix(200), as: UTF8.self)
                .split(whereSeparator: \.isNewline).joined(separator: " ")
        } else {
            message = "HTTP \(status)"
        }
        self.init(
            kind: kind, route: route, status: status, code: json?["code"]?.intValue, message: message,
            fieldErrors: json?["errors"].map(DiscordHTTPError.flatten) ?? [],
            retryAfter: json?["retry_after"]?.doubleValue)
    }

    /// The field errors joined as Discord's clients print them: `content: Must be 2000 or fewer in length.`
    public var flattenedErrors: String {
        fieldErrors.map(\.description).joined(separator: "\n")
    }

    public var description: String {
        var text = status.map { "HTTP \($0)" } ?? kind.rawValue
        if let code { text += " (code \(code))" }
        text += " on \(route): \(message)"
        if !fieldErrors.isEmpty { text += "; " + fieldErrors.map(\.description).joined(separator: "; ") }
        return text
    }

    /// Flattens `{"content": {"_errors": [{code, message}]}, "embeds": {"0": {...}}}` into
    /// `[content: …, embeds.0.…]`, sorted by path so the result is stable.
    static func flatten(_ errors: JSONValue) -> [FieldError] {
        var result: [FieldError] = []
        func walk(_ value: JSONValue, path: String) {
            guard case .object(let members) = value else { return }
            for key in members.keys.sorted() {
                let member = members[key]!
                if key == "_errors" {
                    for entry in member.arrayValue ?? [] {
                        result.append(
                            FieldError(
                                path: path, code: entry["code"]?.stringValue ?? "",
                                message: entry["message"]?.stringValue ?? ""))
                    }
                } else {
                    walk(member, path: path.isEmpty ? key : "\(path).\(key)")
                }
            }
        }
        walk(errors, path: "")
        return result
    }
}
