import DiscordWire

extension EmulatorWorld {
    func channelJSON(_ id: Snowflake) throws(DiscordAPIError) -> JSONValue {
        try locked { () throws(DiscordAPIError) -> JSONValue in
            guard let channel = channels[id] else { throw .unknownChannel }
            return channel.json(guildID: guildID)
        }
    }

    func guildChannelsJSON() -> JSONValue {
        lock.withLock {
            .array(
                channels.values.filter { !$0.kind.isThread }
                    .sorted { ($0.position, $0.id) < ($1.position, $1.id) }
                    .map { $0.json(guildID: guildID) })
        }
    }

    /// Discord lowercases text channel names and turns spaces into dashes.
    static func normalizedChannelName(_ name: String, kind: ChannelKind) -> String {
        guard kind == .text || kind == .announcement || kind == .forum else { return name }
        return name.lowercased().split(whereSeparator: { $0 == " " }).joined(separator: "-")
    }

    /// POST /guilds/{g}/channels.
    func createChannel(_ body: JSONValue) throws(DiscordAPIError) -> JSONValue {
        guard case .object = body else { throw .invalidBody("Expected a JSON object") }
        guard let rawName = body["name"]?.stringValue else {
            throw .invalidFormBody(field: "name", code: "BASE_TYPE_REQUIRED", message: "This field is required")
        }
        guard (1...100).contains(rawName.count) else {
            throw .invalidFormBody(
                field: "name", code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 100 in length.")
        }
        let typeValue = body["type"]?.intValue ?? 0
        guard let kind = ChannelKind(rawValue: typeValue), !kind.isThread else {
            throw .invalidFormBody(field: "type", code: "BASE_TYPE_CHOICES", message: "Value must be one of (0, 2, 4, 5, 15).")
        }
        let topic = body["topic"]?.stringValue
        if let topic, topic.count > 1024 {
            throw .invalidFormBody(field: "topic", code: "BASE_TYPE_MAX_LENGTH", message: "Must be 1024 or fewer in length.")
        }
        return try locked { () throws(DiscordAPIError) -> JSONValue in
            var parentID: Snowflake?
            if let parent = body["parent_id"], !parent.isNull {
                guard let id = parent.snowflakeValue, let category = channels[id], category.kind == .category,
                    kind != .category
                else {
                    throw .invalidFormBody(field: "parent_id", code: "CHANNEL_PARENT_INVALID", message: "Invalid parent channel.")
                }
                parentID = id
            }
            let guildChannelCount = channels.values.count { !$0.kind.isThread }
            guard guildChannelCount < maxGuildChannels else { throw .maximumChannels(maxGuildChannels) }
            let id = snowflakes.next()
            let position = body["position"]?.intValue ?? (channels.values.map(\.position).max() ?? 0) + 1
            var record = ChannelRecord(
                id: id, kind: kind, name: Self.normalizedChannelName(rawName, kind: kind), position: position,
                parentID: parentID, topic: topic, createdAtMilliseconds: id.unixMilliseconds)
            record.nsfw = body["nsfw"]?.boolValue ?? false
            record.rateLimitPerUser = body["rate_limit_per_user"]?.intValue ?? 0
            channels[id] = record
            if kind.holdsMessages { messages[id] = ChannelMessages() }
            let json = record.json(guildID: guildID)
            dispatchLocked("CHANNEL_CREATE", json, intent: .guilds)
            return json
        }
    }

    /// PATCH /channels/{c}: name, topic, position, parent, nsfw, slowmode; threads: archived.
    func modifyChannel(_ id: Snowflake, _ body: JSONValue) throws(DiscordAPIError) -> JSONValue {
        guard case .object = body else { throw .invalidBody("Expected a JSON object") }
        return try locked { () throws(DiscordAPIError) -> JSONValue in
            guard var record = channels[id] else { throw .unknownChannel }
            if let name = body["name"]?.stringValue {
                guard (1...100).contains(name.count) else {
                    throw .invalidFormBody(
                        field: "name", code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 100 in length.")
                }
                record.name = Self.normalizedChannelName(name, kind: record.kind)
            }
            if let topic = body["topic"] { record.topic = topic.stringValue }
            if let position = body["position"]?.intValue { record.position = position }
            if let nsfw = body["nsfw"]?.boolValue { record.nsfw = nsfw }
            if let slowmode = body["rate_limit_per_user"]?.intValue { record.rateLimitPerUser = slowmode }
            if let archived = body["archived"]?.boolValue, record.kind.isThread { record.archived = archived }
            if let parent = body["parent_id"], !record.kind.isThread {
                if parent.isNull {
                    record.parentID = nil
                } else if let parentID = parent.snowflakeValue, channels[parentID]?.kind == .category {
                    record.parentID = parentID
                } else {
                    throw .invalidFormBody(field: "parent_id", code: "CHANNEL_PARENT_INVALID", message: "Invalid parent channel.")
                }
            }
            channels[id] = record
            let json = record.json(guildID: guildID)
            dispatchLocked(record.kind.isThread ? "THREAD_UPDATE" : "CHANNEL_UPDATE", json, intent: .guilds)
            return json
        }
    }

    /// DELETE /channels/{c}: answers the deleted channel; its messages, files and threads go too.
    func deleteChannel(_ id: Snowflake) throws(DiscordAPIError) -> JSONValue {
        try locked { () throws(DiscordAPIError) -> JSONValue in
            guard let record = channels[id] else { throw .unknownChannel }
            let json = record.json(guildID: guildID)
            removeChannelLocked(id)
            if record.kind.isThread {
                dispatchLocked(
                    "THREAD_DELETE",
                    ["id": JSONValue(id), "guild_id": JSONValue(guildID), "parent_id": record.parentID.map { JSONValue($0) } ?? .null,
                     "type": JSONValue(record.kind.rawValue)],
                    intent: .guilds)
            } else {
                dispatchLocked("CHANNEL_DELETE", json, intent: .guilds)
            }
            for thread in channels.values where thread.kind.isThread && thread.parentID == id {
                removeChannelLocked(thread.id)
            }
            if record.kind == .category {
                for (childID, var child) in channels where child.parentID == id {
                    child.parentID = nil
                    channels[childID] = child
                }
            }
            return json
        }
    }

    private func removeChannelLocked(_ id: Snowflake) {
        channels[id] = nil
        if let removed = messages.removeValue(forKey: id) {
            for message in removed.byID.values {
                for attachment in message.attachments { blobs[attachment.id] = nil }
            }
        }
    }

    /// POST /channels/{c}/threads (no starter message) or /channels/{c}/messages/{m}/threads.
    func createThread(by user: EmulatedUser, in parentID: Snowflake, from messageID: Snowflake?, _ body: JSONValue)
        throws(DiscordAPIError) -> JSONValue
    {
        guard case .object = body else { throw .invalidBody("Expected a JSON object") }
        guard let name = body["name"]?.stringValue, (1...100).contains(name.count) else {
            throw .invalidFormBody(field: "name", code: "BASE_TYPE_REQUIRED", message: "This field is required")
        }
        let archive = body["auto_archive_duration"]?.intValue ?? 1440
        guard [60, 1440, 4320, 10080].contains(archive) else {
            throw .invalidFormBody(
                field: "auto_archive_duration", code: "BASE_TYPE_CHOICES", message: "Value must be one of (60, 1440, 4320, 10080).")
        }
        return try locked { () throws(DiscordAPIError) -> JSONValue in
            guard let parent = channels[parentID], parent.kind == .text || parent.kind == .announcement else {
                throw channels[parentID] == nil ? .unknownChannel : .cannotSendInChannel
            }
            let id: Snowflake
            let kind: ChannelKind
            if let messageID {
                guard var starter = messages[parentID]?.byID[messageID] else { throw .unknownMessage }
                guard starter.threadID == nil else {
                    throw DiscordAPIError(status: 400, code: 160004, message: "A thread has already been created for this message")
                }
                id = messageID
                kind = parent.kind == .announcement ? .announcementThread : .publicThread
                starter.threadID = id
                starter.flags |= MessageRecord.flagHasThread
                messages[parentID]?.byID[messageID] = starter
            } else {
                id = snowflakes.next()
                kind = ChannelKind(rawValue: body["type"]?.intValue ?? ChannelKind.privateThread.rawValue) ?? .privateThread
                guard kind.isThread else {
                    throw .invalidFormBody(field: "type", code: "BASE_TYPE_CHOICES", message: "Value must be one of (10, 11, 12).")
                }
            }
            let now = WallClock.unixMilliseconds()
            var thread = ChannelRecord(
                id: id, kind: kind, name: name, position: 0, parentID: parentID, ownerID: user.id,
                autoArchiveDuration: archive, createdAtMilliseconds: now)
            thread.rateLimitPerUser = body["rate_limit_per_user"]?.intValue ?? 0
            channels[id] = thread
            messages[id] = ChannelMessages()
            guard case .object(var json) = thread.json(guildID: guildID) else { return thread.json(guildID: guildID) }
            json["member"] = [
                "id": JSONValue(id), "user_id": JSONValue(user.id),
                "join_timestamp": .string(WallClock.discordTimestamp(unixMilliseconds: now)), "flags": 1,
            ]
            var event = json
            event["newly_created"] = true
            dispatchLocked("THREAD_CREATE", .object(event), intent: .guilds)
            if let messageID, let starter = messages[parentID]?.byID[messageID] {
                dispatchMessageLocked("MESSAGE_UPDATE", starter)
            }
            return .object(json)
        }
    }
}

extension EmulatorWorld {
    func activeThreadsJSON() -> JSONValue {
        lock.withLock {
            .array(channels.values.filter { $0.kind.isThread && !$0.archived }.sorted { $0.id < $1.id }.map { $0.json(guildID: guildID) })
        }
    }
}
