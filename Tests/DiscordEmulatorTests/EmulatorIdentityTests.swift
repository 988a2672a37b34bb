@testable import DiscordEmulator
import DiscordWire
import Testing

/// The emulator's identities (docs/emulator.md, ready line): the second spare bot, which lets
/// benchmarks put four posting tokens behind one key, and the live scenario the control endpoint
/// reports.
@Suite struct EmulatorIdentityTests {
    static let seed: UInt64 = 5

    @Test func readyLineKeepsEveryOldKeyAndAddsTheSecondSpareBot() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let line = info.json
        // Older consumers (tests/python/emu.py REQUIRED_INFO_KEYS, bench/) read these names.
        for key in [
            "api", "gateway", "control", "base_url", "port", "gateway_port", "guild_id", "category_id",
            "general_channel_id", "coze_bot_user_id", "coze_bot_token", "bridge_bot_user_id", "bridge_bot_token",
            "spare_bot_user_id", "spare_bot_token", "user_id", "user_token",
        ] {
            #expect(line[key] != nil, "ready line lacks \(key)")
        }
        #expect(line["spare_bot_2_token"]?.stringValue == info.secondSpareBotToken)
        #expect(line["spare_bot_2_user_id"]?.snowflakeValue == info.secondSpareBotUserID)
        let tokens = [info.bridgeBotToken, info.spareBotToken, info.secondSpareBotToken, info.userToken, info.cozeBotToken]
        #expect(Set(tokens).count == tokens.count)
        let ids = [info.bridgeBotUserID, info.spareBotUserID, info.secondSpareBotUserID, info.userID, info.cozeBotUserID]
        #expect(Set(ids).count == ids.count)

