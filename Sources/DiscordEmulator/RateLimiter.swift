import DiscordWire
import NIOConcurrencyHelpers

/// One fixed rate-limit window: at most `limit` requests per `windowMs` milliseconds.
///
/// JSON form: `{"limit": 5, "window_ms": 5000}`. Decoded on its own, a missing key takes the value
/// of ``RateLimitSettings``'s `default` family (50 per 1000 ms); decoded inside
/// ``RateLimitSettings``, a missing key keeps that family's current value.
public struct RateLimitWindow: Sendable, Codable, Equatable, Hashable {
    /// Requests allowed per window.
    public var limit: Int
    /// Window length in milliseconds.
    public var windowMs: Int

    /// Creates a window of `limit` requests per `windowMs` milliseconds.
    public init(limit: Int, windowMs: Int) {
        self.limit = limit
        self.windowMs = windowMs
    }

    enum CodingKeys: String, CodingKey {
        case limit
        case windowMs = "window_ms"
    }

    public init(from decoder: any Decoder) throws {
        self = RateLimitSettings.defaultWindows[.default]!
        try merge(from: decoder)
    }

    /// Overwrites the fields present in `decoder`'s object, keeping the others.
    mutating func merge(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let limit = try container.decodeIfPresent(Int.self, forKey: .limit) { self.limit = limit }
        if let windowMs = try container.decodeIfPresent(Int.self, forKey: .windowMs) { self.windowMs = windowMs }
    }

    /// Window length in seconds.
    var seconds: Double { Double(max(windowMs, 1)) / 1000 }
}

/// The emulator's REST rate-limit configuration: the `rate_limits` object of a scenario file.
///
/// ```json
/// {"enabled": true, "global_per_second": 50,
///  "message_create": {"limit": 5, "window_ms": 5000}, "message_edit": {...}, "channel": {...},
///  "guild_channels": {...}, "users_me": {"limit": 2, "window_ms": 1000}, "default": {"limit": 50, "window_ms": 1000}}
/// ```
/// Every key is optional when decoding; a missing key keeps its default. ``merge(from:)`` applies a
/// partial object on top of existing settings (as `PUT /_emulator/scenario` does).
public struct RateLimitSettings: Sendable, Codable, Equatable, Hashable {
    /// When false every request is allowed and no rate-limit headers are sent
    /// (forced 429s from ``RateLimiter/forceRateLimits(count:retryAfter:global:)`` still happen).
    public var enabled: Bool = true
    /// Requests per second per token across all routes (Discord's global limit).
    public var globalPerSecond: Int = 50
    /// `POST /channels/{id}/messages`, per channel.
    public var messageCreate = RateLimitSettings.defaultWindows[.messageCreate]!
    /// `PATCH` and `DELETE /channels/{id}/messages/{id}`, per channel.
    public var messageEdit = RateLimitSettings.defaultWindows[.messageEdit]!
    /// `GET`, `PATCH` and `DELETE /channels/{id}`, per channel.
    public var channel = RateLimitSettings.defaultWindows[.channel]!
    /// `GET` and `POST /guilds/{id}/channels`, per guild.
    public var guildChannels = RateLimitSettings.defaultWindows[.guildChannels]!
    /// `GET /users/@me`.
    public var usersMe = RateLimitSettings.defaultWindows[.usersMe]!
    /// Every other route, per major parameter.
    public var `default` = RateLimitSettings.defaultWindows[.default]!

    /// Discord-like defaults (the values observed in the wild).
    static let defaultWindows: [RouteFamily: RateLimitWindow] = [
        .messageCreate: RateLimitWindow(limit: 5, windowMs: 5000),
        .messageEdit: RateLimitWindow(limit: 5, windowMs: 5000),
        .channel: RateLimitWindow(limit: 5, windowMs: 5000),
        .guildChannels: RateLimitWindow(limit: 5, windowMs: 5000),
        .usersMe: RateLimitWindow(limit: 2, windowMs: 1000),
        .default: RateLimitWindow(limit: 50, windowMs: 1000),
    ]

    /// The defaults: enabled, 50/s global, the per-family windows listed in docs/emulator.md.
    public init() {}

