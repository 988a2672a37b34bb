import DiscordWire
import Testing

@testable import CozeCore

/// The proxy setting is honoured: through a working loopback proxy every request reaches the
/// emulator inside the proxy's tunnels; with an unreachable SOCKS5 or HTTP proxy nothing reaches
/// the emulator, and the failure is a typed transport error that names the proxy.
@Suite struct DiscordRESTProxyTests {
    @Test(arguments: [DiscordProxy.Kind.http, .socks5])
    func requestsGoThroughAWorkingProxy(kind: DiscordProxy.Kind) async throws {
        let proxy = try await LoopbackProxy.start(kind == .http ? .httpConnect : .socks5)
        let harness = try await RESTHarness.start(tweak: {
            $0.proxy = DiscordProxy(kind: kind, host: "127.0.0.1", port: proxy.port)
            $0.maxTransportRetries = 0
        })
        let info = harness.emulator.info

        let me = try await harness.client.currentUser()
        #expect(me["id"]?.snowflakeValue == info.bridgeBotUserID)
        let channel = try await harness.newChannel("via-\(kind.rawValue)")
        let created = try await harness.client.createMessage(
            channelID: channel, payload: ["content": .string("through the \(kind.rawValue) proxy")])
        #expect(created["channel_id"]?.snowflakeValue == channel)
        // A multipart body crosses the tunnel intact.
        let file = DiscordFileUpload(filename: "note.txt", contentType: "text/plain", bytes: Array("proxied bytes".utf8))
        let upload = try await harness.client.createMessage(
            channelID: channel, payload: ["content": "with a file"], files: [file])
        #expect(upload["attachments"]?[0]?["size"]?.intValue == 13)
        #expect(try await harness.contents(of: channel) == ["through the \(kind.rawValue) proxy", "with a file"])

        // Every request the emulator answered came through a tunnel of the proxy to the API port.
        let requests = harness.requests
        #expect(requests == 5)
        #expect(proxy.requestHeads(toPort: info.port) == requests)
        #expect(proxy.tunnels >= 1 && proxy.tunnels <= requests)
        #expect(proxy.targets.allSatisfy { $0 == "127.0.0.1:\(info.port)" }, "\(proxy.targets)")
        #expect(proxy.connections == proxy.tunnels)
        if kind == .http {
            // AsyncHTTPClient tunnels plain http:// with CONNECT too (no absolute-form requests).
            let connect = "CONNECT 127.0.0.1:\(info.port) HTTP/1.1"
            #expect(proxy.handshakeLines.allSatisfy { $0 == connect }, "\(proxy.handshakeLines)")
            #expect(proxy.handshakeLines.count == proxy.tunnels)
        } else {
            #expect(proxy.handshakeLines.isEmpty)
        }
        #expect(harness.client.statistics.transportRetries == 0)
        try await harness.stop()
        await proxy.stop()
    }

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
