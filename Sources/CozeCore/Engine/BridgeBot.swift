import DiscordWire
import Synchronization

/// One configured bot at run time: its Discord clients and the bookkeeping the pool needs.
///
/// In `bot` sender mode one token posts and listens. In `user` mode the user token posts while
/// the bot token's gateway listens (a bot sees every message of the guild without looking like a
/// self-bot), or the user token's own gateway when no bot token is configured. A token used for
/// both gets one REST client, so its rate limits are tracked in one place.
///
/// Several user tokens (`User_Token` list) take turns posting, round-robin, so that one Coze
/// account's daily credits last longer. A sender-scoped quota text rests only the token that
/// got it; the bot leaves its pool only when every token rests or on a creator-scoped quota.
final class BridgeBot: Sendable {
    let configuration: BotConfiguration
    /// Stable across restarts (conversations are stored under it); never the token itself.
    let identity: String
    /// The REST client of the listening identity: channels are created and deleted with it.
    let listenerREST: DiscordRESTClient
    /// The REST clients that post prompts, one per distinct sender token, in configuration order.
    let senders: [DiscordRESTClient]
    let gateway: DiscordGatewayClient
    /// Whether the prompt author is a bot account (Coze may ignore it).
    let senderIsBot: Bool

    private struct State {
        var inFlight = 0
        var quotaUntil: UInt64?
        var quotaText: String?
        /// Per sender: until when (Unix milliseconds) a sender-scoped quota rests it.
        var senderRests: [UInt64?]
        var senderTexts: [String?]
        /// Where the round-robin starts looking next.
        var nextSender = 0
        /// When Coze last answered on this bot (Unix milliseconds), as the store has it.
        var lastCozeActivity: UInt64?
    }

    private let state: Mutex<State>

    init(configuration bot: BotConfiguration, bridge: BridgeConfiguration, options: CozeBridgeOptions) throws(CozeBridgeError) {
        configuration = bot
        let listener: (token: String, kind: DiscordRESTClient.TokenKind)
        let sender: (token: String, kind: DiscordRESTClient.TokenKind)
        var extraUserTokens: [String] = []
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
            // Order kept, duplicates dropped: one token posting twice per round would skew it.
            for token in bot.userTokens where !token.isEmpty && token != user && !extraUserTokens.contains(token) {
                extraUserTokens.append(token)
            }
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
        var senders = [sender.token == listener.token ? listenerREST : makeREST(sender.token, sender.kind)]
        for token in extraUserTokens {
            senders.append(token == listener.token ? listenerREST : makeREST(token, .user))
        }
        self.senders = senders
        state = Mutex(State(senderRests: Array(repeating: nil, count: senders.count), senderTexts: Array(repeating: nil, count: senders.count)))

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

    /// When Coze last answered on this bot, kept beside the store's record so that ``status(now:)``
    /// and the keepalive read no store: the http plugin asks for the status on every request, and
    /// a store read waits behind any commit's fsync.
    var lastCozeActivity: UInt64? { state.withLock { $0.lastCozeActivity } }

    /// Notes Coze's activity at `milliseconds` (a later note wins, as in the store).
    func noteCozeActivity(at milliseconds: UInt64) {
        state.withLock { $0.lastCozeActivity = max($0.lastCozeActivity ?? 0, milliseconds) }
    }

    /// Takes the bot out of its pool until `until` (Unix milliseconds).
    func restQuota(until: UInt64, text: String) {
        state.withLock {
            $0.quotaUntil = max($0.quotaUntil ?? 0, until)
            $0.quotaText = text
        }
    }

    /// Rests one sender (an index into ``senders``) until `until` (Unix milliseconds) after a
    /// sender-scoped quota text: the other senders keep posting.
    func restSender(_ index: Int, until: UInt64, text: String) {
        state.withLock { state in
            guard state.senderRests.indices.contains(index) else { return }
            state.senderRests[index] = max(state.senderRests[index] ?? 0, until)
            state.senderTexts[index] = text
        }
    }

    /// The sender to post the next prompt with: round-robin over the senders not resting at
    /// `now`. When all rest, the one free soonest — a conversation stays on its bot, so its turn
    /// is still tried (and Coze's answer, not a guess, says whether the quota is back).
    func pickSender(now: UInt64) -> Int {
        state.withLock { state in
            Self.clearExpired(&state, now: now)
            let count = state.senderRests.count
            var picked: Int?
            for step in 0..<count {
                let index = (state.nextSender + step) % count
                if state.senderRests[index] == nil {
                    picked = index
                    break
                }
            }
            let index =
                picked ?? state.senderRests.indices.min { (state.senderRests[$0] ?? 0) < (state.senderRests[$1] ?? 0) } ?? 0
            state.nextSender = (index + 1) % max(count, 1)
            return index
        }
    }

    /// The quota rest that keeps the bot out of its pool at `now` — a creator-scoped one, or
    /// every sender resting (then until the first of them is free) — clearing expired rests.
    func quotaRest(now: UInt64) -> (until: UInt64, text: String?)? {
        state.withLock { state in
            Self.clearExpired(&state, now: now)
            if let until = state.quotaUntil { return (until, state.quotaText) }
            let rests = state.senderRests.compactMap { $0 }
            guard !rests.isEmpty, rests.count == state.senderRests.count, let first = rests.min() else { return nil }
            let index = state.senderRests.firstIndex(of: first) ?? 0
            return (first, state.senderTexts[index])
        }
    }

    private static func clearExpired(_ state: inout State, now: UInt64) {
        if let until = state.quotaUntil, until <= now {
            state.quotaUntil = nil
            state.quotaText = nil
        }
        for index in state.senderRests.indices {
            if let until = state.senderRests[index], until <= now {
                state.senderRests[index] = nil
                state.senderTexts[index] = nil
            }
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

    func status(now: UInt64) -> BridgeBotStatus {
        let gatewayStatus = gateway.status
        let simplified: BridgeBotStatus.State
        switch gatewayStatus {
        case .ready: simplified = .ready
        case .stopped(let reason): simplified = .stopped(reason: reason.description)
        default: simplified = .connecting
        }
        let rest = quotaRest(now: now)
        var status = BridgeBotStatus(
            accessKey: configuration.accessKey, identity: identity, user: gateway.currentUser,
            senderMode: configuration.senderMode, state: simplified, gateway: gatewayStatus, inFlightTurns: inFlight,
            quotaExhaustedUntilMilliseconds: rest?.until, quotaText: rest?.text,
            lastCozeActivityMilliseconds: lastCozeActivity)
        for client in [listenerREST] + senders.filter({ $0 !== listenerREST }) {
            let counters = client.statistics
            status.rest.attempts += counters.attempts
            status.rest.rateLimited += counters.rateLimited
            status.rest.serverErrorRetries += counters.serverErrorRetries
            status.rest.transportRetries += counters.transportRetries
        }
        status.gatewayStatistics = gateway.statistics
        return status
    }

    func shutdown() async {
        await gateway.shutdown()
        try? await listenerREST.shutdown()
        for sender in senders where sender !== listenerREST { try? await sender.shutdown() }
    }
}
