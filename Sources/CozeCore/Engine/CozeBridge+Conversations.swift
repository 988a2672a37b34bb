import DiscordWire

extension CozeBridge {
    // MARK: - Public conversation API

    /// Creates the conversation `name` of `accessKey`: a Discord text channel in the bot's
    /// `Server_id` under its `CreateChannel_Category`, on the pool's ready bot with the fewest
    /// turns in flight, remembered in the store. When the guild holds as many conversation
    /// channels as ``ConversationConfiguration/maxChannelsPerGuild``, the least recently used
    /// idle ones are deleted first.
    ///
    /// - Throws: ``CozeBridgeError/conversationExists(accessKey:name:)``, ``CozeBridgeError/noBotAvailable(accessKey:reasons:)``,
    ///   ``CozeBridgeError/discord(_:)``.
    @discardableResult
    public func createConversation(accessKey: String, name: String) async throws -> Conversation {
        let pool = try pool(accessKey)
        guard let nameTicket = await locks.acquire(Self.nameKey(accessKey, name)) else { throw CozeBridgeError.notRunning }
        defer { locks.release(nameTicket) }
        if try storeCall({ try store.conversationExists(accessKey: accessKey, named: name) }) {
            throw CozeBridgeError.conversationExists(accessKey: accessKey, name: name)
        }
        let bot = try await reserveBot(accessKey: accessKey, pool: pool)
        defer { bot.endWork() }
        return try await createChannel(accessKey: accessKey, name: name, on: bot)
    }

    /// Renames a conversation in the store only: the Discord channel keeps its name, because
    /// Discord lower-cases channel names and the store keeps the client's exact name.
    @discardableResult
    public func renameConversation(accessKey: String, from name: String, to newName: String) throws -> Conversation {
        _ = try pool(accessKey)
        do {
            return try store.renameConversation(accessKey: accessKey, from: name, to: newName)
        } catch ConversationStoreError.conversationNotFound(let key, let missing) {
            throw CozeBridgeError.conversationNotFound(accessKey: key, name: missing)
        } catch ConversationStoreError.nameAlreadyExists(let key, let existing) {
            throw CozeBridgeError.conversationExists(accessKey: key, name: existing)
        } catch {
            throw CozeBridgeError.store("\(error)")
        }
    }

    /// Deletes a conversation: its Discord channel, then its store entry. A turn in flight on it
    /// finishes first (the delete queues behind it). A channel already gone from Discord is fine.
    public func deleteConversation(accessKey: String, name: String) async throws {
        _ = try pool(accessKey)
        guard let conversation = try storeCall({ try store.conversation(accessKey: accessKey, named: name) }) else {
            throw CozeBridgeError.conversationNotFound(accessKey: accessKey, name: name)
        }
        guard let ticket = await locks.acquire(Self.conversationKey(conversation.id)) else {
            throw CozeBridgeError.notRunning
        }
        defer { locks.release(ticket) }
        try await deleteChannel(of: conversation)
        do {
            try store.deleteConversation(id: conversation.id)
        } catch ConversationStoreError.conversationIDNotFound {
            // Deleted meanwhile by another caller: the outcome is the same.
        } catch {
            throw CozeBridgeError.store("\(error)")
        }
    }

    /// The conversations of `accessKey`, by name.
    public func conversations(accessKey: String) throws -> [Conversation] {
        try storeCall { try store.conversations(accessKey: accessKey) }
    }

    /// The conversation `name` of `accessKey`, or `nil`.
    public func conversation(accessKey: String, name: String) throws -> Conversation? {
        try storeCall { try store.conversation(accessKey: accessKey, named: name) }
    }

    /// Whether `accessKey` has a conversation called `name`.
    public func conversationExists(accessKey: String, name: String) throws -> Bool {
        try storeCall { try store.conversationExists(accessKey: accessKey, named: name) }
    }

    // MARK: - Pools

