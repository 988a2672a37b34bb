import DiscordWire
import NIOConcurrencyHelpers
import OrderedCollections

/// The emulated Discord: one guild, its identities, channels, messages, files and gateway sessions.
///
/// Every mutation happens under one lock and dispatches its gateway events before the lock is
/// released, so each session sees events in the order the state changed.
final class EmulatorWorld: @unchecked Sendable {
    /// Gateway settings of the scenario.
    struct GatewaySettings: Sendable, Equatable {
        var heartbeatIntervalMilliseconds = 41_250
        var enabledPrivilegedIntents: GatewayIntents = .privileged
        var sessionTimeoutMilliseconds: UInt64 = 120_000
    }

    let lock = NIOLock()
    let snowflakes = SnowflakeGenerator()
    let publicBaseURL: String
    let gatewayURL: String

    let guildID: Snowflake
    let guildName = "Coze Bridge Test"
    let categoryID: Snowflake
    let generalChannelID: Snowflake
    let owner: EmulatedUser
    let bridgeBot: EmulatedUser
    let spareBot: EmulatedUser
    /// A third client bot, so that benchmarks can put four posting identities behind one key.
    let secondSpareBot: EmulatedUser
    let cozeBot: EmulatedUser
    let users: [EmulatedUser]
    let joinedAtMilliseconds: UInt64

    // Everything below is guarded by `lock`.
    var channels: [Snowflake: ChannelRecord] = [:]
    var messages: [Snowflake: ChannelMessages] = [:]
    var blobs: [Snowflake: [UInt8]] = [:]
    /// Messages created with `enforce_nonce`, by author and nonce, for `enforcedNonceWindowMilliseconds`.
    var enforcedNonces: [String: (channelID: Snowflake, messageID: Snowflake, atMilliseconds: UInt64)] = [:]
    /// In the order the sessions identified, which is the order a dispatch is written to their
    /// connections: which client gets an event first is then fixed, not the hash order of session
    /// IDs (in bench/overhead the bridge identifies first, so an edit's timestamp is taken just
    /// before its write to the bridge, and the direct clients' copies follow).
    var sessions: OrderedDictionary<String, GatewaySession> = [:]
    var gatewaySettings = GatewaySettings()
    var maxGuildChannels = 500
    var refuseGatewayUntilMilliseconds: UInt64 = 0
    /// Set once by `DiscordEmulator.start` before the first connection is accepted, and read
    /// without the lock after that.
    var cozeSimulator: CozeBotSimulator?
    /// Set once by `DiscordEmulator.start` before any connection is accepted.
    var counters: EmulatorCounters?
    /// Whether marked edits note their writes in `markerWrites` (`coze.timestamp_markers`).
    var recordsMarkerWrites = false
    let markerWrites = MarkerWriteLog()

    /// Messages of one channel, oldest first.
    struct ChannelMessages {
        var order: [Snowflake] = []
        var byID: [Snowflake: MessageRecord] = [:]
    }

    init(publicBaseURL: String, gatewayURL: String, tokenSecret: String) {
        self.publicBaseURL = publicBaseURL
        self.gatewayURL = gatewayURL
        let snowflakes = self.snowflakes
        func makeUser(_ name: String, bot: Bool, index: Int) -> EmulatedUser {
            let id = snowflakes.next()
            return EmulatedUser(
                id: id, username: name, globalName: bot ? nil : name.capitalized, isBot: bot,
                token: EmulatedUser.makeToken(for: id, secret: "\(tokenSecret)\(index)"))
        }
        owner = makeUser("alice", bot: false, index: 0)
        bridgeBot = makeUser("cozebridge", bot: true, index: 1)
        spareBot = makeUser("spare", bot: true, index: 2)
        cozeBot = makeUser("Coze", bot: true, index: 3)
        // Made after the Coze bot so the older identities keep their place in the snowflake order.
        secondSpareBot = makeUser("spare2", bot: true, index: 4)
        users = [owner, bridgeBot, spareBot, cozeBot, secondSpareBot]
        guildID = snowflakes.next()
        joinedAtMilliseconds = guildID.unixMilliseconds
        categoryID = snowflakes.next()
        generalChannelID = snowflakes.next()
        let created = categoryID.unixMilliseconds
        channels[categoryID] = ChannelRecord(
            id: categoryID, kind: .category, name: "Conversations", position: 0, createdAtMilliseconds: created)
        channels[generalChannelID] = ChannelRecord(
            id: generalChannelID, kind: .text, name: "general", position: 1, createdAtMilliseconds: created)
        messages[generalChannelID] = ChannelMessages()
    }

