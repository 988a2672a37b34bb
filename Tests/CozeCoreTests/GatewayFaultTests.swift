import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// The gateway client under the emulator's faults: every path ends in a live session without
/// lost or duplicated events, or in a typed fatal error without a reconnect loop.
@Suite struct GatewayFaultTests {
    @Test func aDroppedConnectionWhileMessagesArePostedResumesWithoutGapOrDuplicate() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        let expected = (0..<12).map { "message \($0)" }
        for (index, content) in expected.enumerated() {
            try await harness.post(content)
            if index == 3 { #expect(harness.emulator.dropGatewayConnections(token: harness.emulator.info.bridgeBotToken) == 1) }
        }
        #expect(await harness.recorder.waitUntil { $0.messageContents.count >= expected.count })
        #expect(harness.recorder.messageContents == expected)
        #expect(harness.recorder.resumedCount == 1)
        let sequences = harness.recorder.dispatches.map(\.sequence)
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
        #expect(harness.client.statistics.sequenceGaps == 0)
        #expect(harness.counter("resumes") == 1)
        #expect(harness.counter("identifies") == 1)
        #expect(harness.recorder.readies.count == 1)
        guard case .connectionLost = harness.recorder.reconnectReasons.first else {
            Issue.record("reasons: \(harness.recorder.reconnectReasons)")
            return
        }
        #expect(harness.client.status == .ready)
        // The emulator's session and the client agree on the last sequence number.
        #expect(harness.emulator.sessions[0]?["seq"]?.intValue == harness.client.statistics.dispatches)
        try await harness.stop()
    }

