import DiscordEmulator
import DiscordWire
import NIOHTTP1
import Testing

/// Fault injection and inspection, in process and through the HTTP control endpoint.
@Suite struct EmulatorFaultTests {
    @Test func failNextRequestsFailsExactlyThatManyThenRecovers() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        emulator.failNextRequests(count: 2, status: 502)
        for _ in 0..<2 {
            let failed = try await rest.bot(.GET, "/gateway/bot")
            #expect(failed.status == 502)
            #expect(failed.header("Content-Type") == "application/json")
            #expect(failed.json?["code"] == 0)
        }
        let ok = try await rest.bot(.GET, "/gateway/bot")
        #expect(ok.status == 200)
        #expect(ok.json?["shards"] == 1)
        #expect(emulator.counters["server_errors"] == 2)
        #expect(emulator.counters["requests"] == 3)
        try await emulator.shutdown()
    }

    /// Before processing, a failed create leaves nothing; after processing, the message exists
    /// though its answer was a 502.
    @Test(arguments: [false, true])
    func aServerErrorBeforeOrAfterTheRequestWasCarriedOut(afterProcessing: Bool) async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        let set = try await rest.control(
            .POST, "/faults/http-errors", json: ["count": 1, "status": 502, "after_processing": .bool(afterProcessing)])
        #expect(set.status == 200)
        let path = "/channels/\(emulator.info.generalChannelID)/messages"
        let failed = try await rest.bot(.POST, path, json: ["content": "lost answer"])
        #expect(failed.status == 502)
        let listed = try await rest.bot(.GET, path)
        let contents = listed.json?.arrayValue?.compactMap { $0["content"]?.stringValue } ?? []
        #expect(contents.filter { $0 == "lost answer" }.count == (afterProcessing ? 1 : 0))
        try await emulator.shutdown()
    }

    /// Discord's `enforce_nonce`: the same author sending the same nonce again gets the first
    /// message back and no new one; without it, or with another nonce, a message is created.
    @Test func aNonceWithEnforceNonceIsCreatedOnce() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        let path = "/channels/\(emulator.info.generalChannelID)/messages"
        let first = try await rest.bot(.POST, path, json: ["content": "hello", "nonce": "n-1", "enforce_nonce": true])
        let again = try await rest.bot(.POST, path, json: ["content": "hello", "nonce": "n-1", "enforce_nonce": true])
        #expect(first.status == 200 && again.status == 200)
        #expect(again.json?["id"] == first.json?["id"])
        _ = try await rest.bot(.POST, path, json: ["content": "hello", "nonce": "n-2", "enforce_nonce": true])
        _ = try await rest.bot(.POST, path, json: ["content": "hello", "nonce": "n-1"])
        _ = try await rest.user(.POST, path, json: ["content": "hello", "nonce": "n-1", "enforce_nonce": true])
        let listed = try await rest.bot(.GET, path)
        #expect(listed.json?.arrayValue?.filter { $0["content"] == "hello" }.count == 4)
        try await emulator.shutdown()
    }

    @Test func forcedGlobalRateLimit() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        emulator.forceRateLimits(count: 1, retryAfter: 0.2, global: true)
        let limited = try await rest.bot(.GET, "/gateway/bot")
        #expect(limited.status == 429)
        #expect(limited.header("X-RateLimit-Global") == "true")
        #expect(limited.header("X-RateLimit-Scope") == "global")
        #expect(limited.header("Retry-After") == "1")
        #expect(limited.header("Via") != nil)
        #expect(limited.json?["global"] == true)
        #expect(limited.json?["retry_after"]?.doubleValue == 0.2)
        #expect(limited.json?["message"]?.stringValue?.isEmpty == false)
        let next = try await rest.bot(.GET, "/gateway/bot")
        #expect(next.status == 200)
        #expect(emulator.counters["rate_limited"] == 1)
        try await emulator.shutdown()
    }

    @Test func forcedRateLimitsApplyEvenWhenLimitsAreDisabled() async throws {
        let emulator = try await DiscordEmulator.startForTests(["rate_limits": ["enabled": false]])
        let rest = RESTProbe(emulator: emulator)
        emulator.forceRateLimits(count: 2, retryAfter: 1.5, global: false)
        for _ in 0..<2 {
            let limited = try await rest.bot(.GET, "/users/@me")
            #expect(limited.status == 429)
            #expect(limited.json?["global"] == false)
            #expect(limited.json?["retry_after"]?.doubleValue == 1.5)
            #expect(limited.header("Retry-After") == "2")
            #expect(limited.header("X-RateLimit-Global") == nil)
        }
        #expect(try await rest.bot(.GET, "/users/@me").status == 200)
        try await emulator.shutdown()
    }

    @Test func latencyDelaysEveryAnswerUntilCleared() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        emulator.setLatency(milliseconds: 300)
        for path in ["/gateway/bot", "/channels/\(emulator.info.generalChannelID)"] {
            let start = ContinuousClock.now
            #expect(try await rest.bot(.GET, path).status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(300), "\(path)")
        }
        emulator.setLatency(milliseconds: 3000)
        emulator.clearFaults()
        let start = ContinuousClock.now
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        #expect(ContinuousClock.now - start < .milliseconds(2000))
        try await emulator.shutdown()
    }

    @Test func clearFaultsEndsPendingErrorsAndRateLimits() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        emulator.failNextRequests(count: 5, status: 500)
        emulator.forceRateLimits(count: 5, retryAfter: 1, global: false)
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 500)
        emulator.clearFaults()
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        try await emulator.shutdown()
    }

    @Test func dropWithRefusalDelaysHello() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let (probe, _) = try await identifiedProbe(emulator, token: emulator.info.bridgeBotToken)
        let droppedAt = ContinuousClock.now
        #expect(emulator.dropGatewayConnections(refuseMilliseconds: 400) == 1)
        #expect(try await probe.closeCode() == nil)
        let again = try await GatewayProbe.connect(emulator)
        #expect(try await again.nextPayload("HELLO")["op"] == 10)
        // The refusal is counted from the drop, in whole milliseconds.
        #expect(ContinuousClock.now - droppedAt >= .milliseconds(398))
        // Later connections are served at once again.
        let later = try await GatewayProbe.connect(emulator)
        let connectedAt = ContinuousClock.now
        #expect(try await later.nextPayload("HELLO")["op"] == 10)
        #expect(ContinuousClock.now - connectedAt < .milliseconds(300))
        try await emulator.shutdown()
    }

    // MARK: The HTTP control endpoint

    @Test func controlEndpointInjectsRESTFaults() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)

        let errors = try await rest.control(.POST, "/faults/http-errors", json: ["count": 2, "status": 503])
        #expect(errors.status == 200)
        #expect(errors.header("Content-Type") == "application/json")
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 503)
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 503)
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        // Default status 500.
        #expect(try await rest.control(.POST, "/faults/http-errors", json: ["count": 1]).status == 200)
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 500)

        #expect(try await rest.control(.POST, "/faults/rate-limit", json: ["count": 1, "retry_after": 0.25, "global": true]).status == 200)
        let limited = try await rest.bot(.GET, "/gateway/bot")
        #expect(limited.status == 429)
        #expect(limited.json?["global"] == true)
        #expect(limited.json?["retry_after"]?.doubleValue == 0.25)
        #expect(limited.header("X-RateLimit-Global") == "true")
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)

        #expect(try await rest.control(.POST, "/faults/latency", json: ["ms": 300]).status == 200)
        var start = ContinuousClock.now
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        // The control endpoint itself is not delayed or failed.
        #expect(try await rest.control(.POST, "/faults/http-errors", json: ["count": 3]).status == 200)
        #expect(try await rest.control(.GET, "/counters").status == 200)

        // A long latency, then clear: the next answer is prompt again.
        #expect(try await rest.control(.POST, "/faults/latency", json: ["ms": 3000]).status == 200)
        let cleared = try await rest.control(.POST, "/faults/clear")
        #expect(cleared.status == 200)
        start = ContinuousClock.now
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        #expect(ContinuousClock.now - start < .milliseconds(2000))

        let counters = try #require(try await rest.control(.GET, "/counters").json)
        #expect(counters["server_errors"] == 3)
        #expect(counters["rate_limited"] == 1)
        #expect(counters["requests"] == 8)
        #expect(counters["by_token"]?[emulator.info.bridgeBotToken]?["requests"] == 8)
        for key in ["invalid_requests", "gateway_connections", "identifies", "resumes", "dispatches"] {
            #expect(counters[key]?.intValue != nil, "counters lack \(key)")
        }
        try await emulator.shutdown()
    }

    @Test func controlEndpointRefusesBadFaultBodies() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        let missingCount = try await rest.control(.POST, "/faults/http-errors", json: [:])
        #expect(missingCount.status == 400)
        #expect(missingCount.json?["error"]?.stringValue?.contains("count") == true)
        #expect(try await rest.control(.POST, "/faults/http-errors", json: ["count": 1, "status": 404]).status == 400)
        #expect(try await rest.control(.POST, "/faults/latency", json: ["ms": -1]).status == 400)
        let notJSON = try await rest.request(
            .POST, emulator.info.control + "/faults/clear", authorization: nil, body: Array("nope".utf8),
            contentType: "application/json")
        #expect(notJSON.status == 400)
        #expect(try await rest.control(.GET, "/no/such/thing").status == 404)
        // Nothing was injected by the refused calls.
        #expect(try await rest.bot(.GET, "/gateway/bot").status == 200)
        try await emulator.shutdown()
    }

    @Test func controlEndpointDrivesGatewaySessions() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        let (bridge, bridgeSession) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let (spare, _) = try await identifiedProbe(
            emulator, token: info.spareBotToken, intents: [.guilds, .guildMessages], zlibStream: false)

        let sessions = try #require(try await rest.control(.GET, "/sessions").json?.arrayValue)
        #expect(sessions.count == 2)
        let bridgeEntry = try #require(sessions.first { $0["session_id"]?.stringValue == bridgeSession })
        #expect(bridgeEntry["user_id"]?.snowflakeValue == info.bridgeBotUserID)
        #expect(bridgeEntry["intents"]?.intValue == Int(GatewayIntents.bridge.rawValue))
        #expect(bridgeEntry["seq"] == 2)
        #expect(bridgeEntry["connected"] == true)
        #expect(bridgeEntry["compress"] == "zlib-stream")
        let spareEntry = try #require(sessions.first { $0["user_id"]?.snowflakeValue == info.spareBotUserID })
        #expect(spareEntry["compress"] == "none")
        #expect(spareEntry["intents"] == 513)

        let reconnect = try await rest.control(.POST, "/faults/reconnect", json: ["token": .string(info.spareBotToken)])
        #expect(reconnect.json == ["affected": 1])
        #expect(try await spare.nextPayload("RECONNECT") == ["op": 7, "d": nil, "s": nil, "t": nil])

        let invalid = try await rest.control(
            .POST, "/faults/invalid-session", json: ["token": .string(info.spareBotToken), "resumable": true])
        #expect(invalid.json == ["affected": 1])
        #expect(try await spare.nextPayload("INVALID_SESSION") == ["op": 9, "d": true, "s": nil, "t": nil])

        let dropped = try await rest.control(.POST, "/faults/drop-gateway", json: ["token": .string(info.bridgeBotToken)])
        #expect(dropped.json == ["affected": 1])
        #expect(try await bridge.closeCode() == nil)
        #expect(try await spare.expectSilence(for: .milliseconds(100)) == nil)
        let after = try #require(try await rest.control(.GET, "/sessions").json?.arrayValue)
        #expect(after.first { $0["session_id"]?.stringValue == bridgeSession }?["connected"] == false)

        let counters = try #require(try await rest.control(.GET, "/counters").json)
        #expect(counters["gateway_connections"] == 2)
        #expect(counters["identifies"] == 2)
        #expect(counters["dispatches"]?.intValue == 4)
        try await emulator.shutdown()
    }

    @Test func controlEndpointScenarioMergesAndRefusesBadValuesNamingTheKey() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)

        let merged = try await rest.control(.PUT, "/scenario", json: ["coze": ["chunks": 2], "max_guild_channels": 3])
        #expect(merged.status == 200)
        #expect(merged.json?["coze"]?["chunks"] == 2)
        #expect(merged.json?["coze"]?["edit_interval_ms"] == 10, "earlier keys survive a partial update")
        let live = try await rest.control(.GET, "/scenario")
        #expect(live.json?["max_guild_channels"] == 3)
        // The change takes effect: the guild already has 2 channels.
        let guildChannels = "/guilds/\(emulator.info.guildID)/channels"
        #expect(try await rest.bot(.POST, guildChannels, json: ["name": "third"]).status == 201)
        #expect(try await rest.bot(.POST, guildChannels, json: ["name": "fourth"]).json?["code"] == 30013)

        let bad: [(JSONValue, String)] = [
            (["coze": ["chunks": "many"]], "chunks"),
            (["coze": ["chunks": 0]], "chunks"),
            (["coze": ["default_scenario": "nonsense"]], "default_scenario"),
            (["max_guild_channels": 0], "max_guild_channels"),
            (["gateway": ["enabled_privileged_intents": ["everything"]]], "enabled_privileged_intents"),
            (["gateway": ["heartbeat_interval_ms": "soon"]], "heartbeat_interval_ms"),
            (["rate_limits": ["enabled": "yes"]], "enabled"),
            (["seed": -1], "seed"),
        ]
        for (body, key) in bad {
            let refused = try await rest.control(.PUT, "/scenario", json: body)
            #expect(refused.status == 400, "\(body)")
            #expect(refused.header("Content-Type") == "application/json")
            let error = refused.json?["error"]?.stringValue ?? ""
            #expect(error.contains(key), "error \"\(error)\" should name \(key)")
        }
        // A refused update changes nothing.
        let unchanged = try await rest.control(.GET, "/scenario")
        #expect(unchanged.json == live.json)
        try await emulator.shutdown()
    }

    @Test func controlScenarioChangesTheLiveRateLimits() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let rest = RESTProbe(emulator: emulator)
        let update = try await rest.control(
            .PUT, "/scenario", json: ["rate_limits": ["message_create": ["limit": 2, "window_ms": 10_000]]])
        #expect(update.status == 200)
        let path = "/channels/\(emulator.info.generalChannelID)/messages"
        let first = try await rest.bot(.POST, path, json: ["content": "a"])
        #expect(first.header("X-RateLimit-Limit") == "2")
        #expect(first.header("X-RateLimit-Remaining") == "1")
        #expect(try await rest.bot(.POST, path, json: ["content": "b"]).status == 200)
        #expect(try await rest.bot(.POST, path, json: ["content": "c"]).status == 429)
        try await emulator.shutdown()
    }
}
