import DiscordWire
import Synchronization

/// One configured bot at run time: its Discord clients and the bookkeeping the pool needs.
///
/// In `bot` sender mode one token posts and listens. In `user` mode the user token posts while
/// the bot token's gateway listens (a bot sees every message of the guild without looking like a
/// self-bot), or the user token's own gateway when no bot token is configured. A token used for
/// both gets one REST client, so its rate limits are tracked in one place.
final class BridgeBot: Sendable {
    let configuration: BotConfiguration
    /// Stable across restarts (conversations are stored under it); never the token itself.
    let identity: String
    /// The REST client of the listening identity: channels are created and deleted with it.
    let listenerREST: DiscordRESTClient
    /// The REST client that posts prompts.
    let senderREST: DiscordRESTClient
    let gateway: DiscordGatewayClient
    /// Whether the prompt author is a bot account (Coze may ignore it).
    let senderIsBot: Bool

    private struct State {
        var inFlight = 0
        var quotaUntil: UInt64?
        var quotaText: String?
    }

    private let state = Mutex(State())

    init(configuration bot: BotConfiguration, bridge: BridgeConfiguration, options: CozeBridgeOptions) throws(CozeBridgeError) {
        configuration = bot
        let listener: (token: String, kind: DiscordRESTClient.TokenKind)
        let sender: (token: String, kind: DiscordRESTClient.TokenKind)
        switch bot.senderMode {
        case .bot:
            guard let token = bot.botToken, !token.isEmpty else {
                throw .invalidConfiguration("bot \(bot.accessKey) is in sender mode `bot` but has no Discord_Bot_Token")
            }
            listener = (token, .bot)
            sender = (token, .bot)
        case .user:
            guard let user = bot.userTokens.first(where: { !$0.isEmpty }) else {
                throw .invalidConfiguration("bot \(bot.accessKey) is in sender mode `user` but has no user token")
            }
            sender = (user, .user)
            if let token = bot.botToken, !token.isEmpty {
                listener = (token, .bot)
            } else {
                listener = (user, .user)
            }
        }
        senderIsBot = sender.kind == .bot
        identity = Self.identity(listenerToken: listener.token, senderToken: sender.token, cozeBotID: bot.cozeBotID)

        let proxy: DiscordProxy? =
            bridge.proxy.isEnabled
            ? DiscordProxy(
                kind: DiscordProxy.kind(named: bridge.proxy.type.rawValue) ?? .http, host: bridge.proxy.host,
                port: bridge.proxy.port)
            : nil
        func makeREST(_ token: String, _ kind: DiscordRESTClient.TokenKind) -> DiscordRESTClient {
            var configuration = DiscordRESTClient.Configuration(
                token: token, tokenKind: kind, baseURL: bridge.discord.apiBaseURL, proxy: proxy)
            options.configureREST(&configuration)
            return DiscordRESTClient(configuration: configuration)
        }
        listenerREST = makeREST(listener.token, listener.kind)
        senderREST = sender.token == listener.token ? listenerREST : makeREST(sender.token, sender.kind)

        var gatewayConfiguration = DiscordGatewayConfiguration(
            token: listener.token, botLabel: "\(bot.accessKey)/\(identity)",
            gatewayURL: bridge.discord.gatewayURL ?? "wss://gateway.discord.gg", proxy: proxy)
        options.configureGateway(&gatewayConfiguration)
        gateway = DiscordGatewayClient(configuration: gatewayConfiguration)
    }

    /// `bot-` and 16 hex digits of an FNV-1a hash over the tokens and the Coze bot: stable for a
    /// configuration (so a restart finds its conversations before any READY tells us user ids),
    /// different for two bots of one pool, and not reversible into a token.
    static func identity(listenerToken: String, senderToken: String, cozeBotID: Snowflake) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(listenerToken)\u{0}\(senderToken)\u{0}\(cozeBotID)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return "bot-" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    // MARK: - Pool bookkeeping

    var inFlight: Int { state.withLock { $0.inFlight } }

    func beginWork() { state.withLock { $0.inFlight += 1 } }

    func endWork() { state.withLock { $0.inFlight -= 1 } }

    /// Takes the bot out of its pool until `until` (Unix milliseconds).
    func restQuota(until: UInt64, text: String) {
        state.withLock {
            $0.quotaUntil = max($0.quotaUntil ?? 0, until)
            $0.quotaText = text
        }
    }

    /// The quota rest still in force at `now`, clearing an expired one.
    func quotaRest(now: UInt64) -> (until: UInt64, text: String?)? {
        state.withLock { state in
            guard let until = state.quotaUntil else { return nil }
            if until <= now {
                state.quotaUntil = nil
                state.quotaText = nil
                return nil
            }
            return (until, state.quotaText)
        }
    }

    /// Why the bot cannot take a new conversation now, or `nil` when it can.
    func unavailability(now: UInt64) -> String? {
        let status = gateway.status
        if case .stopped(let reason) = status { return "\(identity): gateway stopped: \(reason)" }
        if !status.isReady { return "\(identity): gateway \(status)" }
        if let rest = quotaRest(now: now) { return "\(identity): Coze quota spent until \(rest.until) ms" }
        return nil
    }

    func status(now: UInt64, lastCozeActivity: UInt64?) -> BridgeBotStatus {
        let gatewayStatus = gateway.status
        let simplified: BridgeBotStatus.State
        switch gatewayStatus {
        case .ready: simplified = .ready
        case .stopped(let reason): simplified = .stopped(reason: reason.description)
        default: simplified = .connecting
        }
        let rest = quotaRest(now: now)
        return BridgeBotStatus(
            accessKey: configuration.accessKey, identity: identity, senderMode: configuration.senderMode,
            state: simplified, gateway: gatewayStatus, inFlightTurns: inFlight,
            quotaExhaustedUntilMilliseconds: rest?.until, quotaText: rest?.text,
            lastCozeActivityMilliseconds: lastCozeActivity)
    }

    func shutdown() async {
        await gateway.shutdown()
        try? await listenerREST.shutdown()
        if senderREST !== listenerREST { try? await senderREST.shutdown() }
    }
}
