import DiscordWire

/// What the gateway connection handler does after the world has looked at IDENTIFY or RESUME.
enum GatewayHandshakeOutcome: Sendable, Equatable {
    case accepted(sessionID: String)
    case close(code: UInt16, reason: String)
    /// Op 9 with `d: false`: the client must identify again.
    case invalidSession
}

extension EmulatorWorld {
    /// IDENTIFY: checks token and intents, opens a session and sends READY and GUILD_CREATE.
    func identify(_ data: JSONValue, connection: GatewayConnection) -> GatewayHandshakeOutcome {
        guard let token = data["token"]?.stringValue, let user = user(gatewayToken: token) else {
            return .close(code: GatewayCloseCode.authenticationFailed.rawValue, reason: "Authentication failed.")
        }
        let intents: GatewayIntents
        if let raw = data["intents"]?.intValue, raw >= 0 {
            intents = GatewayIntents(rawValue: UInt64(raw))
        } else if user.isBot {
            return .close(code: GatewayCloseCode.invalidIntents.rawValue, reason: "Invalid intent(s).")
        } else {
            intents = .all
        }
        guard GatewayIntents.all.isSuperset(of: intents) else {
            return .close(code: GatewayCloseCode.invalidIntents.rawValue, reason: "Invalid intent(s).")
        }
        return lock.withLock {
            if user.isBot, !gatewaySettings.enabledPrivilegedIntents.isSuperset(of: intents.intersection(.privileged)) {
                return .close(code: GatewayCloseCode.disallowedIntents.rawValue, reason: "Disallowed intent(s).")
            }
            expireSessionsLocked()
            let session = GatewaySession(
                id: randomHex(count: 32), user: user, intents: intents, shard: data["shard"], counters: counters)
            sessions[session.id] = session
            session.connection = connection
            session.dispatch(event: "READY", data: readyJSONLocked(session).serializedBytes())
            if !user.isBot || intents.contains(.guilds) {
                session.dispatch(event: "GUILD_CREATE", data: guildCreateJSONLocked().serializedBytes())
            }
            return .accepted(sessionID: session.id)
        }
    }

    /// RESUME: re-attaches a session and replays what it missed, then RESUMED.
    func resume(_ data: JSONValue, connection: GatewayConnection) -> GatewayHandshakeOutcome {
        guard let token = data["token"]?.stringValue, let user = user(gatewayToken: token) else {
            return .close(code: GatewayCloseCode.authenticationFailed.rawValue, reason: "Authentication failed.")
        }
        let sessionID = data["session_id"]?.stringValue ?? ""
        let sequence = data["seq"]?.intValue ?? 0
        return lock.withLock {
            expireSessionsLocked()
            guard let session = sessions[sessionID], !session.invalidated, session.user.id == user.id,
                let missed = session.payloads(after: sequence)
            else {
                return .invalidSession
            }
            if let previous = session.connection, previous !== connection {
                previous.close(code: GatewayCloseCode.unknownError.rawValue, reason: "Session resumed elsewhere.")
            }
            session.connection = connection
            session.disconnectedAtMilliseconds = nil
            for payload in missed { connection.send(payload) }
            session.dispatch(event: "RESUMED", data: Array("{}".utf8))
            return .accepted(sessionID: session.id)
        }
    }

    /// The connection of `sessionID` closed. Close codes 1000 and 1001 end the session; any other
    /// code (or none) keeps it resumable, as on Discord.
    func connectionClosed(sessionID: String, connection: GatewayConnection, clientCloseCode: UInt16?) {
        lock.withLock {
            guard let session = sessions[sessionID], session.connection === connection else { return }
            session.connection = nil
            session.disconnectedAtMilliseconds = WallClock.unixMilliseconds()
            if clientCloseCode == 1000 || clientCloseCode == 1001 {
                session.invalidated = true
                sessions[sessionID] = nil
            }
        }
    }

    /// Sessions whose connection has been gone longer than the timeout can no longer resume.
    func expireSessionsLocked() {
        let now = WallClock.unixMilliseconds()
        for (id, session) in sessions where session.invalidated
            || (session.disconnectedAtMilliseconds.map { now - $0 > gatewaySettings.sessionTimeoutMilliseconds } ?? false)
        {
            session.invalidated = true
            sessions[id] = nil
        }
    }

