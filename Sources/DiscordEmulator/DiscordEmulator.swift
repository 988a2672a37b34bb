import DiscordWire
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A loopback Discord (gateway v10 + REST v10) with one guild and a simulated Coze bot.
///
/// ```swift
/// let emulator = try await DiscordEmulator.start()
/// print(emulator.info.api)        // http://127.0.0.1:P/api/v10
/// try await emulator.shutdown()
/// ```
/// The `discord-emulator` executable is this type behind a command line (docs/emulator.md).
public final class DiscordEmulator: Sendable {
    /// Where the emulator listens and the identities it made; the ready line of the executable.
    public struct Info: Sendable {
        public let api: String
        public let gateway: String
        public let control: String
        public let baseURL: String
        /// The REST (and control) port.
        public let port: Int
        /// The gateway's own port.
        public let gatewayPort: Int
        public let guildID: Snowflake
        public let categoryID: Snowflake
        public let generalChannelID: Snowflake
        public let cozeBotUserID: Snowflake
        public let cozeBotToken: String
        public let bridgeBotUserID: Snowflake
        public let bridgeBotToken: String
        public let spareBotUserID: Snowflake
        public let spareBotToken: String
        /// A second spare bot (ready-line keys `spare_bot_2_user_id`, `spare_bot_2_token`).
        public let secondSpareBotUserID: Snowflake
        public let secondSpareBotToken: String
        public let userID: Snowflake
        public let userToken: String

        /// The ready line's JSON object.
        public var json: JSONValue {
            [
                "api": .string(api), "gateway": .string(gateway), "control": .string(control),
                "base_url": .string(baseURL), "port": JSONValue(port), "gateway_port": JSONValue(gatewayPort), "guild_id": JSONValue(guildID),
                "category_id": JSONValue(categoryID), "general_channel_id": JSONValue(generalChannelID),
                "coze_bot_user_id": JSONValue(cozeBotUserID), "coze_bot_token": .string(cozeBotToken),
                "bridge_bot_user_id": JSONValue(bridgeBotUserID), "bridge_bot_token": .string(bridgeBotToken),
                "spare_bot_user_id": JSONValue(spareBotUserID), "spare_bot_token": .string(spareBotToken),
                "spare_bot_2_user_id": JSONValue(secondSpareBotUserID), "spare_bot_2_token": .string(secondSpareBotToken),
                "user_id": JSONValue(userID), "user_token": .string(userToken),
            ]
        }
    }

    public let info: Info
    let world: EmulatorWorld
    let counterStore: EmulatorCounters
    let faults: FaultInjector
    let rateLimiter: RateLimiter
    let coze: CozeBotSimulator
    private let scenarioJSON: NIOLockedValueBox<JSONValue>
    private let serverChannels: [any Channel]

    private init(
        info: Info, world: EmulatorWorld, counters: EmulatorCounters, faults: FaultInjector, rateLimiter: RateLimiter,
        coze: CozeBotSimulator, scenario: JSONValue, serverChannels: [any Channel]
    ) {
        self.info = info
        self.world = world
        self.counterStore = counters
        self.faults = faults
        self.rateLimiter = rateLimiter
        self.coze = coze
        self.scenarioJSON = NIOLockedValueBox(scenario)
        self.serverChannels = serverChannels
    }

