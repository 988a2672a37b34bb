import DiscordWire

/// A file from a multipart request: `files[index]`.
struct UploadedFile: Sendable {
    var index: Int
    var filename: String
    var contentType: String?
    var bytes: [UInt8]
}

extension EmulatorWorld {
    static let maximumContentLength = 2000

    // MARK: Reading

    func messageJSON(channelID: Snowflake, messageID: Snowflake) throws(DiscordAPIError) -> JSONValue {
        try locked { () throws(DiscordAPIError) -> JSONValue in
            guard let channel = messages[channelID] else { throw channels[channelID] == nil ? .unknownChannel : .unknownMessage }
            guard let record = channel.byID[messageID] else { throw .unknownMessage }
            return messageJSONLocked(record, forGateway: false)
        }
    }

    /// GET /channels/{c}/messages: newest first, `limit` 1…100, one of `before`, `after`, `around`.
    func listMessages(channelID: Snowflake, limit: Int, before: Snowflake?, after: Snowflake?, around: Snowflake?)
        throws(DiscordAPIError) -> JSONValue
    {
        guard (1...100).contains(limit) else {
            throw .invalidFormBody(field: "limit", code: "NUMBER_TYPE_MAX", message: "Int value should be between 1 and 100.")
        }
        return try locked { () throws(DiscordAPIError) -> JSONValue in
            guard let channel = messages[channelID] else {
                throw channels[channelID] == nil ? .unknownChannel : .cannotSendInChannel
            }
            let order = channel.order
            var selected: ArraySlice<Snowflake>
            if let after {
                let start = order.firstIndex { $0 > after } ?? order.endIndex
                selected = order[start..<min(start + limit, order.endIndex)]
            } else if let around {
                let center = order.firstIndex { $0 >= around } ?? order.endIndex
                let start = max(order.startIndex, center - limit / 2)
                selected = order[start..<min(start + limit, order.endIndex)]
            } else {
                let end = before.map { limit in order.firstIndex { $0 >= limit } ?? order.endIndex } ?? order.endIndex
                selected = order[max(order.startIndex, end - limit)..<end]
            }
            return .array(selected.reversed().compactMap { channel.byID[$0].map { messageJSONLocked($0, forGateway: false) } })
        }
    }

    /// Bytes and content type of a stored attachment, for the attachment URL.
    func attachmentData(channelID: Snowflake, attachmentID: Snowflake) -> (bytes: [UInt8], contentType: String?)? {
        lock.withLock {
            guard let bytes = blobs[attachmentID] else { return nil }
            let contentType = messages[channelID]?.byID.values.lazy.flatMap(\.attachments)
                .first { $0.id == attachmentID }?.contentType
            return (bytes, contentType)
        }
    }

    // MARK: Writing

