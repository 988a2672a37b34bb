import DiscordWire

/// The rate-limit facts of one Discord REST answer (topics/rate-limits.mdx), parsed from its headers.
public struct RESTRateLimitHeaders: Sendable, Hashable {
    /// `X-RateLimit-Scope`.
    public enum Scope: String, Sendable, Hashable {
        /// The per-route bucket of this token.
        case user
        /// The per-token global limit.
        case global
        /// A per-resource limit shared by every user (e.g. a busy channel); does not count against us.
        case shared
    }

    /// `X-RateLimit-Bucket`: the opaque bucket hash (major parameter not included).
    public var bucket: String?
    /// `X-RateLimit-Limit`.
    public var limit: Int?
    /// `X-RateLimit-Remaining`.
    public var remaining: Int?
    /// Seconds until the bucket resets: `X-RateLimit-Reset-After`, or, only when that is missing,
    /// `X-RateLimit-Reset` minus the local wall clock (which may be skewed, hence the preference).
    public var resetAfter: Double?
    /// `X-RateLimit-Scope`.
    public var scope: Scope?
    /// `X-RateLimit-Global: true`.
    public var isGlobal: Bool
    /// `Retry-After` (whole seconds on Discord; the body's `retry_after` is more precise).
    public var retryAfter: Double?
    /// Whether a `Via` header was present. Discord's API answers carry one; a 429 without it comes
    /// from Cloudflare or a proxy in between.
    public var hasVia: Bool

    public init(
        bucket: String? = nil, limit: Int? = nil, remaining: Int? = nil, resetAfter: Double? = nil,
        scope: Scope? = nil, isGlobal: Bool = false, retryAfter: Double? = nil, hasVia: Bool = false
    ) {
        self.bucket = bucket
        self.limit = limit
        self.remaining = remaining
        self.resetAfter = resetAfter
        self.scope = scope
        self.isGlobal = isGlobal
        self.retryAfter = retryAfter
        self.hasVia = hasVia
    }

    /// Parses response headers (names are case-insensitive).
    ///
    /// - Parameter wallClockNow: Unix seconds now; only used for a `Reset` without `Reset-After`.
    public init(headers: some Sequence<(name: String, value: String)>, wallClockNow: Double = WallClock.unixSeconds()) {
        self.init()
        var reset: Double?
        for (name, rawValue) in headers {
            let value = rawValue.trimmingASCIIWhitespace()
            switch name.lowercased() {
            case "x-ratelimit-bucket": bucket = value.isEmpty ? nil : value
            case "x-ratelimit-limit": limit = Int(value)
            case "x-ratelimit-remaining": remaining = Int(value)
            case "x-ratelimit-reset-after": resetAfter = Double(value).flatMap(Self.sane)
            case "x-ratelimit-reset": reset = Double(value).flatMap(Self.sane)
            case "x-ratelimit-scope": scope = Scope(rawValue: value.lowercased())
            case "x-ratelimit-global": isGlobal = value.lowercased() == "true"
            case "retry-after": retryAfter = Double(value).flatMap(Self.sane)
            case "via": hasVia = true
            default: break
            }
        }
        if resetAfter == nil, let reset {
            resetAfter = max(0, reset - wallClockNow)
        }
    }

    /// Whether the answer said anything about a per-route bucket.
    var describesBucket: Bool { bucket != nil || limit != nil || remaining != nil || resetAfter != nil }

    /// Non-negative finite numbers only: a NaN or negative wait would corrupt the schedule.
    private static func sane(_ value: Double) -> Double? {
        value.isFinite && value >= 0 ? value : nil
    }
}

/// How a 429 is to be handled (discord-wire.md §3.3, step 7).
public enum RESTRateLimitVerdict: Sendable, Hashable {
    /// A genuine Discord rate limit: wait `retryAfter` seconds in the way `scope` demands, then retry.
    case discord(scope: RESTRateLimitHeaders.Scope, retryAfter: Double)
    /// Not Discord's API speaking (Cloudflare, a proxy): fail at once rather than hot-loop.
    case foreign(reason: String)

    /// Classifies a 429 from its parsed headers and raw body.
    ///
    /// A 429 is Discord's when the body is a JSON object and a `Via` header is present (the test
    /// discord.py uses). The scope is global when the body says `global: true`, or the headers say
    /// `X-RateLimit-Global: true` or `X-RateLimit-Scope: global`; `shared` when the scope header
    /// says so; per-route otherwise. The wait is the body's `retry_after`, else `Retry-After`.
    public static func classify(headers: RESTRateLimitHeaders, body: [UInt8]) -> RESTRateLimitVerdict {
        guard headers.hasVia else { return .foreign(reason: "429 without a Via header (Cloudflare or a proxy)") }
        guard let json = try? JSONValue.parse(body), case .object = json else {
            return .foreign(reason: "429 with a non-JSON body (Cloudflare or a proxy)")
        }
        let bodyRetry = json["retry_after"]?.doubleValue.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        guard let retryAfter = bodyRetry ?? headers.retryAfter else {
            return .foreign(reason: "429 without retry_after")
        }
        let scope: RESTRateLimitHeaders.Scope
        if json["global"]?.boolValue == true || headers.isGlobal || headers.scope == .global {
            scope = .global
        } else if headers.scope == .shared {
            scope = .shared
        } else {
            scope = .user
        }
        return .discord(scope: scope, retryAfter: retryAfter)
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
