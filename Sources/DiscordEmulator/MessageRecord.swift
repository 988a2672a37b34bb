import DiscordWire

/// A file attached to a message; its bytes live in the world's blob store under `id`.
struct AttachmentRecord: Sendable {
    var id: Snowflake
    var filename: String
    var size: Int
    var contentType: String?
    var description: String?
    var url: String
    var width: Int?
    var height: Int?

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": JSONValue(id), "filename": .string(filename), "size": JSONValue(size),
            "url": .string(url), "proxy_url": .string(url), "ephemeral": false, "flags": 0,
        ]
        if let contentType { object["content_type"] = .string(contentType) }
        if let description { object["description"] = .string(description) }
        if let width, let height {
            object["width"] = JSONValue(width)
            object["height"] = JSONValue(height)
        }
        return .object(object)
    }
}

/// A message as the emulator stores it; turned into Discord's JSON per request or dispatch.
struct MessageRecord: Sendable {
    static let typeDefault = 0
    static let typeReply = 19
    static let flagHasThread = 1 << 5

    var id: Snowflake
    var channelID: Snowflake
    var authorID: Snowflake
    var type: Int
    var content: String
    var nonce: JSONValue = .null
    var tts: Bool = false
    var editedAtMilliseconds: UInt64?
    var embeds: [JSONValue] = []
    var attachments: [AttachmentRecord] = []
    var components: [JSONValue] = []
    var referencedMessageID: Snowflake?
    var mentionIDs: [Snowflake] = []
    var mentionRoleIDs: [Snowflake] = []
    var mentionEveryone: Bool = false
    var flags: Int = 0
    var threadID: Snowflake?

    var createdAtMilliseconds: UInt64 { id.unixMilliseconds }

    /// Whether `userID` is among the message's mentions.
    func mentions(_ userID: Snowflake) -> Bool { mentionIDs.contains(userID) }

    /// Reads user, role and everyone mentions out of `content`, as Discord does on create and edit.
    mutating func parseMentions(knownUsers: Set<Snowflake>) {
        var users: [Snowflake] = []
        var roles: [Snowflake] = []
        let scalars = Array(content.utf8)
        var index = 0
        while index < scalars.count {
            guard scalars[index] == UInt8(ascii: "<"), index + 2 < scalars.count, scalars[index + 1] == UInt8(ascii: "@") else {
                index += 1
                continue
            }
            var cursor = index + 2
            var isRole = false
            if cursor < scalars.count, scalars[cursor] == UInt8(ascii: "!") { cursor += 1 }
            else if cursor < scalars.count, scalars[cursor] == UInt8(ascii: "&") { cursor += 1; isRole = true }
            let digitsStart = cursor
            while cursor < scalars.count, scalars[cursor] >= UInt8(ascii: "0"), scalars[cursor] <= UInt8(ascii: "9") { cursor += 1 }
            if cursor < scalars.count, scalars[cursor] == UInt8(ascii: ">"), cursor > digitsStart,
                let id = Snowflake(String(decoding: scalars[digitsStart..<cursor], as: UTF8.self))
            {
                if isRole {
                    if !roles.contains(id) { roles.append(id) }
                } else if knownUsers.contains(id), !users.contains(id) {
                    users.append(id)
                }
                index = cursor + 1
            } else {
                index += 1
            }
        }
        mentionIDs = users
        mentionRoleIDs = roles
        mentionEveryone = Self.mentionsEveryone(scalars)
    }

    /// Whether `bytes` contain `@everyone` or `@here`. A byte scan: with Foundation in the module,
    /// `String.contains` resolved to Foundation's search, a sixth of the CPU of applying an edit.
    private static func mentionsEveryone(_ bytes: [UInt8]) -> Bool {
        for index in bytes.indices where bytes[index] == UInt8(ascii: "@") {
            let rest = bytes[(index + 1)...]
            if rest.starts(with: "everyone".utf8) || rest.starts(with: "here".utf8) { return true }
        }
        return false
    }
}