    /// The window of one route family.
    public subscript(family: RouteFamily) -> RateLimitWindow {
        get {
            switch family {
            case .messageCreate: return messageCreate
            case .messageEdit: return messageEdit
            case .channel: return channel
            case .guildChannels: return guildChannels
            case .usersMe: return usersMe
            case .default: return self.default
            }
        }
        set {
            switch family {
            case .messageCreate: messageCreate = newValue
            case .messageEdit: messageEdit = newValue
            case .channel: channel = newValue
            case .guildChannels: guildChannels = newValue
            case .usersMe: usersMe = newValue
            case .default: self.default = newValue
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case enabled
        case globalPerSecond = "global_per_second"
        case messageCreate = "message_create"
        case messageEdit = "message_edit"
        case channel
        case guildChannels = "guild_channels"
        case usersMe = "users_me"
        case `default`
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        try merge(from: decoder)
    }

    /// Applies a partial `rate_limits` object: keys present in `decoder` overwrite, missing keys
    /// (including missing fields inside a window object) keep their current values.
    public mutating func merge(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) { self.enabled = enabled }
        if let perSecond = try container.decodeIfPresent(Int.self, forKey: .globalPerSecond) {
            globalPerSecond = perSecond
        }
        let windowKeys: [(CodingKeys, RouteFamily)] = [
            (.messageCreate, .messageCreate), (.messageEdit, .messageEdit), (.channel, .channel),
            (.guildChannels, .guildChannels), (.usersMe, .usersMe), (.default, .default),
        ]
        for (key, family) in windowKeys where container.contains(key) {
            if try container.decodeNil(forKey: key) { continue }
            var window = self[family]
            try window.merge(from: container.superDecoder(forKey: key))
            self[family] = window
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(globalPerSecond, forKey: .globalPerSecond)
        try container.encode(messageCreate, forKey: .messageCreate)
        try container.encode(messageEdit, forKey: .messageEdit)
        try container.encode(channel, forKey: .channel)
        try container.encode(guildChannels, forKey: .guildChannels)
        try container.encode(usersMe, forKey: .usersMe)
        try container.encode(self.default, forKey: .default)
    }
}

/// The rate-limit bucket family of a REST route (the part of Discord's bucket that does not
/// depend on the major parameter).
public enum RouteFamily: String, Sendable, Hashable, CaseIterable, Codable {
    /// `POST /channels/{id}/messages`
    case messageCreate = "message_create"
    /// `PATCH|DELETE /channels/{id}/messages/{id}`
    case messageEdit = "message_edit"
    /// `GET|PATCH|DELETE /channels/{id}`
    case channel
    /// `GET|POST /guilds/{id}/channels`
    case guildChannels = "guild_channels"
    /// `GET /users/@me`
    case usersMe = "users_me"
    /// Everything else.
    case `default`

    /// The constant `X-RateLimit-Bucket` value of this family: 16 lowercase hex digits, the 64-bit
    /// FNV-1a hash of the family name. It does not include the major parameter, as on Discord.
    public var bucketHash: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "cozebridge-emulator/\(rawValue)".utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Classifies a REST request into its family and major parameter.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (any case).
    ///   - path: the path after `/api/vN` (e.g. `/channels/1/messages`); a leading `/api` or
    ///     `/api/vN`, a query string and leading/trailing slashes are ignored.
    /// - Returns: the family, and the major parameter: the first `channels/<id>`, `guilds/<id>` or
    ///   `webhooks/<id>[/<token>]` of the path, or `""`.
    public static func classify(method: String, path: String) -> (family: RouteFamily, majorParameter: String) {
        let segments = pathSegments(path)
        let method = method.uppercased()
        var major = ""
        for index in segments.indices {
            let segment = segments[index]
            guard segment == "channels" || segment == "guilds" || segment == "webhooks",
                  index + 1 < segments.count else { continue }
            major = "\(segment)/\(segments[index + 1])"
            if segment == "webhooks" && index + 2 < segments.count {
                major += "/\(segments[index + 2])"
            }
            break
        }
        let family: RouteFamily
        switch (segments.first, segments.count) {
        case ("channels", 3) where segments[2] == "messages" && method == "POST":
            family = .messageCreate
        case ("channels", 4) where segments[2] == "messages" && (method == "PATCH" || method == "DELETE"):
            family = .messageEdit
        case ("channels", 2) where method == "GET" || method == "PATCH" || method == "DELETE":
            family = .channel
        case ("guilds", 3) where segments[2] == "channels" && (method == "GET" || method == "POST"):
            family = .guildChannels
        case ("users", 2) where segments[1] == "@me" && method == "GET":
            family = .usersMe
        default:
            family = .default
        }
        return (family, major)
    }

    static func pathSegments(_ path: String) -> [Substring] {
        var path = Substring(path)
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        var segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.first == "api" {
            segments.removeFirst()
            if let version = segments.first, version.count >= 2, version.first == "v",
               version.dropFirst().allSatisfy(\.isNumber) {
                segments.removeFirst()
            }
        }
        return segments
    }
}

/// The answer of ``RateLimiter/check(token:method:path:now:)``.
public enum RateLimitDecision: Sendable {
    /// Serve the request, adding `headers` to the response (empty when rate limits are disabled).
    case allowed(headers: [(String, String)])
    /// Answer 429 with `headers` and the body
    /// `{"message": "You are being rate limited.", "retry_after": retryAfter, "global": global}`.
    case limited(retryAfter: Double, global: Bool, headers: [(String, String)])

    /// The response headers of either case.
    public var headers: [(String, String)] {
        switch self {
        case .allowed(let headers), .limited(_, _, let headers): return headers
        }
    }

    /// Whether the request may be served.
    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }

    /// The value of header `name` (case-insensitive), if present.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }
}

/// The emulator's server-side Discord REST rate limiter. Thread-safe.
///
/// For each `(token, family, major parameter)` it keeps a fixed window `(limit, remaining, resetAt)`
/// from ``RateLimitSettings``, and for each token a global one-second window of
/// ``RateLimitSettings/globalPerSecond`` requests (`/interactions/...` routes are exempt from it,
/// as on Discord). A request that is limited does not consume any window.
///
/// Every answer (allowed or limited) carries `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch
/// seconds), `-Reset-After`, `-Bucket` and `X-RateLimit-Scope: user`; a 429 adds `Retry-After`
/// (whole seconds, rounded up), and the global limit `X-RateLimit-Global: true` with
/// `X-RateLimit-Scope: global`. Request counting is not done here.
public final class RateLimiter: Sendable {
    private struct BucketKey: Hashable {
        var token: String
        var family: RouteFamily
        var major: String
    }

