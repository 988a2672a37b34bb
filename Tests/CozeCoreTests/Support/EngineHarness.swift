import DiscordEmulator
import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// An emulator with a fast Coze bot, a `CozeBridge` on a fresh store, and a REST client of the
/// emulator's owner account for checking channels independently of the engine.
struct EngineHarness {
    static let seed: UInt64 = 1
    static let key = "k"

    let emulator: DiscordEmulator
    let bridge: CozeBridge
    let storePath: String
    let inspector: DiscordRESTClient

    var info: DiscordEmulator.Info { emulator.info }

    /// `scenario` merges over fast Coze timings without rate limits; `bots` defaults to the
    /// bridge bot in `bot` sender mode under ``key``.
    static func start(
        _ scenario: JSONValue = [:],
        bots: ((DiscordEmulator.Info) -> [BotConfiguration])? = nil,
        reply: ReplyConfiguration = ReplyConfiguration(idleTimeout: .seconds(2), overallTimeout: .seconds(20)),
        conversations: ConversationConfiguration = ConversationConfiguration(),
        keepalive: KeepaliveConfiguration = KeepaliveConfiguration(),
        proxy: ProxyConfiguration = ProxyConfiguration(),
        options: CozeBridgeOptions = EngineHarness.options(),
        waitForReady: Bool = true
    ) async throws -> EngineHarness {
        var merged: JSONValue = [
            "seed": JSONValue(Int(seed)),
            "rate_limits": ["enabled": false],
            "gateway": ["heartbeat_interval_ms": 1000],
            "coze": ["start_delay_ms": 10, "edit_interval_ms": 10],
        ]
        if let patch = scenario.objectValue {
            for (key, value) in patch {
                if let inner = value.objectValue, var base = merged[key]?.objectValue {
                    for (innerKey, innerValue) in inner { base[innerKey] = innerValue }
                    merged[key] = .object(base)
                } else {
                    merged[key] = value
                }
            }
        }
        let emulator = try await DiscordEmulator.start(scenario: merged)
        let info = emulator.info
        let configuration = BridgeConfiguration(
            era: .c, bots: bots?(info) ?? [defaultBot(info)], proxy: proxy, keepalive: keepalive, reply: reply,
            conversations: conversations, discord: DiscordEndpoints(apiBaseURL: info.api, gatewayURL: info.gateway))
        let storePath = NSTemporaryDirectory() + "engine-\(UUID().uuidString).sqlite"
        let bridge = try CozeBridge(configuration: configuration, storePath: storePath, options: options)
        bridge.start()
        if waitForReady { #expect(await bridge.waitUntilReady(timeout: .seconds(5))) }
        let inspector = DiscordRESTClient(
            configuration: .init(token: info.userToken, tokenKind: .user, baseURL: info.api, requestTimeout: .seconds(10)))
        return EngineHarness(emulator: emulator, bridge: bridge, storePath: storePath, inspector: inspector)
    }

    /// `legacyImportDirectory` is `nil` unless given: the default (the working directory) would
    /// make tests depend on whatever files lie where `swift test` runs.
    static func options(
        firstReply: Duration = .seconds(3), legacyImportDirectory: String? = nil, threadsPerParentChannel: Int = 200,
        requestTimeout: Duration = .seconds(10), pendingChannelRecheck: Duration = .seconds(120)
    ) -> CozeBridgeOptions {
        CozeBridgeOptions(
            firstReplyTimeout: firstReply, readyTimeout: .seconds(5),
            configureGateway: { configuration in
                configuration.connectTimeout = .seconds(3)
                configuration.helloTimeout = .seconds(3)
                configuration.backoff = DiscordGatewayBackoff(initial: .milliseconds(50), maximum: .milliseconds(400))
                configuration.invalidSessionDelay = .milliseconds(50) ... .milliseconds(150)
            },
            configureREST: { configuration in
                configuration.requestTimeout = requestTimeout
                configuration.retryBaseDelay = .milliseconds(20)
                configuration.retryMaxDelay = .milliseconds(200)
            }, legacyImportDirectory: legacyImportDirectory, threadsPerParentChannel: threadsPerParentChannel,
            pendingChannelRecheck: pendingChannelRecheck)
    }

    static func defaultBot(_ info: DiscordEmulator.Info, key: String = EngineHarness.key) -> BotConfiguration {
        BotConfiguration(
            accessKey: key, botToken: info.bridgeBotToken, senderMode: .bot, channelCategoryID: info.categoryID,
            serverID: info.guildID, cozeBotID: info.cozeBotUserID)
    }

    /// One bot per sender setup, keys `botmode` (the bridge bot posts and listens), `usermode`
    /// (the user posts, the bridge bot's gateway listens) and `useronly` (no bot token: the user
    /// account posts and its own gateway listens).
    static func senderModeBots(_ info: DiscordEmulator.Info) -> [BotConfiguration] {
        [
            defaultBot(info, key: "botmode"),
            BotConfiguration(
                accessKey: "usermode", botToken: info.bridgeBotToken, userTokens: [info.userToken], senderMode: .user,
                channelCategoryID: info.categoryID, serverID: info.guildID, cozeBotID: info.cozeBotUserID),
            BotConfiguration(
                accessKey: "useronly", botToken: nil, userTokens: [info.userToken], senderMode: .user,
                channelCategoryID: info.categoryID, serverID: info.guildID, cozeBotID: info.cozeBotUserID),
        ]
    }

    /// A second bridge on the same store and emulator (a restart).
    func restartedBridge() async throws -> CozeBridge {
        let bridge = try CozeBridge(configuration: self.bridge.configuration, storePath: storePath, options: self.bridge.options)
        bridge.start()
        #expect(await bridge.waitUntilReady(timeout: .seconds(5)))
        return bridge
    }

    func stop() async throws {
        await bridge.shutdown()
        try await inspector.shutdown()
        try await emulator.shutdown()
        try? FileManager.default.removeItem(atPath: storePath)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }
    }