    /// Runs `body` under the lock; unlike `NIOLock.withLock` it keeps the typed error of REST handlers.
    func locked<Result>(_ body: () throws(DiscordAPIError) -> Result) throws(DiscordAPIError) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Identities

    func user(id: Snowflake) -> EmulatedUser? {
        users.first { $0.id == id }
    }

    /// The identity an `Authorization` header proves: `Bot <token>` for bots, the bare token for users.
    func authenticate(authorization: String?) -> EmulatedUser? {
        guard let authorization else { return nil }
        if authorization.hasPrefix("Bot ") {
            let token = authorization.dropFirst(4)
            return users.first { $0.isBot && $0.token == token }
        }
        return users.first { !$0.isBot && $0.token == authorization }
    }

    /// The identity a gateway IDENTIFY token names; Discord's clients send it bare, some with `Bot `.
    func user(gatewayToken: String) -> EmulatedUser? {
        let token = gatewayToken.hasPrefix("Bot ") ? String(gatewayToken.dropFirst(4)) : gatewayToken
        return users.first { $0.token == token }
    }

    var knownUserIDs: Set<Snowflake> { Set(users.map(\.id)) }

    // MARK: JSON of guild objects

    func memberJSON(_ user: EmulatedUser, includeUser: Bool = true) -> JSONValue {
        let joined = JSONValue.string(WallClock.discordTimestamp(unixMilliseconds: joinedAtMilliseconds))
        var object: [String: JSONValue] = [
            "nick": nil, "avatar": nil, "banner": nil, "roles": [], "joined_at": joined, "premium_since": nil,
            "deaf": false, "mute": false, "flags": 0, "pending": false, "communication_disabled_until": nil,
        ]
        if includeUser { object["user"] = user.partialJSON }
        return .object(object)
    }

    var everyoneRoleJSON: JSONValue {
        [
            "id": JSONValue(guildID), "name": "@everyone", "color": 0,
            "colors": ["primary_color": 0, "secondary_color": nil, "tertiary_color": nil],
            "hoist": false, "icon": nil, "unicode_emoji": nil, "position": 0,
            "permissions": "2248473465835073", "managed": false, "mentionable": false, "flags": 0,
        ]
    }