    func pool(_ accessKey: String) throws -> [BridgeBot] {
        let pool = bots.filter { $0.configuration.accessKey == accessKey }
        guard !pool.isEmpty else { throw CozeBridgeError.unknownAccessKey(accessKey) }
        return pool
    }

    /// Picks the available bot with the fewest turns in flight and counts the new work on it at
    /// once, so that a burst of new conversations spreads over the pool instead of all landing
    /// on the bot that looked idle at the start. Waits up to ``CozeBridgeOptions/readyTimeout``
    /// for a bot that is still connecting.
    func reserveBot(accessKey: String, pool: [BridgeBot]) async throws -> BridgeBot {
        let deadline = ContinuousClock.now + options.readyTimeout
        while true {
            let now = WallClock.unixMilliseconds()
            let picked: BridgeBot? = reservationLock.withLock { _ in
                let candidates = pool.filter { $0.unavailability(now: now) == nil }
                guard let best = candidates.min(by: { $0.inFlight < $1.inFlight }) else { return nil }
                best.beginWork()
                return best
            }
            if let picked { return picked }
            let reasons = pool.compactMap { $0.unavailability(now: now) }
            // Only bots that may still come up are worth waiting for.
            let waitable = pool.contains { !$0.gateway.status.isStopped && $0.quotaRest(now: now) == nil }
            guard waitable, ContinuousClock.now < deadline, isRunning else {
                throw CozeBridgeError.noBotAvailable(accessKey: accessKey, reasons: reasons)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The bot a stored conversation lives on.
    func bot(for conversation: Conversation) throws -> BridgeBot {
        guard let bot = bots.first(where: { $0.identity == conversation.botIdentity && $0.configuration.accessKey == conversation.accessKey })
        else {
            throw CozeBridgeError.conversationBotMissing(
                accessKey: conversation.accessKey, name: conversation.name, botIdentity: conversation.botIdentity)
        }
        return bot
    }

    // MARK: - Channels a crash may have left behind

    /// Records that `name` is about to be created (see ``PendingChannel``); `nil` when the store
    /// refuses, which only costs the clean-up after a crash, not the conversation.
    func notePendingChannel(
        bot: BridgeBot, guild: Snowflake, parent: Snowflake?, name: String, kind: PendingChannel.Kind
    ) -> Int64? {
        try? store.addPendingChannel(botIdentity: bot.identity, guildID: guild, parentID: parent, name: name, kind: kind)
    }

    func forgetPendingChannel(_ record: Int64?) {
        if let record { try? store.removePendingChannel(record) }
    }

    /// The creation behind `record` is stored. A request sent again after a server error may
    /// have made a first channel as well, so its record is rechecked as after a failure; otherwise
    /// it is forgotten.
    func settlePendingChannel(_ record: Int64?, sentAgain: Bool) {
        if sentAgain { recheckLater(record) } else { forgetPendingChannel(record) }
    }

    /// Sends the creation of a channel or thread whose pending `record` was just written, and
    /// returns its id, and whether the request was sent again after a server error. When
    /// Discord's answer is lost (an error, an answer without an id), Discord may have made the
    /// channel all the same, so the record is rechecked later.
    func sendCreation(
        recordedAs record: Int64?, describedAs what: String,
        _ create: (_ onServerErrorRetry: @escaping @Sendable () -> Void) async throws -> JSONValue
    ) async throws -> (id: Snowflake, sentAgain: Bool) {
        let retries = ServerErrorRetryNote()
        let created: JSONValue
        do {
            created = try await create(retries.record)
        } catch {
            recheckLater(record)
            throw CozeBridgeError.discord("\(what): \(error)")
        }
        guard let id = created["id"]?.snowflakeValue else {
            recheckLater(record)
            throw CozeBridgeError.discord("\(what): Discord's answer has no id")
        }
        return (id, retries.happened)
    }

    /// Deletes the Discord channels and threads that were being created when an earlier run
    /// ended, if Discord made them but no conversation points at them: the run died between
    /// Discord's answer and the store's insert. Without this, each such crash would leak a
    /// channel that counts against the guild's 500 and that eviction never sees.
    func removeChannelsLeftByACrash() async {
        guard let pending = try? store.pendingChannels() else { return }
        await removeChannelsLeft(by: pending)
    }

    /// A creation of this run may have made a channel that nothing points at: its request failed
    /// after it went out (a timeout, a dropped connection, an answer without an id), or it was
    /// sent again after a server error. Once ``CozeBridgeOptions/pendingChannelRecheck`` has
    /// passed, its record is checked as the next start would check it, so such a channel is
    /// deleted without waiting for a restart. At shutdown the wait is cancelled and the record
    /// stays for the next start.
    func recheckLater(_ record: Int64?) {
        guard let record else { return }
        submit { [self] in
            try? await Task.sleep(for: options.pendingChannelRecheck)
            guard !Task.isCancelled, let pending = try? store.pendingChannels() else { return }
            await removeChannelsLeft(by: pending.filter { $0.id == record })
        }
    }

    /// Deletes the channels that `records` may have left: a channel qualifies only if it has a
    /// record's name, parent and kind, was made no earlier than the record (a second of clock
    /// skew allowed), and is no conversation's channel or thread parent and no thread parent of
    /// this run. Runs under each guild's lock, so no creation of this run can race it. A record
    /// is forgotten once nothing of it is left; those whose bot is no longer configured, or whose
    /// guild cannot be read now, stay for the next start.
    private func removeChannelsLeft(by records: [PendingChannel]) async {
        guard !records.isEmpty else { return }
        let byGuild = Dictionary(grouping: records) { GuildOfBot(identity: $0.botIdentity, guild: $0.guildID) }
        for (key, records) in byGuild {
            guard let bot = bots.first(where: { $0.identity == key.identity }) else { continue }
            guard let ticket = await locks.acquire(Self.guildKey(key.guild)) else { return }
            defer { locks.release(ticket) }
            guard let channels = try? await bot.listenerREST.guildChannels(guildID: key.guild) else { continue }
            var threads: [JSONValue] = []
            if records.contains(where: { $0.kind == .thread }) {
                guard let active = try? await bot.listenerREST.activeGuildThreads(guildID: key.guild) else { continue }
                threads = active
            }
            for record in records {
                let candidates = (record.kind == .thread ? threads : channels).filter { channel in
                    guard let id = channel["id"]?.snowflakeValue else { return false }
                    return channel["name"]?.stringValue == record.name
                        && channel["parent_id"]?.snowflakeValue == record.parentID
                        && id.unixMilliseconds + 1000 >= record.startedAtMilliseconds
                }
                var cleared = true
                for candidate in candidates {
                    guard let id = candidate["id"]?.snowflakeValue else { continue }
                    // A parent made this run may hold no stored thread yet.
                    if threadParents(of: bot).contains(id) { continue }
                    guard let known = try? store.isConversationChannel(id) else { cleared = false; continue }
                    if known { continue }
                    do {
                        _ = try await bot.listenerREST.deleteChannel(id, auditLogReason: "cozebridge: left by a crash")
                    } catch let error as DiscordHTTPError where error.code == 10003 || error.status == 404 {
                        // Already gone.
                    } catch {
                        cleared = false
                    }
                }
                if cleared { forgetPendingChannel(record.id) }
            }
        }
    }

    /// Pending records are swept per bot and guild: one channel listing each.
    private struct GuildOfBot: Hashable {
        let identity: String
        let guild: Snowflake
    }

    // MARK: - Channels

    /// Creates the Discord channel for a new conversation on `bot` and stores it. The caller
    /// holds the name lock. Under `ChannelCap_Strategy: threads`, once the guild holds
    /// `ChannelCap_maxChannels` conversation channels, the conversation becomes a thread instead
    /// (see ``createThread(accessKey:name:on:)``) and nothing is evicted.
    func createChannel(accessKey: String, name: String, on bot: BridgeBot) async throws -> Conversation {
        let guild = bot.configuration.serverID
        guard let guildTicket = await locks.acquire(Self.guildKey(guild)) else { throw CozeBridgeError.notRunning }
        defer { locks.release(guildTicket) }
        switch configuration.conversations.channelCapStrategy {
        case .evictLeastRecentlyUsed:
            try await makeRoom(inGuild: guild)
        case .threads:
            let cap = max(configuration.conversations.maxChannelsPerGuild, 1)
            if try storeCall({ try store.channelConversationCount(inGuild: guild) }) >= cap {
                return try await createThread(accessKey: accessKey, name: name, on: bot)
            }
        }
        let channelName = Self.channelName(for: name)
        let pending = notePendingChannel(
            bot: bot, guild: guild, parent: bot.configuration.channelCategoryID, name: channelName, kind: .channel)
        let (channelID, sentAgain) = try await sendCreation(
            recordedAs: pending, describedAs: "creating the channel for conversation \"\(name)\""
        ) { onServerErrorRetry in
            try await bot.listenerREST.createGuildChannel(
                guildID: guild, name: channelName, parentID: bot.configuration.channelCategoryID,
                auditLogReason: "cozebridge conversation", onServerErrorRetry: onServerErrorRetry)
        }
        do {
            defer { settlePendingChannel(pending, sentAgain: sentAgain) }
            return try store.createConversation(
                NewConversation(
                    accessKey: accessKey, name: name, botIdentity: bot.identity, guildID: guild, channelID: channelID))
        } catch {
            // Do not leave an orphan channel behind a failed insert.
            _ = try? await bot.listenerREST.deleteChannel(channelID)
            throw CozeBridgeError.store(error.description)
        }
    }

    /// Creates a public thread for a new conversation in one of `bot`'s thread parent channels
    /// and stores it. The caller holds the name and guild locks.
    func createThread(accessKey: String, name: String, on bot: BridgeBot) async throws -> Conversation {
        let guild = bot.configuration.serverID
        let parent = try await threadParent(for: bot)
        let threadName = Self.channelName(for: name)
        let pending = notePendingChannel(bot: bot, guild: guild, parent: parent, name: threadName, kind: .thread)
        let (threadID, sentAgain) = try await sendCreation(
            recordedAs: pending, describedAs: "creating the thread for conversation \"\(name)\""
        ) { onServerErrorRetry in
            // Public (11): a private thread would hide the prompt from the Coze bot and, in user
            // sender mode, from the listening bot token unless each were added as a member.
            try await bot.listenerREST.createThread(
                channelID: parent, name: threadName, type: 11, autoArchiveMinutes: 10080,
                onServerErrorRetry: onServerErrorRetry)
        }
        do {
            defer { settlePendingChannel(pending, sentAgain: sentAgain) }
            let conversation = try store.createConversation(
                NewConversation(
                    accessKey: accessKey, name: name, botIdentity: bot.identity, guildID: guild, channelID: threadID,
                    kind: .thread(parentChannelID: parent)))
            // The stored thread now names its parent: the parent is no longer at risk of being lost.
            // Its record is settled like a channel's: a creation sent again after a server error
            // may have left a first parent of that name, which the recheck deletes.
            if let parentRecord = takeThreadParentRecord(parent) {
                settlePendingChannel(parentRecord.record, sentAgain: parentRecord.sentAgain)
            }
            return conversation
        } catch {
            _ = try? await bot.listenerREST.deleteChannel(threadID)
            throw CozeBridgeError.store(error.description)
        }
    }

    /// The parent channel the next thread of `bot` goes into: the first of its parents with room
    /// (``CozeBridgeOptions/threadsPerParentChannel``), or a new `cozebridge-threads-N` channel
    /// under the bot's category. Parents are found from the store's threads (so a restart keeps
    /// filling them) and from the ones made this run (which may hold no thread yet).
    func threadParent(for bot: BridgeBot) async throws -> Snowflake {
        var counts = try storeCall { try store.threadCountsByParent(botIdentity: bot.identity) }
        for parent in threadParents(of: bot) where counts[parent] == nil { counts[parent] = 0 }
        // Snowflakes grow with time: oldest parent first, so parents fill one after the other.
        let limit = max(options.threadsPerParentChannel, 1)
        if let open = counts.keys.sorted().first(where: { counts[$0, default: 0] < limit }) { return open }
        let parentName = "cozebridge-threads-\(counts.count + 1)"
        // Until a thread is stored in it, a parent is known only to this process: the pending
        // record lets the next start delete a parent that a crash left empty and forgotten.
        let pending = notePendingChannel(
            bot: bot, guild: bot.configuration.serverID, parent: bot.configuration.channelCategoryID, name: parentName,
            kind: .channel)
        let (id, sentAgain) = try await sendCreation(recordedAs: pending, describedAs: "creating a thread parent channel") {
            onServerErrorRetry in
            try await bot.listenerREST.createGuildChannel(
                guildID: bot.configuration.serverID, name: parentName,
                parentID: bot.configuration.channelCategoryID, auditLogReason: "cozebridge thread parent",
                onServerErrorRetry: onServerErrorRetry)
        }
        // The record is settled once a thread is stored in the parent (see `createThread`).
        addThreadParent(id, of: bot, pendingRecord: pending, sentAgain: sentAgain)
        return id
    }

    /// Deletes least-recently-used idle conversation channels until one more fits under the cap.
    /// Never evicts a conversation with a turn running or queued.
    func makeRoom(inGuild guild: Snowflake) async throws {
        let cap = max(configuration.conversations.maxChannelsPerGuild, 1)
        let count = try storeCall { try store.channelConversationCount(inGuild: guild) }
        guard count >= cap else { return }
        var needed = count - cap + 1
        // Ask for more than needed: busy conversations are skipped.
        let candidates = try storeCall { try store.leastRecentlyUsedChannels(inGuild: guild, limit: needed + 64) }
        for candidate in candidates where needed > 0 {
            guard !isBusy(candidate.id), let ticket = locks.tryAcquire(Self.conversationKey(candidate.id)) else { continue }
            defer { locks.release(ticket) }
            try await deleteChannel(of: candidate)
            _ = try? store.deleteConversation(id: candidate.id)
            needed -= 1
        }
    }

    /// Deletes a conversation's Discord channel with the bot that owns it (another bot of the
    /// guild when the owner is gone); a channel that no longer exists counts as deleted.
    func deleteChannel(of conversation: Conversation) async throws {
        let owner =
            bots.first { $0.identity == conversation.botIdentity }
            ?? bots.first { $0.configuration.serverID == conversation.guildID }
        guard let owner else { return }
        do {
            try await owner.listenerREST.deleteChannel(conversation.channelID, auditLogReason: "cozebridge conversation deleted")
        } catch let error as DiscordHTTPError where error.status == 404 {
            return
        } catch {
            throw CozeBridgeError.discord("deleting channel \(conversation.channelID): \(error)")
        }
    }

    /// A Discord channel name for a conversation name: lower case, spaces as dashes, only
    /// letters, digits, `-` and `_`, at most 100 characters. Only cosmetic — the store maps the
    /// exact client name to the channel id.
    static func channelName(for name: String) -> String {
        var result = ""
        var lastWasDash = false
        for character in name.lowercased() {
            if character.isLetter || character.isNumber || character == "_" {
                result.append(character)
                lastWasDash = false
            } else if !lastWasDash, !result.isEmpty {
                result.append("-")
                lastWasDash = true
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        if result.isEmpty { result = "conversation" }
        return String(result.prefix(100))
    }

    func storeCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConversationStoreError {
            throw CozeBridgeError.store(error.description)
        }
    }
}