    /// The answer the emulator's Coze bot gives to `prompt` as the first prompt of a channel.
    func answer(_ prompt: String, previous: String? = nil) -> String {
        CozeAnswerGenerator.answer(prompt: prompt, previousPrompt: previous, seed: Self.seed)
    }

    /// Final message texts for `prompt` under `scenario`, joined as the ReplyTracker joins parts.
    func expectedText(_ scenario: CozeScenario, _ prompt: String) -> String {
        CozeAnswerGenerator.replyTexts(
            scenario: scenario, prompt: prompt, previousPrompt: nil, seed: Self.seed, baseURL: info.baseURL
        ).joined(separator: ReplyTracker.messageSeparator)
    }
}

/// Everything one turn's stream produced.
struct EngineTurnLog: Sendable {
    var events: [TurnEvent] = []
    var thrown: (any Error)?

    /// The text built by the TurnEvent contract: deltas appended, corrections replacing.
    var foldedText: String {
        var text = ""
        for event in events {
            switch event {
            case .delta(let delta): text += delta
            case .correction(let full): text = full
            default: break
            }
        }
        return text
    }

    var terminal: TurnEvent? { events.last(where: \.isTerminal) }

    var result: TurnResult? {
        if case .done(let result) = terminal { return result }
        return nil
    }

    var error: TurnError? {
        if case .failed(let error) = terminal { return error }
        return nil
    }

    var images: [TurnImage] {
        events.compactMap {
            if case .image(let image) = $0 { return image }
            return nil
        }
    }

    var corrections: Int {
        events.filter {
            if case .correction = $0 { return true }
            return false
        }.count
    }

    static func collect(_ stream: AsyncThrowingStream<TurnEvent, any Error>) async -> EngineTurnLog {
        var log = EngineTurnLog()
        do {
            for try await event in stream { log.events.append(event) }
        } catch {
            log.thrown = error
        }
        return log
    }
}