        let rest = RESTProbe(emulator: emulator)
        let me = try await rest.bot(.GET, "/users/@me", token: info.secondSpareBotToken)
        #expect(me.status == 200)
        #expect(me.json?["id"]?.snowflakeValue == info.secondSpareBotUserID)
        #expect(me.json?["bot"] == true)
        // A bot token is only valid with `Bot `, as on Discord.
        #expect(try await rest.request(.GET, "/users/@me", authorization: info.secondSpareBotToken).status == 401)
        let members = try await rest.bot(.GET, "/guilds/\(info.guildID)/members?limit=100")
        let memberIDs = members.json?.arrayValue?.compactMap { $0["user"]?["id"]?.snowflakeValue } ?? []
        #expect(memberIDs.contains(info.secondSpareBotUserID))
        try await emulator.shutdown()
    }

    /// Four posting identities at once (three bot tokens and the user account), each with its own
    /// gateway session and its own channel: every prompt gets its own complete Coze answer.
    @Test func fourPostingIdentitiesEachRunASessionAndGetCozeAnswers() async throws {
        let emulator = try await DiscordEmulator.startForTests(["seed": .int(Int64(Self.seed))])
        let info = emulator.info
        let rest = RESTProbe(emulator: emulator)
        struct Poster {
            var name: String
            var token: String
            var userID: Snowflake
            var isBot: Bool
        }
        let posters = [
            Poster(name: "bridge", token: info.bridgeBotToken, userID: info.bridgeBotUserID, isBot: true),
            Poster(name: "spare", token: info.spareBotToken, userID: info.spareBotUserID, isBot: true),
            Poster(name: "spare2", token: info.secondSpareBotToken, userID: info.secondSpareBotUserID, isBot: true),
            Poster(name: "user", token: info.userToken, userID: info.userID, isBot: false),
        ]
        var probes: [GatewayProbe] = []
        for poster in posters {
            let probe = try await GatewayProbe.connect(emulator)
            let ready = try await probe.identify(token: poster.token)
            #expect(ready["user"]?["id"]?.snowflakeValue == poster.userID, "\(poster.name)")
            #expect(ready["user"]?["bot"]?.boolValue == poster.isBot, "\(poster.name)")
            #expect(ready["session_id"]?.stringValue?.isEmpty == false, "\(poster.name)")
            let guild = try await probe.dispatch("GUILD_CREATE")
            #expect(guild["id"]?.snowflakeValue == info.guildID, "\(poster.name)")
            probes.append(probe)
        }
        let sessions = try await rest.control(.GET, "/sessions")
        let connected = Set(
            sessions.json?.arrayValue?.filter { $0["connected"] == true }.compactMap { $0["user_id"]?.snowflakeValue } ?? [])
        #expect(connected == Set(posters.map(\.userID)))

        var prompts: [(poster: Poster, channel: Snowflake, message: JSONValue, text: String)] = []
        for poster in posters {
            let created = try await rest.bot(.POST, "/guilds/\(info.guildID)/channels", json: ["name": .string("room-\(poster.name)")])
            let channel = try #require(created.json?["id"]?.snowflakeValue)
            let text = "<@\(info.cozeBotUserID)> hello from \(poster.name), tell me about lighthouses"
            let path = "/channels/\(channel)/messages"
            let posted =
                poster.isBot
                ? try await rest.bot(.POST, path, json: ["content": .string(text)], token: poster.token)
                : try await rest.user(.POST, path, json: ["content": .string(text)])
            try #require(posted.status == 200, "\(poster.name) posting: \(posted.status)")
            let message = try #require(posted.json)
            #expect(message["author"]?["id"]?.snowflakeValue == poster.userID)
            prompts.append((poster, channel, message, text))
        }

        // Each identity's session sees its own prompt, then Coze's complete reply to it.
        for (index, probe) in probes.enumerated() {
            let (poster, channel, message, text) = prompts[index]
            var promptSeen = false
            var finalContent: String?
            let deadline = ContinuousClock.now + .seconds(10)
            while finalContent == nil {
                let payload = try await probe.nextDispatch(
                    "\(poster.name): Coze's answer", timeout: max(deadline - .now, .milliseconds(1)))
                let data = payload["d"] ?? .null
                guard data["channel_id"]?.snowflakeValue == channel else { continue }
                switch payload["t"]?.stringValue {
                case "MESSAGE_CREATE" where data["id"] == message["id"]:
                    promptSeen = true
                case "MESSAGE_CREATE" where data["author"]?["id"]?.snowflakeValue == info.cozeBotUserID:
                    #expect(data["message_reference"]?["message_id"] == message["id"], "\(poster.name)")
                case "MESSAGE_UPDATE" where !(data["components"]?.arrayValue ?? []).isEmpty:
                    finalContent = data["content"]?.stringValue
                default:
                    continue
                }
            }
            #expect(promptSeen, "\(poster.name)")
            #expect(
                finalContent == CozeAnswerGenerator.answer(prompt: text, previousPrompt: nil, seed: Self.seed),
                "\(poster.name)")
        }
        try await emulator.shutdown()
    }

    @Test func secondSpareBotIsIgnoredLikeAnyBotWhenCozeIgnoresBots() async throws {
        let emulator = try await DiscordEmulator.startForTests(["coze": ["ignore_bot_authors": true]])
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.secondSpareBotToken)
        let posted = try await RESTProbe(emulator: emulator).bot(
            .POST, "/channels/\(info.generalChannelID)/messages", json: ["content": .string("<@\(info.cozeBotUserID)> hi")],
            token: info.secondSpareBotToken)
        #expect(posted.status == 200)
        #expect(try await probe.dispatch("MESSAGE_CREATE")["author"]?["id"]?.snowflakeValue == info.secondSpareBotUserID)
        #expect(try await probe.expectSilence(for: .milliseconds(300)) == nil)
        try await emulator.shutdown()
    }

    // MARK: - GET /_emulator/scenario

    /// docs/emulator.md's scenario file with every default, as the control endpoint must report it.
    static let documentedDefaults: JSONValue = [
        "seed": 1,
        "max_guild_channels": 500,
        "gateway": [
            "heartbeat_interval_ms": 41250,
            "enabled_privileged_intents": ["message_content", "guild_members", "guild_presences"],
            "session_timeout_ms": 120000,
        ],
        "rate_limits": [
            "enabled": true,
            "global_per_second": 50,
            "message_create": ["limit": 5, "window_ms": 5000],
            "message_edit": ["limit": 5, "window_ms": 5000],
            "channel": ["limit": 5, "window_ms": 5000],
            "guild_channels": ["limit": 5, "window_ms": 5000],
            "users_me": ["limit": 2, "window_ms": 1000],
            "default": ["limit": 50, "window_ms": 1000],
        ],
        "coze": [
            "start_delay_ms": 300,
            "edit_interval_ms": 250,
            "edit_jitter_ms": 0,
            "chunks": 4,
            "ignore_bot_authors": false,
            "default_scenario": "plain",
            "long_answer_messages": 3,
            "slow_start_ms": 35000,
            "timestamp_markers": false,
        ],
    ]

    @Test func freshEmulatorReportsEveryDefault() async throws {
        let emulator = try await DiscordEmulator.start()
        let live = try await RESTProbe(emulator: emulator).control(.GET, "/scenario")
        #expect(live.status == 200)
        #expect(live.json == Self.documentedDefaults)
        #expect(emulator.scenario == Self.documentedDefaults)
        try await emulator.shutdown()
    }

    @Test func liveScenarioIsDefaultsMergedWithTheStartScenarioAndEveryPatch() async throws {
        let emulator = try await DiscordEmulator.start(
            scenario: ["seed": 9, "coze": ["chunks": 6], "rate_limits": ["enabled": false]])
        let rest = RESTProbe(emulator: emulator)
        let patched = try await rest.control(
            .PUT, "/scenario",
            json: [
                "coze": ["edit_interval_ms": 40], "gateway": ["enabled_privileged_intents": ["message_content"]],
                "rate_limits": ["message_edit": ["limit": 7]],
            ])
        #expect(patched.status == 200)

        var want = Self.documentedDefaults
        func set(_ value: JSONValue, _ path: String...) {
            want = EmulatorScenario.merge(want, path.reversed().reduce(value) { inner, key in [key: inner] })
        }
        set(9, "seed")
        set(6, "coze", "chunks")
        set(false, "rate_limits", "enabled")
        set(40, "coze", "edit_interval_ms")
        set(["message_content"], "gateway", "enabled_privileged_intents")
        set(7, "rate_limits", "message_edit", "limit")

        let live = try await rest.control(.GET, "/scenario")
        #expect(live.json == want)
        #expect(patched.json == want, "PUT answers with the live scenario too")
        // What GET shows is itself a scenario: sending it back changes nothing.
        let resent = try await rest.control(.PUT, "/scenario", json: live.json)
        #expect(resent.json == want)
        try await emulator.shutdown()
    }
}
