import DiscordEmulator
import DiscordWire
import Synchronization
import Testing

@testable import CozeCore

/// An emulator, a gateway client of its bridge bot (with test-sized timings), a recorder of the
/// client's events and a REST client of the emulator's user account for posting messages.
struct GatewayHarness {
    let emulator: DiscordEmulator
    let client: DiscordGatewayClient
    let recorder: GatewayEventRecorder
    let rest: DiscordRESTClient

    /// `scenario` merges over a base without rate limits; `tweak` adjusts the client settings.
    static func start(
        _ scenario: JSONValue = [:], token: String? = nil,
        tweak: (inout DiscordGatewayConfiguration) -> Void = { _ in }
    ) async throws -> GatewayHarness {
        var merged: JSONValue = ["rate_limits": ["enabled": false], "gateway": ["heartbeat_interval_ms": 1000]]
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
        var configuration = DiscordGatewayConfiguration(
            token: token ?? emulator.info.bridgeBotToken, botLabel: "test-bot", gatewayURL: emulator.info.gateway)
        configuration.connectTimeout = .seconds(3)
        configuration.helloTimeout = .seconds(3)
        configuration.backoff = DiscordGatewayBackoff(initial: .milliseconds(50), maximum: .milliseconds(400))
        configuration.invalidSessionDelay = .milliseconds(50) ... .milliseconds(150)
        tweak(&configuration)
        let client = DiscordGatewayClient(configuration: configuration)
        let recorder = GatewayEventRecorder(client.events())
        let rest = DiscordRESTClient(
            configuration: DiscordRESTClient.Configuration(
                token: emulator.info.userToken, tokenKind: .user, baseURL: emulator.info.api, requestTimeout: .seconds(10)))
        return GatewayHarness(emulator: emulator, client: client, recorder: recorder, rest: rest)
    }

    func stop() async throws {
        await client.shutdown()
        try await rest.shutdown()
        try await emulator.shutdown()
    }

    /// An emulator counter (`identifies`, `resumes`, `gateway_connections`, …).
    func counter(_ name: String) -> Int { emulator.counters[name]?.intValue ?? -1 }

    /// Starts the client and waits for READY.
    func startAndWaitForReady() async throws {
        client.start()
        let status = await client.waitForStatus(timeout: .seconds(5)) { $0 == .ready }
        try #require(status == .ready, "gateway status: \(status)")
        // The status turns ready before subscribers have taken the READY event from their streams.
        try #require(await recorder.waitUntil(timeout: .seconds(20)) { !$0.readies.isEmpty })
    }

    /// Posts `content` as the user account in the general channel.
    @discardableResult
    func post(_ content: String) async throws -> Snowflake {
        let message = try await rest.createMessage(
            channelID: emulator.info.generalChannelID, payload: ["content": .string(content)])
        return try #require(message["id"]?.snowflakeValue)
    }
}

/// Collects every event of one subscription, for assertions.
final class GatewayEventRecorder: Sendable {
    private let recorded = Synchronization.Mutex<[DiscordGatewayEvent]>([])

    /// Listens until the stream ends (the client's `.stopped`).
    init(_ stream: AsyncStream<DiscordGatewayEvent>) {
        Task { [self] in
            for await event in stream { self.recorded.withLock { $0.append(event) } }
        }
    }

    var events: [DiscordGatewayEvent] { recorded.withLock { $0 } }

    /// `(name, sequence, data)` of every dispatch, in arrival order.
    var dispatches: [(name: String, sequence: Int, data: JSONValue)] {
        events.compactMap {
            if case .dispatch(let name, let sequence, let data) = $0 { return (name, sequence, data) }
            return nil
        }
    }

    /// Contents of the MESSAGE_CREATE dispatches seen.
    var messageContents: [String] {
        dispatches.filter { $0.name == "MESSAGE_CREATE" }.compactMap { $0.data["content"]?.stringValue }
    }

    var readies: [DiscordGatewayReady] {
        events.compactMap {
            if case .ready(let ready) = $0 { return ready }
            return nil
        }
    }

    var resumedCount: Int {
        events.filter {
            if case .resumed = $0 { return true }
            return false
        }.count
    }

    var reconnectReasons: [DiscordGatewayReconnectReason] {
        events.compactMap {
            if case .reconnecting(let reason) = $0 { return reason }
            return nil
        }
    }

    /// The error of the `.stopped` event, `.some(nil)` for a clean stop, `nil` while running.
    var stopped: DiscordGatewayError?? {
        for event in events {
            if case .stopped(let error) = event { return .some(error) }
        }
        return nil
    }

    /// Polls until `condition` holds; returns whether it did.
    func waitUntil(
        timeout: Duration = .seconds(5), _ condition: (GatewayEventRecorder) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }
}
