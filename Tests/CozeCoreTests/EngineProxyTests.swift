import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// The engine with `UsingProxy` on: both of a bot's Discord clients (REST and gateway) go through
/// the configured proxy, and a whole turn works through it.
@Suite("Engine through a proxy", .serialized)
struct EngineProxyTests {
    @Test(
        "a full turn through the proxy: REST and gateway both tunnelled, nothing bypasses it",
        arguments: [ProxyConfiguration.ProxyType.socks5, .http])
    func turnThroughProxy(_ type: ProxyConfiguration.ProxyType) async throws {
        let proxy = try await LoopbackProxy.start(type == .socks5 ? .socks5 : .httpConnect)
        let harness = try await EngineHarness.start(
            proxy: ProxyConfiguration(isEnabled: true, host: "127.0.0.1", port: proxy.port, type: type))
        let info = harness.info
        let expected = DiscordProxy(kind: type == .socks5 ? .socks5 : .http, host: "127.0.0.1", port: proxy.port)
        #expect(harness.bridge.bots[0].gateway.configuration.proxy == expected)
        #expect(harness.bridge.bots[0].listenerREST.configuration.proxy == expected)

        let prompt = "Tell me about tunnels"
        let log = await EngineTurnLog.collect(
            harness.bridge.stream(accessKey: EngineHarness.key, conversation: "proxied", prompt: prompt))
        let result = try #require(log.result, "\(log.events) \(String(describing: log.thrown))")
        #expect(result.text == harness.answer(prompt))
        #expect(log.foldedText == result.text)
        #expect(result.completion == .suggestions)

        // The gateway session is the proxy's tunnel to the gateway port (its upgrade request the
        // only HTTP head in it), and every REST request the emulator saw from the bot came
        // through a tunnel to the API port.
        #expect(proxy.tunnels(toPort: info.gatewayPort) == 1)
        #expect(proxy.requestHeads(toPort: info.gatewayPort) == 1)
        #expect(harness.emulator.counters["gateway_connections"]?.intValue == 1)
        let botRequests = try #require(harness.emulator.counters["by_token"]?[info.bridgeBotToken]?["requests"]?.intValue)
        #expect(botRequests >= 2)  // at least the channel and the prompt
        #expect(proxy.requestHeads(toPort: info.port) == botRequests)
        #expect(proxy.tunnels(toPort: info.port) >= 1)
        #expect(proxy.tunnels == proxy.tunnels(toPort: info.port) + 1)
        try await harness.stop()
        await proxy.stop()
    }
}
