import DiscordEmulator
import DiscordWire
import Testing

/// Connects, identifies and reads READY and GUILD_CREATE; returns the probe and the session id.
func identifiedProbe(
    _ emulator: DiscordEmulator, token: String, intents: GatewayIntents = .bridge, zlibStream: Bool = true
) async throws -> (probe: GatewayProbe, sessionID: String) {
    let probe = try await GatewayProbe.connect(emulator, zlibStream: zlibStream)
    let ready = try await probe.identify(token: token, intents: intents)
    _ = try await probe.dispatch("GUILD_CREATE")
    return (probe, try #require(ready["session_id"]?.stringValue))
}

@Suite struct EmulatorGatewayTests {
    @Test(arguments: [true, false])
    func identifyGetsReadyThenCompleteGuild(zlibStream: Bool) async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let probe = try await GatewayProbe.connect(emulator, zlibStream: zlibStream)
        let ready = try await probe.identify(token: emulator.info.bridgeBotToken)
        #expect(ready["v"]?.intValue == 10)
        #expect(ready["user"]?["id"]?.snowflakeValue == emulator.info.bridgeBotUserID)
        #expect(ready["session_id"]?.stringValue?.isEmpty == false)
        #expect(ready["resume_gateway_url"]?.stringValue?.hasPrefix("ws://127.0.0.1:") == true)
        #expect(ready["application"]?["flags"]?.intValue != nil)
        let guild = try await probe.dispatch("GUILD_CREATE")
        #expect(guild["id"]?.snowflakeValue == emulator.info.guildID)
        #expect(guild["unavailable"]?.boolValue == false)
        let channelIDs = guild["channels"]?.arrayValue?.compactMap { $0["id"]?.snowflakeValue } ?? []
        #expect(channelIDs.contains(emulator.info.categoryID))
        #expect(channelIDs.contains(emulator.info.generalChannelID))
        #expect(guild["member_count"]?.intValue == guild["members"]?.arrayValue?.count)
        for key in ["roles", "emojis", "stickers", "threads", "presences", "voice_states"] {
            #expect(guild[key]?.arrayValue != nil, "GUILD_CREATE lacks \(key)")
        }
        #expect(emulator.sessions[0]?["compress"]?.stringValue == (zlibStream ? "zlib-stream" : "none"))
        try await emulator.shutdown()
    }

    @Test func badTokenClosesWith4004() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let probe = try await GatewayProbe.connect(emulator)
        _ = try await probe.nextPayload("HELLO")
        try await probe.send(["op": 2, "d": ["token": "nope", "intents": 513, "properties": [:]]])
        #expect(try await probe.closeCode() == 4004)
        try await emulator.shutdown()
    }

    // MARK: Handshake

    @Test func helloComesFirstWithTheScenarioHeartbeatInterval() async throws {
        let emulator = try await DiscordEmulator.startForTests(["gateway": ["heartbeat_interval_ms": 45_000]])
        let probe = try await GatewayProbe.connect(emulator)
        let hello = try await probe.nextPayload("HELLO")
        #expect(hello == ["op": 10, "d": ["heartbeat_interval": 45_000], "s": nil, "t": nil])
        // Nothing else until the client speaks.
        #expect(try await probe.expectSilence(for: .milliseconds(150)) == nil)
        try await emulator.shutdown()
    }

    @Test func heartbeatIsAcknowledgedAtOnceBeforeAndAfterIdentify() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let probe = try await GatewayProbe.connect(emulator)
        _ = try await probe.nextPayload("HELLO")
        let start = ContinuousClock.now
        try await probe.send(["op": 1, "d": nil])
        #expect(try await probe.nextPayload("HEARTBEAT_ACK", timeout: .seconds(1)) == ["op": 11, "d": nil, "s": nil, "t": nil])
        #expect(ContinuousClock.now - start < .seconds(1))
        try await probe.send([
            "op": 2,
            "d": ["token": .string(emulator.info.bridgeBotToken), "intents": 33281, "properties": [:]],
        ])
        _ = try await probe.dispatch("GUILD_CREATE")
        try await probe.send(["op": 1, "d": 2])
        #expect(try await probe.nextPayload("HEARTBEAT_ACK", timeout: .seconds(1)) == ["op": 11, "d": nil, "s": nil, "t": nil])
        try await emulator.shutdown()
    }

    @Test func identifyGetsReadyAtSequenceOneThenGuildCreateAtTwo() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let probe = try await GatewayProbe.connect(emulator)
        _ = try await probe.nextPayload("HELLO")
        try await probe.send([
            "op": 2,
            "d": [
                "token": .string(emulator.info.bridgeBotToken), "intents": 33281, "shard": [0, 1],
                "properties": ["os": "linux", "browser": "t", "device": "t"],
            ],
        ])
        let ready = try await probe.nextDispatch("READY")
        #expect(ready["t"] == "READY")
        #expect(ready["s"] == 1)
        #expect(ready["d"]?["shard"] == [0, 1])
        #expect(ready["d"]?["guilds"] == [["id": .string(emulator.info.guildID.description), "unavailable": true]])
        let guild = try await probe.nextDispatch("GUILD_CREATE")
        #expect(guild["t"] == "GUILD_CREATE")
        #expect(guild["s"] == 2)
        let sessions = try #require(emulator.sessions.arrayValue)
        #expect(sessions.count == 1)
        #expect(sessions.first?["seq"] == 2)
        #expect(sessions.first?["intents"] == 33281)
        #expect(sessions.first?["session_id"] == ready["d"]?["session_id"])
        try await emulator.shutdown()
    }

    /// A payload sent after HELLO (and after IDENTIFY when `identifyFirst`) and the close code it earns.
    struct CloseCase: CustomTestStringConvertible, Sendable {
        var name: String
        var identifyFirst = false
        var payload: Payload
        var code: UInt16
        var scenario: JSONValue = [:]

        enum Payload: Sendable {
            case json(JSONValue)
            case raw([UInt8])
            /// IDENTIFY with the bridge bot's token and these intents.
            case identify(intents: UInt64)
        }

        var testDescription: String { name }
    }

    static let closeCases: [CloseCase] = [
        CloseCase(name: "unknown intent bit 4013", payload: .identify(intents: 1 << 17 | 1), code: 4013),
        CloseCase(name: "negative intents 4013", payload: .identify(intents: UInt64(bitPattern: -1)), code: 4013),
        CloseCase(
            name: "MESSAGE_CONTENT not enabled 4014", payload: .identify(intents: 33281), code: 4014,
            scenario: ["gateway": ["enabled_privileged_intents": []]]),
        CloseCase(
            name: "GUILD_MEMBERS not enabled 4014", payload: .identify(intents: 1 | 2), code: 4014,
            scenario: ["gateway": ["enabled_privileged_intents": ["message_content"]]]),
        CloseCase(name: "second IDENTIFY 4005", identifyFirst: true, payload: .identify(intents: 513), code: 4005),
        CloseCase(
            name: "REQUEST_GUILD_MEMBERS before IDENTIFY 4003",
            payload: .json(["op": 8, "d": ["guild_id": "1", "query": "", "limit": 0]]), code: 4003),
        CloseCase(name: "PRESENCE_UPDATE before IDENTIFY 4003", payload: .json(["op": 3, "d": [:]]), code: 4003),
        CloseCase(name: "unknown opcode 4001", payload: .json(["op": 99, "d": nil]), code: 4001),
        CloseCase(
            name: "unknown opcode after IDENTIFY 4001", identifyFirst: true, payload: .json(["op": 5, "d": nil]),
            code: 4001),
        CloseCase(name: "invalid JSON 4002", payload: .raw(Array(#"{"op": 1, "d": "#.utf8)), code: 4002),
        CloseCase(name: "JSON without op 4002", payload: .json(["d": nil]), code: 4002),
        CloseCase(
            name: "payload over 4096 bytes 4002",
            payload: .raw(Array(#"{"op":1,"d":null,"x":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 4080) + Array(#""}"#.utf8)),
            code: 4002),
    ]

    @Test(arguments: closeCases)
    func protocolErrorsCloseWithDiscordsCode(_ closeCase: CloseCase) async throws {
        let emulator = try await DiscordEmulator.startForTests(closeCase.scenario)
        let probe = try await GatewayProbe.connect(emulator)
        if closeCase.identifyFirst {
            _ = try await probe.identify(token: emulator.info.bridgeBotToken, intents: [.guilds, .guildMessages])
            _ = try await probe.dispatch("GUILD_CREATE")
        } else {
            _ = try await probe.nextPayload("HELLO")
        }
        switch closeCase.payload {
        case .json(let payload):
            try await probe.send(payload)
        case .raw(let bytes):
            try await probe.socket.sendRaw(bytes)
        case .identify(let intents):
            let value: JSONValue = intents == UInt64(bitPattern: -1) ? -1 : .int(Int64(intents))
            try await probe.send([
                "op": 2, "d": ["token": .string(emulator.info.bridgeBotToken), "intents": value, "properties": [:]],
            ])
        }
        #expect(try await probe.closeCode() == closeCase.code)
        try await emulator.shutdown()
    }

    @Test func payloadOfExactly4096BytesIsAccepted() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let probe = try await GatewayProbe.connect(emulator)
        _ = try await probe.nextPayload("HELLO")
        let head = Array(#"{"op":1,"d":null,"x":""#.utf8)
        let tail = Array(#""}"#.utf8)
        let bytes = head + Array(repeating: UInt8(ascii: "a"), count: 4096 - head.count - tail.count) + tail
        #expect(bytes.count == 4096)
        try await probe.socket.sendRaw(bytes)
        #expect(try await probe.nextPayload("HEARTBEAT_ACK")["op"] == 11)
        try await emulator.shutdown()
    }

    /// Query strings `GatewayWebSocket` cannot send (it always adds `v=10&encoding=json`).
    @Test(arguments: [
        ("/?v=9&encoding=json", UInt16(4012)),
        ("/?v=6", UInt16(4012)),
        ("/?v=10&encoding=etf", UInt16(4002)),
        ("/?v=10&encoding=json&compress=zstd-stream", UInt16(4000)),
    ])
    func badURLParametersClose(target: String, code: UInt16) async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let (status, frame) = try await RawWebSocket.firstFrame(port: emulator.info.gatewayPort, target: target)
        #expect(status.hasPrefix("HTTP/1.1 101"))
        #expect(frame?.closeCode == code, "first frame: \(String(describing: frame))")
        try await emulator.shutdown()
    }

    @Test func anyPathAndNoQueryGetHello() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        for target in ["/", "/some/path?foo=bar", "/?v=10&encoding=json"] {
            let (status, frame) = try await RawWebSocket.firstFrame(port: emulator.info.gatewayPort, target: target)
            #expect(status.hasPrefix("HTTP/1.1 101"))
            let frameValue = try #require(frame)
            #expect(frameValue.opcode == 0x1)
            #expect(try JSONValue.parse(frameValue.payload)["op"] == 10, "\(target)")
        }
        try await emulator.shutdown()
    }

    // MARK: Transport compression

    @Test func zlibStreamAndPlainTextDeliverIdenticalPayloads() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let (zlib, _) = try await identifiedProbe(emulator, token: emulator.info.bridgeBotToken, zlibStream: true)
        let (plain, _) = try await identifiedProbe(emulator, token: emulator.info.bridgeBotToken, zlibStream: false)
        let compressions = Set(emulator.sessions.arrayValue?.compactMap { $0["compress"]?.stringValue } ?? [])
        #expect(compressions == ["zlib-stream", "none"])
        let rest = RESTProbe(emulator: emulator)
        for index in 0..<3 {
            // Enough repetition for deflate to back-reference earlier messages of the stream.
            let content = "message \(index): " + String(repeating: "hello zlib ", count: 40)
            let posted = try await rest.bot(
                .POST, "/channels/\(emulator.info.generalChannelID)/messages", json: ["content": .string(content)])
            #expect(posted.status == 200)
            let fromZlib = try await zlib.nextDispatch("MESSAGE_CREATE over zlib")
            let fromPlain = try await plain.nextDispatch("MESSAGE_CREATE over text")
            #expect(fromZlib == fromPlain)
            #expect(fromZlib["s"]?.intValue == 3 + index)
            #expect(fromZlib["d"]?["content"]?.stringValue == content)
        }
        try await emulator.shutdown()
    }

    // MARK: Sessions

    /// Posts `count` messages in the general channel and returns their ids.
    private func postMessages(_ emulator: DiscordEmulator, count: Int, prefix: String) async throws -> [String] {
        let rest = RESTProbe(emulator: emulator)
        var ids: [String] = []
        for index in 0..<count {
            let response = try await rest.request(
                .POST, "/channels/\(emulator.info.generalChannelID)/messages", authorization: emulator.info.userToken,
                json: ["content": .string("\(prefix) \(index)")])
            try #require(response.status == 200)
            ids.append(try #require(response.json?["id"]?.stringValue))
        }
        return ids
    }

    enum DropKind: String, CaseIterable, Sendable {
        case serverDrop
        case clientClose4000
        case clientDropWithoutCloseFrame
    }

    @Test(arguments: DropKind.allCases)
    func resumeReplaysExactlyTheMissedDispatchesThenResumed(_ kind: DropKind) async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let token = emulator.info.bridgeBotToken
        let (probe, sessionID) = try await identifiedProbe(emulator, token: token)
        // One dispatch seen before the drop (s = 3).
        let seen = try await postMessages(emulator, count: 1, prefix: "seen")
        let seenDispatch = try await probe.nextDispatch()
        #expect(seenDispatch["s"] == 3)
        #expect(seenDispatch["d"]?["id"]?.stringValue == seen[0])

        switch kind {
        case .serverDrop:
            #expect(emulator.dropGatewayConnections(token: token) == 1)
            #expect(try await probe.closeCode() == nil)
        case .clientClose4000:
            await probe.socket.close(code: 4000)
        case .clientDropWithoutCloseFrame:
            await probe.socket.drop()
        }
        #expect(
            await eventually { emulator.sessions.arrayValue?.first?["connected"]?.boolValue == false },
            "the session should stay, disconnected")
        let missed = try await postMessages(emulator, count: 3, prefix: "missed")

        let resumed = try await GatewayProbe.connect(emulator)
        _ = try await resumed.nextPayload("HELLO")
        try await resumed.resume(token: token, sessionID: sessionID, sequence: 3)
        for (index, id) in missed.enumerated() {
            let replayed = try await resumed.nextDispatch("replayed MESSAGE_CREATE")
            #expect(replayed["t"] == "MESSAGE_CREATE")
            #expect(replayed["s"]?.intValue == 4 + index)
            #expect(replayed["d"]?["id"]?.stringValue == id)
            #expect(replayed["d"]?["content"]?.stringValue == "missed \(index)")
        }
        let resumedEvent = try await resumed.nextDispatch("RESUMED")
        #expect(resumedEvent == ["op": 0, "t": "RESUMED", "s": 7, "d": [:]])
        // Live again: the next dispatch continues the sequence.
        let live = try await postMessages(emulator, count: 1, prefix: "live")
        let liveDispatch = try await resumed.nextDispatch()
        #expect(liveDispatch["s"] == 8)
        #expect(liveDispatch["d"]?["id"]?.stringValue == live[0])
        #expect(emulator.counters["resumes"] == 1)
        #expect(emulator.sessions.arrayValue?.first?["connected"] == true)
        try await emulator.shutdown()
    }

    @Test func resumeFromAnOlderSequenceReplaysFromThere() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let token = emulator.info.bridgeBotToken
        let (probe, sessionID) = try await identifiedProbe(emulator, token: token)
        emulator.dropGatewayConnections(token: token)
        _ = try await probe.closeCode()
        let resumed = try await GatewayProbe.connect(emulator, zlibStream: false)
        _ = try await resumed.nextPayload("HELLO")
        try await resumed.resume(token: token, sessionID: sessionID, sequence: 1)
        let guild = try await resumed.nextDispatch("replayed GUILD_CREATE")
        #expect(guild["t"] == "GUILD_CREATE")
        #expect(guild["s"] == 2)
        #expect(try await resumed.nextDispatch("RESUMED") == ["op": 0, "t": "RESUMED", "s": 3, "d": [:]])
        try await emulator.shutdown()
    }

    @Test func resumeWithAnUnknownSessionGetsInvalidSessionFalse() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let probe = try await GatewayProbe.connect(emulator)
        _ = try await probe.nextPayload("HELLO")
        try await probe.resume(token: emulator.info.bridgeBotToken, sessionID: "0123456789abcdef", sequence: 0)
        #expect(try await probe.nextPayload("INVALID_SESSION") == ["op": 9, "d": false, "s": nil, "t": nil])
        try await emulator.shutdown()
    }

    @Test func resumeWithAnotherIdentitysTokenGetsInvalidSessionFalse() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let (probe, sessionID) = try await identifiedProbe(emulator, token: emulator.info.bridgeBotToken)
        emulator.dropGatewayConnections()
        _ = try await probe.closeCode()
        let other = try await GatewayProbe.connect(emulator)
        _ = try await other.nextPayload("HELLO")
        try await other.resume(token: emulator.info.spareBotToken, sessionID: sessionID, sequence: 2)
        #expect(try await other.nextPayload("INVALID_SESSION") == ["op": 9, "d": false, "s": nil, "t": nil])
        try await emulator.shutdown()
    }

    @Test(arguments: [UInt16(1000), 1001])
    func closingNormallyEndsTheSession(code: UInt16) async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let token = emulator.info.bridgeBotToken
        let (probe, sessionID) = try await identifiedProbe(emulator, token: token)
        await probe.socket.close(code: code)
        #expect(await eventually { emulator.sessions.arrayValue?.isEmpty == true }, "close \(code) should end the session")
        let again = try await GatewayProbe.connect(emulator)
        _ = try await again.nextPayload("HELLO")
        try await again.resume(token: token, sessionID: sessionID, sequence: 2)
        #expect(try await again.nextPayload("INVALID_SESSION") == ["op": 9, "d": false, "s": nil, "t": nil])
        try await emulator.shutdown()
    }

    @Test func sendReconnectSendsOpcode7ToTheMatchingIdentityOnly() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let (bridge, _) = try await identifiedProbe(emulator, token: emulator.info.bridgeBotToken)
        let (spare, _) = try await identifiedProbe(emulator, token: emulator.info.spareBotToken)
        #expect(emulator.sendReconnect(token: emulator.info.bridgeBotToken) == 1)
        #expect(try await bridge.nextPayload("RECONNECT") == ["op": 7, "d": nil, "s": nil, "t": nil])
        #expect(try await spare.expectSilence(for: .milliseconds(150)) == nil)
        #expect(emulator.sendReconnect() == 2)
        #expect(try await spare.nextPayload("RECONNECT")["op"] == 7)
        try await emulator.shutdown()
    }

    @Test func sendInvalidSessionNotResumableEndsTheSession() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let token = emulator.info.bridgeBotToken
        let (probe, sessionID) = try await identifiedProbe(emulator, token: token)
        #expect(emulator.sendInvalidSession(resumable: false) == 1)
        #expect(try await probe.nextPayload("INVALID_SESSION") == ["op": 9, "d": false, "s": nil, "t": nil])
        #expect(emulator.sessions == [])
        await probe.socket.close(code: 4000)
        let again = try await GatewayProbe.connect(emulator)
        _ = try await again.nextPayload("HELLO")
        try await again.resume(token: token, sessionID: sessionID, sequence: 2)
        #expect(try await again.nextPayload("INVALID_SESSION") == ["op": 9, "d": false, "s": nil, "t": nil])
        try await emulator.shutdown()
    }

    @Test func sendInvalidSessionResumableKeepsTheSession() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let token = emulator.info.bridgeBotToken
        let (probe, sessionID) = try await identifiedProbe(emulator, token: token)
        #expect(emulator.sendInvalidSession(resumable: true) == 1)
        #expect(try await probe.nextPayload("INVALID_SESSION") == ["op": 9, "d": true, "s": nil, "t": nil])
        await probe.socket.close(code: 4000)
        let again = try await GatewayProbe.connect(emulator)
        _ = try await again.nextPayload("HELLO")
        try await again.resume(token: token, sessionID: sessionID, sequence: 2)
        #expect(try await again.nextDispatch("RESUMED") == ["op": 0, "t": "RESUMED", "s": 3, "d": [:]])
        try await emulator.shutdown()
    }

    // MARK: Intents

    @Test func withoutMessageContentOthersMessagesArriveEmptied() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let (spare, _) = try await identifiedProbe(emulator, token: info.spareBotToken, intents: [.guilds, .guildMessages])
        let (bridge, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let rest = RESTProbe(emulator: emulator)
        let channel = info.generalChannelID

        // Someone else's message with content, an embed, a component and a file.
        var multipart = MultipartBody()
        let payload: JSONValue = [
            "content": "secret words",
            "embeds": [["title": "an embed"]],
            "components": [["type": 1, "components": [["type": 2, "style": 5, "label": "site", "url": "https://example.com"]]]],
            "attachments": [["id": 0, "filename": "notes.txt"]],
        ]
        multipart.add(name: "payload_json", bytes: payload.serializedBytes())
        multipart.add(name: "files[0]", filename: "notes.txt", bytes: Array("file text".utf8))
        let posted = try await rest.request(
            .POST, "/channels/\(channel)/messages", authorization: info.userToken, body: multipart.bytes,
            contentType: multipart.contentType)
        #expect(posted.status == 200)

        let emptied = try await spare.dispatch("MESSAGE_CREATE")
        #expect(emptied["id"] == posted.json?["id"])
        #expect(emptied["author"]?["id"]?.snowflakeValue == info.userID)
        #expect(emptied["content"] == "")
        #expect(emptied["embeds"] == [])
        #expect(emptied["attachments"] == [])
        #expect(emptied["components"] == [])
        let full = try await bridge.dispatch("MESSAGE_CREATE")
        #expect(full["content"] == "secret words")
        #expect(full["embeds"]?.arrayValue?.count == 1)
        #expect(full["attachments"]?.arrayValue?.count == 1)
        #expect(full["components"]?.arrayValue?.count == 1)

        // Its own message: full content.
        let own = try await rest.bot(
            .POST, "/channels/\(channel)/messages", json: ["content": "my own words"], token: info.spareBotToken)
        #expect(own.status == 200)
        #expect(try await spare.dispatch("MESSAGE_CREATE")["content"] == "my own words")
        _ = try await bridge.dispatch("MESSAGE_CREATE")

        // A message that mentions it: full content.
        let mention = "<@\(info.spareBotUserID)> look at this"
        let mentioning = try await rest.user(.POST, "/channels/\(channel)/messages", json: ["content": .string(mention)])
        #expect(mentioning.status == 200)
        let mentioned = try await spare.dispatch("MESSAGE_CREATE")
        #expect(mentioned["content"]?.stringValue == mention)
        #expect(mentioned["mentions"]?[0]?["id"]?.snowflakeValue == info.spareBotUserID)

        // An edit of someone else's message is emptied too.
        let messageID = try #require(posted.json?["id"]?.stringValue)
        let edited = try await rest.user(
            .PATCH, "/channels/\(channel)/messages/\(messageID)", json: ["content": "still secret"])
        #expect(edited.status == 200)
        let update = try await spare.dispatch("MESSAGE_UPDATE")
        #expect(update["id"]?.stringValue == messageID)
        #expect(update["content"] == "")
        #expect(update["edited_timestamp"]?.stringValue != nil)
        try await emulator.shutdown()
    }

    @Test func withoutGuildMessagesNoMessageEventsArrive() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let (probe, _) = try await identifiedProbe(emulator, token: info.spareBotToken, intents: [.guilds])
        let rest = RESTProbe(emulator: emulator)
        let posted = try await rest.user(
            .POST, "/channels/\(info.generalChannelID)/messages", json: ["content": .string("<@\(info.spareBotUserID)> hi")])
        #expect(posted.status == 200)
        let id = try #require(posted.json?["id"]?.stringValue)
        #expect(try await rest.user(.PATCH, "/channels/\(info.generalChannelID)/messages/\(id)", json: ["content": "x"]).status == 200)
        #expect(try await rest.user(.DELETE, "/channels/\(info.generalChannelID)/messages/\(id)").status == 204)
        // A marker that does reach it: everything before it was filtered out.
        let created = try await rest.user(.POST, "/guilds/\(info.guildID)/channels", json: ["name": "marker"])
        #expect(created.status == 201)
        let next = try await probe.nextDispatch("CHANNEL_CREATE")
        #expect(next["t"] == "CHANNEL_CREATE")
        #expect(next["s"] == 3)
        #expect(next["d"]?["id"] == created.json?["id"])
        try await emulator.shutdown()
    }

    @Test func withoutGuildsNoGuildCreateAndNoChannelEvents() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let probe = try await GatewayProbe.connect(emulator)
        _ = try await probe.identify(token: info.spareBotToken, intents: [.guildMessages])
        let rest = RESTProbe(emulator: emulator)
        #expect(try await rest.user(.POST, "/guilds/\(info.guildID)/channels", json: ["name": "hidden"]).status == 201)
        let posted = try await rest.user(.POST, "/channels/\(info.generalChannelID)/messages", json: ["content": "marker"])
        let next = try await probe.nextDispatch("MESSAGE_CREATE")
        #expect(next["t"] == "MESSAGE_CREATE")
        #expect(next["s"] == 2)
        #expect(next["d"]?["id"] == posted.json?["id"])
        try await emulator.shutdown()
    }

    @Test func guildEventsReachEveryIdentityAllowedToSeeThem() async throws {
        let emulator = try await DiscordEmulator.startForTests()
        let info = emulator.info
        let (bridge, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let (spare, _) = try await identifiedProbe(
            emulator, token: info.spareBotToken, intents: [.guilds, .guildMessages, .guildMessageTyping, .messageContent],
            zlibStream: false)
        let (spareNoTyping, _) = try await identifiedProbe(
            emulator, token: info.spareBotToken, intents: [.guilds, .guildMessages])
        let (user, _) = try await identifiedProbe(emulator, token: info.userToken)
        let rest = RESTProbe(emulator: emulator)

        let channel = try await rest.bot(
            .POST, "/guilds/\(info.guildID)/channels", json: ["name": "Event Room", "parent_id": .string(info.categoryID.description)])
        #expect(channel.status == 201)
        let channelID = try #require(channel.json?["id"]?.stringValue)
        let thread = try await rest.bot(.POST, "/channels/\(channelID)/threads", json: ["name": "side", "type": 11])
        #expect(thread.status == 201)
        let threadID = try #require(thread.json?["id"]?.stringValue)
        #expect(try await rest.user(.POST, "/channels/\(channelID)/typing").status == 204)
        let message = try await rest.bot(.POST, "/channels/\(channelID)/messages", json: ["content": "first"])
        let messageID = try #require(message.json?["id"]?.stringValue)
        #expect(try await rest.bot(.PATCH, "/channels/\(channelID)/messages/\(messageID)", json: ["content": "second"]).status == 200)
        #expect(try await rest.bot(.DELETE, "/channels/\(channelID)/messages/\(messageID)").status == 204)
        #expect(try await rest.bot(.DELETE, "/channels/\(channelID)").status == 200)

        let all = [
            "CHANNEL_CREATE", "THREAD_CREATE", "TYPING_START", "MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE",
            "CHANNEL_DELETE",
        ]
        for (name, probe, expected, seesContent) in [
            ("bridge", bridge, all, true), ("spare", spare, all, true), ("user", user, all, true),
            ("spare without typing or content", spareNoTyping, all.filter { $0 != "TYPING_START" }, false),
        ] {
            let events = try await probe.dispatches(until: "CHANNEL_DELETE")
            #expect(events.compactMap { $0["t"]?.stringValue } == expected, "\(name)")
            #expect(events.compactMap { $0["s"]?.intValue } == Array(3..<(3 + expected.count)), "\(name)")
            let byName = Dictionary(events.map { ($0["t"]?.stringValue ?? "", $0["d"] ?? .null) }, uniquingKeysWith: { a, _ in a })
            #expect(byName["CHANNEL_CREATE"]?["id"]?.stringValue == channelID)
            #expect(byName["CHANNEL_CREATE"]?["guild_id"]?.snowflakeValue == info.guildID)
            #expect(byName["CHANNEL_CREATE"]?["name"] == "event-room")
            #expect(byName["THREAD_CREATE"]?["id"]?.stringValue == threadID)
            #expect(byName["THREAD_CREATE"]?["newly_created"] == true)
            #expect(byName["THREAD_CREATE"]?["parent_id"]?.stringValue == channelID)
            #expect(byName["THREAD_CREATE"]?["thread_metadata"]?["locked"] == false)
            if expected.contains("TYPING_START") {
                #expect(byName["TYPING_START"]?["user_id"]?.snowflakeValue == info.userID)
                #expect(byName["TYPING_START"]?["channel_id"]?.stringValue == channelID)
            }
            #expect(byName["MESSAGE_CREATE"]?["id"]?.stringValue == messageID)
            #expect(byName["MESSAGE_CREATE"]?["content"] == (seesContent ? "first" : ""), "\(name)")
            #expect(byName["MESSAGE_UPDATE"]?["content"] == (seesContent ? "second" : ""), "\(name)")
            #expect(byName["MESSAGE_UPDATE"]?["edited_timestamp"]?.stringValue != nil)
            #expect(
                byName["MESSAGE_DELETE"]
                    == ["id": .string(messageID), "channel_id": .string(channelID), "guild_id": .string(info.guildID.description)])
            #expect(byName["CHANNEL_DELETE"]?["id"]?.stringValue == channelID)
            #expect(byName["CHANNEL_DELETE"]?["guild_id"]?.snowflakeValue == info.guildID)
        }
        try await emulator.shutdown()
    }
}
