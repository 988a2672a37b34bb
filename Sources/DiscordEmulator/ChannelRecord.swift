import DiscordWire

/// Discord channel types the emulator knows.
enum ChannelKind: Int, Sendable {
    case text = 0
    case voice = 2
    case category = 4
    case announcement = 5
    case announcementThread = 10
    case publicThread = 11
    case privateThread = 12
    case forum = 15

    var isThread: Bool { self == .publicThread || self == .privateThread || self == .announcementThread }
    var holdsMessages: Bool { self == .text || self == .announcement || isThread }
}

/// A guild channel or thread as the emulator stores it.
struct ChannelRecord: Sendable {
    var id: Snowflake
    var kind: ChannelKind
    var name: String
    var position: Int
    var parentID: Snowflake?
    var topic: String?
    var nsfw: Bool = false
    var rateLimitPerUser: Int = 0
    var lastMessageID: Snowflake?
    // Threads only.
    var ownerID: Snowflake?
    var messageCount: Int = 0
    var autoArchiveDuration: Int = 1440
    var archived: Bool = false
    var createdAtMilliseconds: UInt64 = 0

    func json(guildID: Snowflake) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": JSONValue(id), "type": JSONValue(kind.rawValue), "guild_id": JSONValue(guildID),
            "name": .string(name), "parent_id": parentID.map { JSONValue($0) } ?? .null,
            "last_message_id": lastMessageID.map { JSONValue($0) } ?? .null,
            "rate_limit_per_user": JSONValue(rateLimitPerUser), "flags": 0,
        ]
        if kind.isThread {
            let created = JSONValue.string(WallClock.discordTimestamp(unixMilliseconds: createdAtMilliseconds))
            object["owner_id"] = ownerID.map { JSONValue($0) } ?? .null
            object["message_count"] = JSONValue(messageCount)
            object["total_message_sent"] = JSONValue(messageCount)
            object["member_count"] = 1
            object["thread_metadata"] = [
                "archived": .bool(archived), "auto_archive_duration": JSONValue(autoArchiveDuration),
                "archive_timestamp": created, "locked": false, "invitable": true, "create_timestamp": created,
            ]
        } else {
            object["position"] = JSONValue(position)
            object["permission_overwrites"] = []
            object["topic"] = .string(orNull: topic)
            object["nsfw"] = .bool(nsfw)
            object["default_auto_archive_duration"] = 1440
        }
        return .object(object)
    }
}