    /// Starts an emulator on `host:port` (port 0 picks a free one) with `scenario` (docs/emulator.md).
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, scenario: JSONValue = [:],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> DiscordEmulator {
        let settings = try EmulatorScenario(json: scenario)
        // Connections can arrive between bind and the moment the world exists (which needs the
        // bound port for its URLs); they are turned away until then.
        let routerBox = NIOLockedValueBox<EmulatorRouter?>(nil)
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard let router = routerBox.withLockedValue({ $0 }) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.configure(
                        channel: channel, router: router, world: router.rest.world, counters: router.rest.counters)
                }
            }
        let serverChannel = try await bootstrap.bind(host: host, port: port).get()
        // The gateway gets a port of its own, as Discord's is another host: HTTP clients such as
        // aiohttp reuse a keep-alive REST connection for the WebSocket upgrade when host and port
        // match, and an upgrade is only possible as a connection's first request.
        let gatewayChannel: any Channel
        do {
            gatewayChannel = try await bootstrap.bind(host: host, port: 0).get()
        } catch {
            try? await serverChannel.close()
            throw error
        }
        guard let boundPort = serverChannel.localAddress?.port, let gatewayPort = gatewayChannel.localAddress?.port else {
            try? await serverChannel.close()
            try? await gatewayChannel.close()
            throw ScenarioError(description: "emulator: could not read the bound ports")
        }
        let base = "http://\(host):\(boundPort)"
        let world = EmulatorWorld(
            publicBaseURL: base, gatewayURL: "ws://\(host):\(gatewayPort)", tokenSecret: randomHex(count: 24))
        world.gatewaySettings = settings.gateway
        world.maxGuildChannels = settings.maxGuildChannels
        world.recordsMarkerWrites = settings.coze.timestampMarkers
        let coze = CozeBotSimulator(world: world, settings: settings.coze, seed: settings.seed, botUserID: world.cozeBot.id)
        world.cozeSimulator = coze
        let info = Info(
            api: "\(base)/api/v10", gateway: "ws://\(host):\(gatewayPort)/", control: "\(base)/_emulator", baseURL: base,
            port: boundPort, gatewayPort: gatewayPort, guildID: world.guildID, categoryID: world.categoryID,
            generalChannelID: world.generalChannelID, cozeBotUserID: world.cozeBot.id, cozeBotToken: world.cozeBot.token,
            bridgeBotUserID: world.bridgeBot.id, bridgeBotToken: world.bridgeBot.token,
            spareBotUserID: world.spareBot.id, spareBotToken: world.spareBot.token,
            secondSpareBotUserID: world.secondSpareBot.id, secondSpareBotToken: world.secondSpareBot.token, userID: world.owner.id,
            userToken: world.owner.token)
        let counters = EmulatorCounters()
        world.counters = counters
        let faults = FaultInjector()
        let rateLimiter = RateLimiter(settings: settings.rateLimits)
        let emulator = DiscordEmulator(
            info: info, world: world, counters: counters, faults: faults, rateLimiter: rateLimiter, coze: coze,
            scenario: scenario, serverChannels: [serverChannel, gatewayChannel])
        let rest = RESTRouter(world: world, counters: counters, faults: faults, rateLimiter: rateLimiter)
        routerBox.withLockedValue { $0 = EmulatorRouter(emulator: emulator, rest: rest) }
        return emulator
    }

    private static func configure(channel: any Channel, router: EmulatorRouter, world: EmulatorWorld, counters: EmulatorCounters)
        throws
    {
        let httpHandlerName = "cozebridge.emulator.http"
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let handlers = channel.pipeline.syncOperations
                    try handlers.addHandler(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: 1 << 20))
                    try handlers.addHandler(
                        GatewayConnectionHandler(world: world, counters: counters, parameters: GatewayURLParameters(uri: head.uri)))
                }
            })
        let operations = channel.pipeline.syncOperations
        try operations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.removeHandler(name: httpHandlerName, promise: nil)
                }
            ))
        try operations.addHandler(HTTPRequestHandler(route: router.route), name: httpHandlerName)
    }

    /// Stops listening, cancels running Coze replies and closes every gateway connection.
    public func shutdown() async throws {
        for channel in serverChannels { try? await channel.close() }
        await coze.shutdown()
        world.lock.withLock {
            for session in world.sessions.values { session.connection?.drop() }
            world.sessions.removeAll()
        }
    }

    // MARK: Control

    /// The live scenario as JSON: every setting, the defaults merged with the scenario given at
    /// start and every patch since (docs/emulator.md, `GET /_emulator/scenario`).
    public var scenario: JSONValue {
        scenarioJSON.withLockedValue { live in
            // `live` holds only the keys ever given (patches merge into it); it was accepted when
            // it was stored, so decoding it again yields the settings in force.
            (try? EmulatorScenario(json: live))?.json ?? live
        }
    }

    /// Merges `patch` into the live scenario (partial objects merge key by key).
    public func updateScenario(_ patch: JSONValue) throws {
        try scenarioJSON.withLockedValue { live in
            let merged = EmulatorScenario.merge(live, patch)
            let settings = try EmulatorScenario(json: merged)
            live = merged
            world.lock.withLock {
                world.gatewaySettings = settings.gateway
                world.maxGuildChannels = settings.maxGuildChannels
                world.recordsMarkerWrites = settings.coze.timestampMarkers
            }
            rateLimiter.update(settings: settings.rateLimits)
            coze.update(settings: settings.coze, seed: settings.seed)
        }
    }

    /// Request, rate-limit and gateway counters.
    public var counters: JSONValue { counterStore.json }

    /// Gateway sessions: id, user, intents, sequence, connected, compression.
    public var sessions: JSONValue { world.sessionsJSON() }

    /// With `coze.timestamp_markers`: when each marked edit was written to each session's socket
    /// (`MarkerWriteLog.json`).
    public var markerWrites: JSONValue { world.markerWrites.json }

    /// Forgets the marked writes noted so far.
    public func clearMarkerWrites() { world.markerWrites.clear() }

    /// Drops gateway connections (of `token`'s identity, or all) without a close frame; new
    /// connections get no HELLO for `refuseMilliseconds`.
    @discardableResult
    public func dropGatewayConnections(token: String? = nil, refuseMilliseconds: UInt64 = 0) -> Int {
        world.dropGatewayConnections(token: token, refuseMilliseconds: refuseMilliseconds)
    }

    /// Sends op 7 RECONNECT.
    @discardableResult
    public func sendReconnect(token: String? = nil) -> Int { world.requestReconnect(token: token) }

    /// Sends op 9 INVALID_SESSION.
    @discardableResult
    public func sendInvalidSession(token: String? = nil, resumable: Bool = false) -> Int {
        world.invalidateSessions(token: token, resumable: resumable)
    }

    /// The next `count` REST requests fail with `status`; with `afterProcessing` each is carried
    /// out first, as when Discord did the work but its answer was lost.
    public func failNextRequests(count: Int, status: Int = 500, afterProcessing: Bool = false) {
        faults.failNextRequests(count: count, status: status, afterProcessing: afterProcessing)
    }

    /// The next `count` REST requests get a 429.
    public func forceRateLimits(count: Int, retryAfter: Double = 1.0, global: Bool = false) {
        rateLimiter.forceRateLimits(count: count, retryAfter: retryAfter, global: global)
    }

    /// Delays every REST answer.
    public func setLatency(milliseconds: Int) { faults.setLatency(milliseconds: milliseconds) }

    /// Ends every injected fault.
    public func clearFaults() {
        faults.clear()
        rateLimiter.clearForcedRateLimits()
        world.lock.withLock { world.refuseGatewayUntilMilliseconds = 0 }
    }
}