    private struct Window {
        var remaining: Int
        var start: Double
        var resetAt: Double
    }

    private struct Forced {
        var count: Int
        var retryAfter: Double
        var global: Bool
    }

    private struct State {
        var settings: RateLimitSettings
        var buckets: [BucketKey: Window] = [:]
        var globals: [String: Window] = [:]
        var forced: Forced?
        var checksSincePrune = 0
    }

    private let state: NIOLockedValueBox<State>
    private let wallAtStart: Double
    private let monotonicStart: ContinuousClock.Instant

    /// Creates a limiter with `settings`.
    public init(settings: RateLimitSettings = RateLimitSettings()) {
        state = NIOLockedValueBox(State(settings: settings))
        wallAtStart = WallClock.unixSeconds()
        monotonicStart = ContinuousClock.now
    }

    /// The live settings.
    public var settings: RateLimitSettings {
        state.withLockedValue { $0.settings }
    }

    /// Replaces the settings. If the rate-limit settings actually change, all windows start afresh.
    public func update(settings: RateLimitSettings) {
        state.withLockedValue { state in
            guard state.settings != settings else { return }
            state.settings = settings
            state.buckets.removeAll()
            state.globals.removeAll()
        }
    }

    /// Fault injection: the next `count` checks answer `.limited(retryAfter:global:headers:)` with these
    /// values (scope `global` when `global`, else `user`), whether or not rate limits are enabled,
    /// without touching any window. Replaces any earlier forced limits; `count <= 0` clears them.
    public func forceRateLimits(count: Int, retryAfter: Double, global: Bool) {
        state.withLockedValue { state in
            state.forced = count > 0 ? Forced(count: count, retryAfter: max(0, retryAfter), global: global) : nil
        }
    }

    /// Ends forced 429s (for `POST /_emulator/faults/clear`).
    public func clearForcedRateLimits() {
        state.withLockedValue { $0.forced = nil }
    }

    /// How many forced 429s are still pending.
    public var pendingForcedRateLimits: Int {
        state.withLockedValue { $0.forced?.count ?? 0 }
    }