    /// POST /channels/{c}/messages, JSON or multipart.
    func createMessage(by author: EmulatedUser, channelID: Snowflake, _ body: JSONValue, files: [UploadedFile])
        throws(DiscordAPIError) -> JSONValue
    {
        guard case .object = body else { throw .invalidBody("Expected a JSON object") }
        let content = try Self.validatedContent(body["content"])
        let embeds = try Self.validatedEmbeds(body["embeds"])
        let components = Self.numberedComponents(body["components"]?.arrayValue ?? [])
        if let nonce = body["nonce"], !nonce.isNull {
            if let text = nonce.stringValue, text.count > 25 {
                throw .invalidFormBody(field: "nonce", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 25 or fewer in length.")
            }
        }
        let hasStickers = !(body["sticker_ids"]?.arrayValue ?? []).isEmpty
        if (content ?? "").isEmpty && embeds.isEmpty && files.isEmpty && components.isEmpty && !hasStickers
            && body["poll"] == nil
        {
            throw .emptyMessage
        }
        let enforcedNonce = body["enforce_nonce"]?.boolValue == true ? Self.enforcedNonceKey(author, body["nonce"]) : nil
        let (json, prompt) = try locked { () throws(DiscordAPIError) -> (JSONValue, CozePrompt?) in
            guard let channel = channels[channelID] else { throw .unknownChannel }
            guard channel.kind.holdsMessages else { throw .cannotSendInChannel }
            if let enforcedNonce, let earlier = earlierMessageLocked(enforcedNonce) {
                return (messageJSONLocked(earlier, forGateway: false), nil)
            }
            var record = MessageRecord(
                id: snowflakes.next(), channelID: channelID, authorID: author.id, type: MessageRecord.typeDefault,
                content: content ?? "")
            record.nonce = body["nonce"] ?? .null
            record.tts = body["tts"]?.boolValue ?? false
            record.components = components
            record.flags = (body["flags"]?.intValue ?? 0) & (1 << 2 | 1 << 12 | 1 << 15)
            if let reference = body["message_reference"], let referencedID = reference["message_id"]?.snowflakeValue {
                guard messages[channelID]?.byID[referencedID] != nil || reference["fail_if_not_exists"]?.boolValue == false
                else {
                    throw .invalidFormBody(
                        field: "message_reference", code: "REPLIES_UNKNOWN_MESSAGE", message: "Unknown message")
                }
                record.type = MessageRecord.typeReply
                record.referencedMessageID = referencedID
            }
            record.attachments = storeAttachmentsLocked(
                files.map { ($0, Self.attachmentMetadata(body["attachments"], index: $0.index)) }, channelID: channelID)
            record.embeds = Self.resolvingAttachmentReferences(embeds, attachments: record.attachments)
            record.parseMentions(knownUsers: knownUserIDs)
            if let referencedID = record.referencedMessageID, let original = messages[channelID]?.byID[referencedID],
                body["allowed_mentions"]?["replied_user"]?.boolValue ?? true, !record.mentions(original.authorID)
            {
                record.mentionIDs.append(original.authorID)
            }
            insertLocked(record)
            if let enforcedNonce { rememberNonceLocked(enforcedNonce, of: record) }
            dispatchMessageLocked("MESSAGE_CREATE", record)
            return (messageJSONLocked(record, forGateway: false), cozePromptLocked(for: record))
        }
        if let prompt { cozeSimulator?.handle(prompt) }
        return json
    }

    /// How long a nonce sent with `enforce_nonce` is remembered: Discord checks it "in the past
    /// few minutes".
    static let enforcedNonceWindowMilliseconds: UInt64 = 5 * 60 * 1000

    /// `nil` without a nonce; otherwise its author and value, the scope in which Discord
    /// returns the earlier message instead of creating another.
    static func enforcedNonceKey(_ author: EmulatedUser, _ nonce: JSONValue?) -> String? {
        guard let nonce, !nonce.isNull else { return nil }
        return "\(author.id) " + String(decoding: nonce.serializedBytes(), as: UTF8.self)
    }

    /// The message created earlier with this author and nonce, if it is recent and still there.
    /// Caller holds the lock.
    func earlierMessageLocked(_ key: String) -> MessageRecord? {
        // Added, not subtracted: a wall clock stepped back must not underflow.
        guard let earlier = enforcedNonces[key],
            WallClock.unixMilliseconds() < earlier.atMilliseconds + Self.enforcedNonceWindowMilliseconds
        else { return nil }
        return messages[earlier.channelID]?.byID[earlier.messageID]
    }

    /// Caller holds the lock.
    func rememberNonceLocked(_ key: String, of record: MessageRecord) {
        let now = WallClock.unixMilliseconds()
        if enforcedNonces.count >= 10_000 {
            enforcedNonces = enforcedNonces.filter { now < $0.value.atMilliseconds + Self.enforcedNonceWindowMilliseconds }
        }
        enforcedNonces[key] = (record.channelID, record.id, now)
    }

    /// PATCH /channels/{c}/messages/{m}; v10 attachment semantics: a given `attachments` array is the
    /// complete set to keep (existing ids, new `files[n]` by index); new files without it are appended.
    func editMessage(by editor: EmulatedUser, channelID: Snowflake, messageID: Snowflake, _ body: JSONValue,
        files: [UploadedFile]) throws(DiscordAPIError) -> JSONValue
    {
        guard case .object = body else { throw .invalidBody("Expected a JSON object") }
        let content = try Self.validatedContent(body["content"])
        var embeds: [JSONValue]?
        if body["embeds"] != nil { embeds = try Self.validatedEmbeds(body["embeds"]) }
        return try locked { () throws(DiscordAPIError) -> JSONValue in
            guard messages[channelID] != nil else { throw channels[channelID] == nil ? .unknownChannel : .unknownMessage }
            guard var record = messages[channelID]?.byID[messageID] else { throw .unknownMessage }
            guard record.authorID == editor.id else { throw .editOthersMessage }
            if body["content"] != nil { record.content = content ?? "" }
            if body["embeds"] != nil { record.embeds = embeds ?? [] }
            if let components = body["components"] {
                record.components = Self.numberedComponents(components.arrayValue ?? [])
            }
            if let flags = body["flags"]?.intValue { record.flags = (record.flags & ~(1 << 2)) | (flags & (1 << 2)) }
            if let keep = body["attachments"]?.arrayValue {
                let keptIDs = Set(keep.compactMap { $0["id"]?.snowflakeValue })
                let removed = record.attachments.filter { !keptIDs.contains($0.id) }
                for attachment in removed { blobs[attachment.id] = nil }
                record.attachments.removeAll { !keptIDs.contains($0.id) }
                let newFiles = files.map { ($0, Self.attachmentMetadata(body["attachments"], index: $0.index)) }
                record.attachments += storeAttachmentsLocked(newFiles, channelID: channelID)
            } else if !files.isEmpty {
                record.attachments += storeAttachmentsLocked(files.map { ($0, nil) }, channelID: channelID)
            }
            record.embeds = Self.resolvingAttachmentReferences(record.embeds, attachments: record.attachments)
            if record.content.isEmpty && record.embeds.isEmpty && record.attachments.isEmpty && record.components.isEmpty {
                throw .emptyMessage
            }
            record.editedAtMilliseconds = WallClock.unixMilliseconds()
            let repliedAuthor = record.referencedMessageID.flatMap { messages[channelID]?.byID[$0]?.authorID }
            let pinged = repliedAuthor.map { record.mentions($0) } ?? false
            record.parseMentions(knownUsers: knownUserIDs)
            if pinged, let repliedAuthor, !record.mentions(repliedAuthor) { record.mentionIDs.append(repliedAuthor) }
            messages[channelID]?.byID[messageID] = record
            dispatchMessageLocked("MESSAGE_UPDATE", record)
            return messageJSONLocked(record, forGateway: false)
        }
    }

    /// DELETE /channels/{c}/messages/{m}.
    func deleteMessage(channelID: Snowflake, messageID: Snowflake) throws(DiscordAPIError) {
        try locked { () throws(DiscordAPIError) in
            guard messages[channelID] != nil else { throw channels[channelID] == nil ? .unknownChannel : .unknownMessage }
            guard let record = messages[channelID]?.byID.removeValue(forKey: messageID) else { throw .unknownMessage }
            messages[channelID]?.order.removeAll { $0 == messageID }
            for attachment in record.attachments { blobs[attachment.id] = nil }
            dispatchLocked(
                "MESSAGE_DELETE",
                ["id": JSONValue(messageID), "channel_id": JSONValue(channelID), "guild_id": JSONValue(guildID)],
                intent: .guildMessages)
        }
    }

    /// POST /channels/{c}/typing.
    func startTyping(by user: EmulatedUser, channelID: Snowflake) throws(DiscordAPIError) {
        try locked { () throws(DiscordAPIError) in
            guard let channel = channels[channelID] else { throw .unknownChannel }
            guard channel.kind.holdsMessages else { throw .cannotSendInChannel }
            dispatchLocked(
                "TYPING_START",
                [
                    "channel_id": JSONValue(channelID), "guild_id": JSONValue(guildID), "user_id": JSONValue(user.id),
                    "timestamp": .int(Int64(WallClock.unixMilliseconds() / 1000)), "member": memberJSON(user),
                ],
                intent: .guildMessageTyping)
        }
    }

    // MARK: Helpers

    func insertLocked(_ record: MessageRecord) {
        messages[record.channelID, default: ChannelMessages()].order.append(record.id)
        messages[record.channelID]?.byID[record.id] = record
        channels[record.channelID]?.lastMessageID = record.id
        if channels[record.channelID]?.kind.isThread == true { channels[record.channelID]?.messageCount += 1 }
    }

    /// Stores uploaded bytes and describes them with URLs this emulator serves.
    func storeAttachmentsLocked(_ files: [(UploadedFile, JSONValue?)], channelID: Snowflake) -> [AttachmentRecord] {
        files.map { file, metadata in
            let id = snowflakes.next()
            let filename = Self.sanitizedFilename(metadata?["filename"]?.stringValue ?? file.filename)
            blobs[id] = file.bytes
            let contentType = file.contentType.flatMap { $0 == "application/octet-stream" ? nil : $0 }
                ?? Self.contentType(forFilename: filename)
            let size = Self.imageSize(file.bytes)
            return AttachmentRecord(
                id: id, filename: filename, size: file.bytes.count, contentType: contentType,
                description: metadata?["description"]?.stringValue,
                url: "\(publicBaseURL)/attachments/\(channelID)/\(id)/\(filename)", width: size?.width,
                height: size?.height)
        }
    }

    static func attachmentMetadata(_ attachments: JSONValue?, index: Int) -> JSONValue? {
        attachments?.arrayValue?.first { $0["id"]?.intValue == index || $0["id"]?.stringValue == String(index) }
    }

    static func validatedContent(_ value: JSONValue?) throws(DiscordAPIError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let content = value.stringValue else {
            throw .invalidFormBody(field: "content", code: "STRING_TYPE_CONVERT", message: "Could not interpret value as string.")
        }
        guard content.count <= maximumContentLength else {
            throw .invalidFormBody(
                field: "content", code: "BASE_TYPE_MAX_LENGTH", message: "Must be \(maximumContentLength) or fewer in length.")
        }
        return content
    }

    static func validatedEmbeds(_ value: JSONValue?) throws(DiscordAPIError) -> [JSONValue] {
        guard let value, !value.isNull else { return [] }
        guard let embeds = value.arrayValue, embeds.allSatisfy({ $0.objectValue != nil }) else {
            throw .invalidFormBody(field: "embeds", code: "LIST_TYPE_CONVERT", message: "Only iterables may be used in a ListType.")
        }
        guard embeds.count <= 10 else {
            throw .invalidFormBody(field: "embeds", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 10 or fewer in length.")
        }
        return embeds.map { embed in
            guard case .object(var object) = embed else { return embed }
            if object["type"] == nil { object["type"] = "rich" }
            return .object(object)
        }
    }

    /// Gives every component an integer `id`, depth first, where the client left it out (hikari reads it).
    static func numberedComponents(_ components: [JSONValue]) -> [JSONValue] {
        var next = 1
        func number(_ component: JSONValue) -> JSONValue {
            guard case .object(var object) = component else { return component }
            if object["id"] == nil { object["id"] = JSONValue(next) }
            next = max(next, (object["id"]?.intValue ?? next)) + 1
            if let children = object["components"]?.arrayValue { object["components"] = .array(children.map(number)) }
            return .object(object)
        }
        return components.map(number)
    }

    /// `attachment://name` inside embeds points at the uploaded file of that name.
    static func resolvingAttachmentReferences(_ embeds: [JSONValue], attachments: [AttachmentRecord]) -> [JSONValue] {
        guard !attachments.isEmpty else { return embeds }
        func resolve(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text) where text.hasPrefix("attachment://"):
                let name = String(text.dropFirst("attachment://".count))
                return attachments.first { $0.filename == name }.map { .string($0.url) } ?? value
            case .object(let members): return .object(members.mapValues(resolve))
            case .array(let elements): return .array(elements.map(resolve))
            default: return value
            }
        }
        return embeds.map(resolve)
    }

    static func sanitizedFilename(_ name: String) -> String {
        let cleaned = String(name.map { $0 == " " || $0 == "/" || $0 == "\\" ? "_" : $0 })
        return cleaned.isEmpty ? "file" : cleaned
    }

    static func contentType(forFilename name: String) -> String? {
        let lowered = name.lowercased()
        let table: [(String, String)] = [
            (".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"), (".gif", "image/gif"),
            (".webp", "image/webp"), (".txt", "text/plain; charset=utf-8"), (".json", "application/json"),
            (".md", "text/markdown; charset=utf-8"),
        ]
        return table.first { lowered.hasSuffix($0.0) }?.1
    }

    /// Width and height of a PNG (IHDR) or GIF, which Discord reports for images.
    static func imageSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        if bytes.count >= 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
            return (be32(16), be32(20))
        }
        if bytes.count >= 10, bytes.starts(with: Array("GIF8".utf8)) {
            return (Int(bytes[6]) | Int(bytes[7]) << 8, Int(bytes[8]) | Int(bytes[9]) << 8)
        }
        return nil
    }
}
