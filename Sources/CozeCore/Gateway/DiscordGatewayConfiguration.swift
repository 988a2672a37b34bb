import DiscordWire

/// How a `DiscordGatewayClient` connects and how patiently it retries.
public struct DiscordGatewayConfiguration: Sendable {
    /// The bot (or user) token, with or without a `Bot ` prefix; the gateway is sent it bare.
    public var token: String
    /// Names the bot in errors and logs, e.g. its access key; never the token.
    public var botLabel: String
    /// Where new sessions connect (`wss://gateway.discord.gg`, or the emulator's `ws://` URL).
    /// Resumes go to the session's `resume_gateway_url`.
    public var gatewayURL: String
    /// The intents sent in IDENTIFY.
    public var intents: GatewayIntents
    /// IDENTIFY `properties`: `os`, `browser`, `device`.
    public var operatingSystem: String
    public var browser: String
    public var device: String
    /// Ask for `zlib-stream` transport compression (what Discord's own clients use).
    public var zlibStream: Bool
    /// Tunnel the gateway socket through this proxy (the same setting the REST client uses).
    public var proxy: DiscordProxy?
    /// Bound on TCP connect, proxy handshake, TLS and the WebSocket upgrade.
    public var connectTimeout: Duration
    /// How long an open connection may stay silent before HELLO; a gateway that accepts
    /// connections but never greets is retried with backoff.
    public var helloTimeout: Duration
    /// Delays between failed connection attempts.
    public var backoff: DiscordGatewayBackoff
    /// Discord asks clients to wait a random 1–5 s after a non-resumable INVALID_SESSION.
    public var invalidSessionDelay: ClosedRange<Duration>
    /// A session that stayed up this long resets the backoff; a shorter one counts as a failure,
    /// so a gateway that accepts and then drops every session is not hammered.
    public var stableSessionDuration: Duration

    /// The defaults suit the real Discord; tests shorten the timings.
    public init(
        token: String, botLabel: String = "(unnamed)", gatewayURL: String = "wss://gateway.discord.gg",
        intents: GatewayIntents = .bridge, proxy: DiscordProxy? = nil
    ) {
        self.token = token
        self.botLabel = botLabel
        self.gatewayURL = gatewayURL
        self.intents = intents
        self.operatingSystem = "linux"
        self.browser = "cozebridge"
        self.device = "cozebridge"
        self.zlibStream = true
        self.proxy = proxy
        self.connectTimeout = .seconds(15)
        self.helloTimeout = .seconds(20)
        self.backoff = DiscordGatewayBackoff()
        self.invalidSessionDelay = .seconds(1) ... .seconds(5)
        self.stableSessionDuration = .seconds(60)
    }

    /// The token as the gateway wants it: without the REST `Bot ` prefix.
    var gatewayToken: String {
        let trimmed = token.trimmingWhitespace
        return trimmed.hasPrefix("Bot ") ? String(trimmed.dropFirst(4)).trimmingWhitespace : trimmed
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