    /// The limiter's clock: seconds since the Unix epoch, anchored to the wall clock at creation and
    /// advanced by the monotonic clock (so it never jumps backwards).
    public func currentTime() -> Double {
        let elapsed = ContinuousClock.now - monotonicStart
        let (seconds, attoseconds) = elapsed.components
        return wallAtStart + Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Checks (and, if allowed, counts) one request at ``currentTime()``.
    public func check(token: String, method: String, path: String) -> RateLimitDecision {
        check(token: token, method: method, path: path, now: currentTime())
    }

    /// Checks (and, if allowed, counts) one request.
    ///
    /// - Parameters:
    ///   - token: the request's `Authorization` value (windows are per token).
    ///   - method: HTTP method.
    ///   - path: path after `/api/vN` (see ``RouteFamily/classify(method:path:)``).
    ///   - now: seconds since the Unix epoch; drives both the windows and the `X-RateLimit-Reset`
    ///     header. Inject it in tests.
    public func check(token: String, method: String, path: String, now: Double) -> RateLimitDecision {
        let (family, major) = RouteFamily.classify(method: method, path: path)
        let globalExempt = RouteFamily.pathSegments(path).first == "interactions"
        return state.withLockedValue { state in
            if var forced = state.forced {
                forced.count -= 1
                state.forced = forced.count > 0 ? forced : nil
                let window = state.settings[family]
                var headers = Self.bucketHeaders(
                    family: family, limit: window.limit, remaining: 0, resetAfter: forced.retryAfter, now: now,
                    scope: forced.global ? "global" : "user")
                Self.add429Headers(&headers, retryAfter: forced.retryAfter, global: forced.global)
                return .limited(retryAfter: forced.retryAfter, global: forced.global, headers: headers)
            }
            let settings = state.settings
            guard settings.enabled else { return .allowed(headers: []) }

            state.checksSincePrune += 1
            if state.checksSincePrune >= 4096 {
                state.checksSincePrune = 0
                state.buckets = state.buckets.filter { $0.value.resetAt > now }
                state.globals = state.globals.filter { $0.value.resetAt > now }
            }

            let window = settings[family]
            let limit = max(window.limit, 0)
            let key = BucketKey(token: token, family: family, major: major)
            var bucket = state.buckets[key] ?? Window(remaining: limit, start: now, resetAt: now + window.seconds)
            // A new window after the old one ended (or if the clock went backwards).
            if now >= bucket.resetAt || now < bucket.start {
                bucket = Window(remaining: limit, start: now, resetAt: now + window.seconds)
            }

            var global: Window?
            if !globalExempt {
                let perSecond = max(settings.globalPerSecond, 0)
                var current = state.globals[token] ?? Window(remaining: perSecond, start: now, resetAt: now + 1)
                if now >= current.resetAt || now < current.start {
                    current = Window(remaining: perSecond, start: now, resetAt: now + 1)
                }
                global = current
            }

            if let global, global.remaining <= 0 {
                state.buckets[key] = bucket
                state.globals[token] = global
                let retryAfter = Self.roundUpToMilliseconds(global.resetAt - now)
                var headers = Self.bucketHeaders(
                    family: family, limit: limit, remaining: bucket.remaining, resetAfter: bucket.resetAt - now,
                    now: now, scope: "global")
                Self.add429Headers(&headers, retryAfter: retryAfter, global: true)
                return .limited(retryAfter: retryAfter, global: true, headers: headers)
            }
            if bucket.remaining <= 0 {
                state.buckets[key] = bucket
                if let global { state.globals[token] = global }
                let retryAfter = Self.roundUpToMilliseconds(bucket.resetAt - now)
                var headers = Self.bucketHeaders(
                    family: family, limit: limit, remaining: 0, resetAfter: bucket.resetAt - now, now: now,
                    scope: "user")
                Self.add429Headers(&headers, retryAfter: retryAfter, global: false)
                return .limited(retryAfter: retryAfter, global: false, headers: headers)
            }

            bucket.remaining -= 1
            state.buckets[key] = bucket
            if var global {
                global.remaining -= 1
                state.globals[token] = global
            }
            return .allowed(headers: Self.bucketHeaders(
                family: family, limit: limit, remaining: bucket.remaining, resetAfter: bucket.resetAt - now,
                now: now, scope: "user"))
        }
    }

    private static func bucketHeaders(
        family: RouteFamily, limit: Int, remaining: Int, resetAfter: Double, now: Double, scope: String
    ) -> [(String, String)] {
        // Round once to milliseconds so that Reset − now and Reset-After agree to the millisecond.
        let resetAfterMs = Int64(millisecondsRoundedUp(resetAfter))
        let resetMs = Int64((now * 1000).rounded()) + resetAfterMs
        return [
            ("X-RateLimit-Limit", String(limit)),
            ("X-RateLimit-Remaining", String(max(remaining, 0))),
            ("X-RateLimit-Reset", formatMilliseconds(resetMs)),
            ("X-RateLimit-Reset-After", formatMilliseconds(resetAfterMs)),
            ("X-RateLimit-Bucket", family.bucketHash),
            ("X-RateLimit-Scope", scope),
        ]
    }

    private static func add429Headers(_ headers: inout [(String, String)], retryAfter: Double, global: Bool) {
        headers.append(("Retry-After", String(Int64(retryAfter.rounded(.up)))))
        if global { headers.append(("X-RateLimit-Global", "true")) }
    }

    private static func roundUpToMilliseconds(_ seconds: Double) -> Double {
        millisecondsRoundedUp(seconds) / 1000
    }

    /// Whole milliseconds, rounded up, ignoring floating-point noise far below a millisecond.
    private static func millisecondsRoundedUp(_ seconds: Double) -> Double {
        max((seconds * 1000 - 1e-6).rounded(.up), 0)
    }

    /// `1234567` → `"1234.567"`.
    static func formatMilliseconds(_ milliseconds: Int64) -> String {
        let negative = milliseconds < 0
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return (negative ? "-" : "") + "\(magnitude / 1000)."
            + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