    @Test func opcode7ReconnectResumesTheSession() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        let session = harness.client.sessionID
        #expect(harness.emulator.sendReconnect(token: harness.emulator.info.bridgeBotToken) == 1)
        #expect(await harness.recorder.waitUntil { $0.resumedCount == 1 })
        try await harness.post("after reconnect")
        #expect(await harness.recorder.waitUntil { $0.messageContents == ["after reconnect"] })
        #expect(harness.recorder.reconnectReasons == [.serverRequestedReconnect])
        #expect(harness.counter("resumes") == 1)
        #expect(harness.counter("identifies") == 1)
        #expect(harness.counter("gateway_connections") == 2)
        #expect(harness.client.sessionID == session)
        try await harness.stop()
    }

    @Test func aNonResumableInvalidSessionReidentifiesAndEventsKeepFlowing() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        try await harness.post("before")
        #expect(await harness.recorder.waitUntil { $0.messageContents == ["before"] })
        let first = try #require(harness.client.sessionID)
        #expect(harness.emulator.sendInvalidSession(token: harness.emulator.info.bridgeBotToken, resumable: false) == 1)
        #expect(await harness.recorder.waitUntil { $0.readies.count == 2 })
        try await harness.post("after")
        #expect(await harness.recorder.waitUntil { $0.messageContents == ["before", "after"] })
        #expect(harness.counter("identifies") == 2)
        #expect(harness.counter("resumes") == 0)
        #expect(harness.recorder.reconnectReasons == [.invalidSession(resumable: false)])
        #expect(harness.client.sessionID != first)
        #expect(harness.recorder.readies.last?.sessionID == harness.client.sessionID)
        try await harness.stop()
    }

    @Test func aResumableInvalidSessionResumes() async throws {
        let harness = try await GatewayHarness.start()
        try await harness.startAndWaitForReady()
        #expect(harness.emulator.sendInvalidSession(token: harness.emulator.info.bridgeBotToken, resumable: true) == 1)
        #expect(await harness.recorder.waitUntil { $0.resumedCount == 1 })
        #expect(harness.counter("resumes") == 1)
        #expect(harness.counter("identifies") == 1)
        try await harness.stop()
    }

    @Test func aBadTokenStopsWithTheTyped4004ErrorAndNoReconnectLoop() async throws {
        let harness = try await GatewayHarness.start(token: "not-a-token")
        harness.client.start()
        // No time bound on the stop itself (a loaded machine or a sanitizer run took just over
        // 1 s): what shows there was no retry is the single connection below, given the harness's
        // 50 ms backoff.
        #expect(await harness.recorder.waitUntil(timeout: .seconds(10)) { $0.stopped != nil })
        let error = try #require(harness.recorder.stopped ?? nil)
        #expect(error.kind == .authenticationFailed)
        #expect(error.closeCode == 4004)
        #expect(error.description.contains("bot test-bot"))
        #expect(error.description.contains("Discord_Bot_Token"))
        #expect(harness.client.status == .stopped(.fatal(error)))
        try await Task.sleep(for: .milliseconds(300))
        #expect(harness.counter("gateway_connections") == 1)
        #expect(harness.recorder.reconnectReasons.isEmpty)
        try await harness.stop()
    }

    @Test func aDisabledPrivilegedIntentStopsWithTheTyped4014Error() async throws {
        let harness = try await GatewayHarness.start(["gateway": ["enabled_privileged_intents": []]])
        harness.client.start()
        // A generous bound (it returns as soon as the client stops): 2 s failed under AddressSanitizer.
        #expect(await harness.recorder.waitUntil(timeout: .seconds(10)) { $0.stopped != nil })
        let error = try #require(harness.recorder.stopped ?? nil)
        #expect(error.kind == .disallowedIntents)
        #expect(error.closeCode == 4014)
        #expect(error.description.contains("MESSAGE_CONTENT"))
        #expect(error.description.contains("Message Content Intent"))
        #expect(error.description.contains("Privileged Gateway Intents"))
        #expect(harness.counter("gateway_connections") == 1)
        try await harness.stop()
    }

    @Test func aRefusalWindowIsRetriedWithBackoffUntilTheSessionResumes() async throws {
        let harness = try await GatewayHarness.start(tweak: { $0.helloTimeout = .milliseconds(250) })
        try await harness.startAndWaitForReady()
        // Connections made in the next 1.2 s get no HELLO: each attempt times out and backs off.
        #expect(harness.emulator.dropGatewayConnections(token: harness.emulator.info.bridgeBotToken, refuseMilliseconds: 1200) == 1)
        try await harness.post("during the outage")
        #expect(await harness.recorder.waitUntil(timeout: .seconds(6)) { $0.resumedCount == 1 })
        #expect(await harness.recorder.waitUntil { $0.messageContents == ["during the outage"] })
        let reasons = harness.recorder.reconnectReasons
        #expect(reasons.contains(.helloTimeout))
        #expect(harness.counter("gateway_connections") >= 3)
        #expect(harness.counter("resumes") == 1)
        #expect(harness.counter("identifies") == 1)
        #expect(harness.client.status == .ready)
        try await harness.stop()
    }

    @Test func aConnectionThatStopsDeliveringIsDetectedAsAZombieAndResumed() async throws {
        let proxy = try await LoopbackProxy.start(.socks5)
        // 500 ms, not less: a whole sanitizer suite running in parallel once kept an ACK of the
        // resumed connection from arriving within 200 ms, a second (real) zombie.
        let harness = try await GatewayHarness.start(["gateway": ["heartbeat_interval_ms": 500]]) {
            $0.proxy = DiscordProxy(kind: .socks5, host: "127.0.0.1", port: proxy.port)
        }
        try await harness.startAndWaitForReady()
        // The server's bytes (ACKs included) stop reaching the client; its own still get through.
        proxy.freezeExistingConnections()
        #expect(await harness.recorder.waitUntil(timeout: .seconds(20)) { $0.resumedCount == 1 })
        #expect(harness.recorder.reconnectReasons == [.zombieConnection])
        #expect(harness.client.statistics.zombieConnections == 1)
        #expect(harness.counter("resumes") == 1)
        #expect(harness.counter("identifies") == 1)
        try await harness.stop()
        await proxy.stop()
    }
}
