import DiscordWire

extension CozeBridge {
    /// Sends the keepalive prompt (`Keepalive_sendMessage`) to every bot of `accessKey` now, in
    /// its keepalive conversation (`Keepalive_sendChannel`; in a pool of several bots, bot *n*
    /// uses `NAME-n`, since a conversation stays on one bot). The conversation is created on
    /// first use.
    public func keepalive(accessKey: String) async throws -> [KeepaliveResult] {
        let pool = try pool(accessKey)
        var results: [KeepaliveResult] = []
        for (index, bot) in pool.enumerated() {
            results.append(await keepalive(bot, index: index, poolSize: pool.count))
        }
        return results
    }

    /// Sends the keepalive prompt to every bot whose last Coze activity (persisted in the store and
    /// read back at start, so restarts do not reset the clock; see ``BridgeBot/lastCozeActivity``)
    /// is older than `Keepalive_maxIntervalMinutes`, or was
    /// never recorded. What the `Keepalive_timer` scheduler runs each period.
    public func keepaliveIfDue() async -> [KeepaliveResult] {
        let now = WallClock.unixMilliseconds()
        let maxSilence = Self.milliseconds(configuration.keepalive.maxSilence)
        var results: [KeepaliveResult] = []
        for key in configuration.accessKeys {
            let pool = bots.filter { $0.configuration.accessKey == key }
            for (index, bot) in pool.enumerated() {
                let last = bot.lastCozeActivity
                if let last, now >= last, now - last <= maxSilence { continue }
                if Task.isCancelled { return results }
                results.append(await keepalive(bot, index: index, poolSize: pool.count))
            }
        }
        return results
    }

    func keepaliveLoop(period: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: period) } catch { return }
            _ = await keepaliveIfDue()
        }
    }

    private func keepalive(_ bot: BridgeBot, index: Int, poolSize: Int) async -> KeepaliveResult {
        let settings = configuration.keepalive
        let name = poolSize == 1 ? settings.conversationName : "\(settings.conversationName)-\(index + 1)"
        let accessKey = bot.configuration.accessKey
        do {
            let terminal = try await runTurn(
                accessKey: accessKey, name: name, prompt: settings.message, images: [], onBot: bot, emit: { _ in })
            switch terminal {
            case .done(let result):
                return KeepaliveResult(
                    accessKey: accessKey, botIdentity: bot.identity, conversationName: name, result: result, error: nil)
            case .failed(let error):
                return KeepaliveResult(
                    accessKey: accessKey, botIdentity: bot.identity, conversationName: name, result: nil,
                    error: error.description, failure: .turn(error))
            default:
                return KeepaliveResult(
                    accessKey: accessKey, botIdentity: bot.identity, conversationName: name, result: nil, error: "no end")
            }
        } catch {
            return KeepaliveResult(
                accessKey: accessKey, botIdentity: bot.identity, conversationName: name, result: nil,
                error: "\(error)", failure: (error as? CozeBridgeError).map { .request($0) })
        }
    }

    static func milliseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