    /// The guild object (discord-wire.md §7.3) without the GUILD_CREATE extras.
    func guildJSON(withCounts: Bool = false) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": JSONValue(guildID), "name": .string(guildName), "icon": nil, "icon_hash": nil, "splash": nil,
            "discovery_splash": nil, "banner": nil, "description": nil, "owner_id": JSONValue(owner.id),
            "application_id": nil, "afk_channel_id": nil, "afk_timeout": 300, "widget_enabled": false,
            "widget_channel_id": nil, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0, "system_channel_id": nil,
            "system_channel_flags": 0, "rules_channel_id": nil, "public_updates_channel_id": nil,
            "safety_alerts_channel_id": nil, "vanity_url_code": nil, "premium_tier": 0,
            "premium_subscription_count": 0, "preferred_locale": "en-US", "features": [], "max_members": 500_000,
            "max_video_channel_users": 25, "max_stage_video_channel_users": 50, "nsfw": false,
            "premium_progress_bar_enabled": false, "incidents_data": nil, "region": "deprecated",
            "roles": [everyoneRoleJSON], "emojis": [], "stickers": [],
        ]
        if withCounts {
            object["approximate_member_count"] = JSONValue(users.count)
            object["approximate_presence_count"] = 0
        }
        return .object(object)
    }

    /// GUILD_CREATE's `d`: the whole guild with channels, threads and members. Caller holds the lock.
    func guildCreateJSONLocked() -> JSONValue {
        guard case .object(var object) = guildJSON() else { return guildJSON() }
        let sorted = channels.values.sorted { ($0.position, $0.id) < ($1.position, $1.id) }
        object["channels"] = .array(sorted.filter { !$0.kind.isThread }.map { $0.json(guildID: guildID) })
        object["threads"] = .array(sorted.filter { $0.kind.isThread && !$0.archived }.map { $0.json(guildID: guildID) })
        object["members"] = .array(users.map { memberJSON($0) })
        object["member_count"] = JSONValue(users.count)
        object["joined_at"] = .string(WallClock.discordTimestamp(unixMilliseconds: joinedAtMilliseconds))
        object["large"] = false
        object["unavailable"] = false
        for empty in ["presences", "voice_states", "stage_instances", "guild_scheduled_events", "soundboard_sounds"] {
            object[empty] = []
        }
        return .object(object)
    }

    // MARK: Dispatch

    /// Sends one event to every connected or resumable session allowed to see it.
    /// `intent` is what a bot needs; user accounts see everything. Caller holds the lock.
    func dispatchLocked(_ event: String, _ data: JSONValue, intent: GatewayIntents) {
        var bytes: [UInt8]?
        for session in sessions.values where !session.invalidated {
            guard !session.user.isBot || session.intents.isSuperset(of: intent) else { continue }
            if bytes == nil { bytes = data.serializedBytes() }
            session.dispatch(event: event, data: bytes!)
        }
    }

    /// MESSAGE_CREATE / MESSAGE_UPDATE: bots without MESSAGE_CONTENT get others' messages emptied,
    /// unless the message mentions them (gateway.mdx "Message Content Intent"). Caller holds the lock.
    func dispatchMessageLocked(_ event: String, _ record: MessageRecord) {
        var full: [UInt8]?
        var stripped: [UInt8]?
        let marker = recordsMarkerWrites ? MarkerStampClock.newestMarker(in: record.content) : nil
        for session in sessions.values where !session.invalidated {
            let user = session.user
            if user.isBot && !session.intents.contains(.guildMessages) { continue }
            let seesContent =
                !user.isBot || session.intents.contains(.messageContent) || record.authorID == user.id
                || record.mentions(user.id)
            if seesContent {
                if full == nil { full = messageJSONLocked(record, forGateway: true).serializedBytes() }
                session.dispatch(event: event, data: full!, onWritten: marker.map { noteWrite(of: $0, to: session) })
            } else {
                if stripped == nil {
                    var copy = record
                    copy.content = ""
                    copy.embeds = []
                    copy.attachments = []
                    copy.components = []
                    stripped = messageJSONLocked(copy, forGateway: true).serializedBytes()
                }
                session.dispatch(event: event, data: stripped!)
            }
        }
    }

    /// What a session's connection calls as the edit marked `marker` is written to its socket.
    private func noteWrite(of marker: UInt64, to session: GatewaySession) -> @Sendable (UInt64) -> Void {
        let log = markerWrites
        let sessionID = session.id
        let userID = session.user.id
        return { writtenAt in log.record(sessionID: sessionID, userID: userID, marker: marker, writtenAt: writtenAt) }
    }

    // MARK: Messages as JSON

    /// Discord's message object. Gateway events add `member`, `channel_type` and mention members.
    /// Caller holds the lock.
    func messageJSONLocked(_ record: MessageRecord, forGateway: Bool, includeReference: Bool = true) -> JSONValue {
        let author = user(id: record.authorID)
        var mentions: [JSONValue] = []
        for id in record.mentionIDs {
            guard let mentioned = user(id: id), case .object(var object) = mentioned.partialJSON else { continue }
            if forGateway { object["member"] = memberJSON(mentioned, includeUser: false) }
            mentions.append(.object(object))
        }
        var object: [String: JSONValue] = [
            "id": JSONValue(record.id), "channel_id": JSONValue(record.channelID), "guild_id": JSONValue(guildID),
            "type": JSONValue(record.type), "content": .string(record.content), "tts": .bool(record.tts),
            "timestamp": .string(WallClock.discordTimestamp(unixMilliseconds: record.createdAtMilliseconds)),
            "edited_timestamp": record.editedAtMilliseconds.map {
                .string(WallClock.discordTimestamp(unixMilliseconds: $0))
            } ?? .null,
            "flags": JSONValue(record.flags), "pinned": false, "mention_everyone": .bool(record.mentionEveryone),
            "mentions": .array(mentions), "mention_roles": .array(record.mentionRoleIDs.map { JSONValue($0) }),
            "attachments": .array(record.attachments.map(\.json)), "embeds": .array(record.embeds),
            "components": .array(record.components),
            "author": author?.partialJSON ?? ["id": JSONValue(record.authorID), "username": "deleted", "discriminator": "0", "avatar": nil],
        ]
        if !record.nonce.isNull { object["nonce"] = record.nonce }
        if let referenced = record.referencedMessageID {
            object["message_reference"] = [
                "type": 0, "message_id": JSONValue(referenced), "channel_id": JSONValue(record.channelID),
                "guild_id": JSONValue(guildID), "fail_if_not_exists": false,
            ]
            if includeReference {
                if let original = messages[record.channelID]?.byID[referenced] {
                    object["referenced_message"] = messageJSONLocked(original, forGateway: false, includeReference: false)
                } else {
                    object["referenced_message"] = nil
                }
            }
        }
        if let threadID = record.threadID, let thread = channels[threadID] {
            object["thread"] = thread.json(guildID: guildID)
        }
        if forGateway {
            if let author { object["member"] = memberJSON(author, includeUser: false) }
            object["channel_type"] = JSONValue(channels[record.channelID]?.kind.rawValue ?? 0)
        }
        return .object(object)
    }
}
