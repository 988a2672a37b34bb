import DiscordWire
import Testing

@testable import CozeCore

/// The proxy setting is honoured: with an unreachable SOCKS5 or HTTP proxy nothing reaches the
/// emulator, and the failure is a typed transport error that names the proxy.
@Suite struct DiscordRESTProxyTests {
    @Test(arguments: [DiscordProxy.Kind.http, .socks5])
    func anUnreachableProxyIsATypedErrorAndNothingBypassesIt(kind: DiscordProxy.Kind) async throws {
        // Nothing listens on loopback port 9 (discard): the proxy connection is refused.
        let harness = try await RESTHarness.start(tweak: {
            $0.proxy = DiscordProxy(kind: kind, host: "127.0.0.1", port: 9)
            $0.maxTransportRetries = 1
            $0.connectTimeout = .seconds(2)
            $0.requestTimeout = .seconds(3)
        })
        let error = await #expect(throws: DiscordHTTPError.self) { try await harness.client.currentUser() }
        #expect(error?.kind == .transport || error?.kind == .timeout)
        #expect(harness.requests == 0)
        #expect(harness.client.statistics.transportRetries == 1)
        try await harness.stop()
    }
}