    func readyJSONLocked(_ session: GatewaySession) -> JSONValue {
        var object: [String: JSONValue] = [
            "v": 10, "user": session.user.fullJSON,
            "guilds": [["id": JSONValue(guildID), "unavailable": true]],
            "session_id": .string(session.id), "session_type": "normal",
            "resume_gateway_url": .string(gatewayURL),
            "application": ["id": JSONValue(session.user.id), "flags": JSONValue(applicationFlagsLocked())],
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["loopback"], "user_settings": [:],
            "_trace": [#"["discord-emulator",{"micros":0}]"#],
        ]
        if let shard = session.shard { object["shard"] = shard }
        return .object(object)
    }

    /// Application flags announcing which privileged intents are enabled (the *_LIMITED bits).
    func applicationFlagsLocked() -> Int {
        var flags = 0
        let enabled = gatewaySettings.enabledPrivilegedIntents
        if enabled.contains(.guildPresences) { flags |= 1 << 13 }
        if enabled.contains(.guildMembers) { flags |= 1 << 15 }
        if enabled.contains(.messageContent) { flags |= 1 << 19 }
        return flags
    }

    /// Members chunk for op 8 REQUEST_GUILD_MEMBERS.
    func requestGuildMembers(_ data: JSONValue, sessionID: String) {
        lock.withLock {
            guard let session = sessions[sessionID] else { return }
            var chunk: [String: JSONValue] = [
                "guild_id": JSONValue(guildID), "members": .array(users.map { memberJSON($0) }),
                "chunk_index": 0, "chunk_count": 1, "not_found": [],
            ]
            if let nonce = data["nonce"] { chunk["nonce"] = nonce }
            if data["presences"]?.boolValue == true { chunk["presences"] = [] }
            session.dispatch(event: "GUILD_MEMBERS_CHUNK", data: JSONValue.object(chunk).serializedBytes())
        }
    }

    // MARK: Faults

    private func connectedSessionsLocked(token: String?) -> [GatewaySession] {
        sessions.values.filter { session in
            session.connection != nil && (token.map { self.user(gatewayToken: $0)?.id == session.user.id } ?? true)
        }
    }

    /// Drops matching connections without a close frame; new connections wait `refuseMilliseconds` for HELLO.
    @discardableResult
    func dropGatewayConnections(token: String?, refuseMilliseconds: UInt64) -> Int {
        lock.withLock {
            if refuseMilliseconds > 0 {
                refuseGatewayUntilMilliseconds = WallClock.unixMilliseconds() + refuseMilliseconds
            }
            let affected = connectedSessionsLocked(token: token)
            for session in affected {
                session.connection?.drop()
                session.connection = nil
                session.disconnectedAtMilliseconds = WallClock.unixMilliseconds()
            }
            return affected.count
        }
    }

    /// Sends op 7 RECONNECT to matching sessions.
    @discardableResult
    func requestReconnect(token: String?) -> Int {
        lock.withLock {
            let affected = connectedSessionsLocked(token: token)
            for session in affected {
                session.connection?.send(GatewayConnection.controlPayload(.reconnect, nil))
            }
            return affected.count
        }
    }

    /// Sends op 9 INVALID_SESSION; a non-resumable one also ends the session.
    @discardableResult
    func invalidateSessions(token: String?, resumable: Bool) -> Int {
        lock.withLock {
            let affected = connectedSessionsLocked(token: token)
            for session in affected {
                session.connection?.send(GatewayConnection.controlPayload(.invalidSession, .bool(resumable)))
                if !resumable {
                    session.invalidated = true
                    sessions[session.id] = nil
                }
            }
            return affected.count
        }
    }

    /// How long a new gateway connection must wait before HELLO, in milliseconds.
    func helloDelayMilliseconds() -> UInt64 {
        let now = WallClock.unixMilliseconds()
        return lock.withLock { refuseGatewayUntilMilliseconds > now ? refuseGatewayUntilMilliseconds - now : 0 }
    }

    var heartbeatIntervalMilliseconds: Int {
        lock.withLock { gatewaySettings.heartbeatIntervalMilliseconds }
    }

    func sessionsJSON() -> JSONValue {
        lock.withLock {
            .array(
                sessions.values.sorted { $0.id < $1.id }.map { session in
                    [
                        "session_id": .string(session.id), "user_id": JSONValue(session.user.id),
                        "intents": .int(Int64(session.intents.rawValue)), "seq": JSONValue(session.sequence),
                        "connected": .bool(session.connection != nil),
                        "compress": .string(session.connection?.compression.rawValue ?? "none"),
                    ]
                })
        }
    }
}

func randomHex(count: Int) -> String {
    let digits = Array("0123456789abcdef")
    var generator = SystemRandomNumberGenerator()
    return String((0..<count).map { _ in digits[Int(generator.next() % 16)] })
}
