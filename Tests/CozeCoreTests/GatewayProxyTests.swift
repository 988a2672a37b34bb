import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// The gateway socket through loopback HTTP CONNECT and SOCKS5 proxies written for the test.
@Suite struct GatewayProxyTests {
    @Test(arguments: [DiscordProxy.Kind.http, .socks5])
    func theSessionBecomesReadyThroughTheProxy(kind: DiscordProxy.Kind) async throws {
        let proxy = try await LoopbackProxy.start(kind == .http ? .httpConnect : .socks5)
        let harness = try await GatewayHarness.start {
            $0.proxy = DiscordProxy(kind: kind, host: "127.0.0.1", port: proxy.port)
        }
        try await harness.startAndWaitForReady()
        try await harness.post("through the \(kind.rawValue) proxy")
        #expect(await harness.recorder.waitUntil { $0.messageContents == ["through the \(kind.rawValue) proxy"] })
        #expect(proxy.connections == 1)
        #expect(proxy.tunnels == 1)
        #expect(harness.counter("gateway_connections") == 1)
        try await harness.stop()
        await proxy.stop()
    }

    @Test(arguments: [DiscordProxy.Kind.http, .socks5])
    func anUnreachableProxyIsRetriedNotBypassed(kind: DiscordProxy.Kind) async throws {
        let harness = try await GatewayHarness.start {
            $0.proxy = DiscordProxy(kind: kind, host: "127.0.0.1", port: 9)
        }
        harness.client.start()
        #expect(await harness.recorder.waitUntil { $0.reconnectReasons.count >= 2 })
        guard case .connectFailed(let detail) = harness.recorder.reconnectReasons.first else {
            Issue.record("reasons: \(harness.recorder.reconnectReasons)")
            return
        }
        #expect(detail.contains("\(kind.rawValue)://127.0.0.1:9"))
        #expect(harness.counter("gateway_connections") == 0)
        try await harness.stop()
    }
}
