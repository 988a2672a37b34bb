import DiscordWire

extension CozeBridge {
    // MARK: - Public turn API

    /// Runs one turn: the prompt goes to the conversation's Coze bot and the answer streams back.
    ///
    /// - The conversation `name` of `accessKey` is created first when it does not exist (on the
    ///   pool's least busy ready bot), so a client can start talking without a separate create.
    /// - Turns of one conversation run one at a time, in the order they were requested.
    /// - The stream yields ``TurnEvent``s and ends right after exactly one terminal event:
    ///   ``TurnEvent/done(_:)`` or ``TurnEvent/failed(_:)`` (Discord refused the prompt, Coze did
    ///   not answer, a quota text, a timeout…). It *throws* a ``CozeBridgeError`` instead when no
    ///   prompt was posted at all: unknown key, no available bot, a prompt that cannot be sent.
    /// - The turn belongs to the engine, not to the consumer: a consumer that stops iterating
    ///   cancels nothing on Discord, and the turn still completes and is recorded in the store.
    ///   ``shutdown()`` cancels it (``TurnError/cancelled``).
    ///
    /// - Parameter images: image references, as ``PromptComposer`` takes them: `http(s)` URLs
    ///   (sent as text), data URIs and bare base64 (uploaded as attachments).
    public func stream(
        accessKey: String, conversation name: String, prompt: String, images: [String] = []
    ) -> AsyncThrowingStream<TurnEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: TurnEvent.self, throwing: (any Error).self, bufferingPolicy: .unbounded)
        // The place in the conversation's line is taken now, so turns run in call order.
        let ticket = locks.enqueue(Self.nameKey(accessKey, name))
        let accepted = submit { [self] in
            do {
                try await runTurn(
                    accessKey: accessKey, name: name, prompt: prompt, images: images, onBot: nil, nameTicket: ticket
                ) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        if !accepted {
            locks.release(ticket)
            continuation.finish(throwing: CozeBridgeError.notRunning)
        }
        return stream
    }

    /// Runs one turn to its end (see ``stream(accessKey:conversation:prompt:images:)``).
    ///
    /// - Returns: the answer.
    /// - Throws: the ``TurnError`` of a failed turn, or a ``CozeBridgeError`` when no prompt
    ///   could be posted. Cancelling the calling task stops the wait, not the turn.
    public func send(
        accessKey: String, conversation name: String, prompt: String, images: [String] = []
    ) async throws -> TurnResult {
        for try await event in stream(accessKey: accessKey, conversation: name, prompt: prompt, images: images) {
            switch event {
            case .done(let result): return result
            case .failed(let error): throw error
            default: continue
            }
        }
        try Task.checkCancellation()
        throw CozeBridgeError.notRunning
    }

    // MARK: - The turn

    /// Resolves (or creates) the conversation, queues behind its running turn, and performs the
    /// turn. `preferred` places a conversation that does not exist yet on that bot (keepalive).
    /// Returns the terminal event, which has also been passed to `emit` (last).
    @discardableResult
    func runTurn(
        accessKey: String, name: String, prompt: String, images: [String], onBot preferred: BridgeBot?,
        nameTicket firstTicket: KeyedFIFOLock.Ticket? = nil, emit: (TurnEvent) -> Void
    ) async throws -> TurnEvent {
        var pendingTicket = firstTicket
        defer { if let pendingTicket { locks.release(pendingTicket) } }
        let pool = try pool(accessKey)
        var attempt = 0
        while true {
            attempt += 1
            let nameTicket = pendingTicket ?? locks.enqueue(Self.nameKey(accessKey, name))
            pendingTicket = nil
            guard await locks.wait(nameTicket) else { throw CozeBridgeError.notRunning }
            let conversation: Conversation
            let bot: BridgeBot
            do {
                if let existing = try storeCall({ try store.conversation(accessKey: accessKey, named: name) }) {
                    bot = try self.bot(for: existing)
                    bot.beginWork()
                    conversation = existing
                } else {
                    let chosen: BridgeBot
                    if let preferred {
                        preferred.beginWork()
                        chosen = preferred
                    } else {
                        chosen = try await reserveBot(accessKey: accessKey, pool: pool)
                    }
                    do {
                        conversation = try await createChannel(accessKey: accessKey, name: name, on: chosen)
                    } catch {
                        chosen.endWork()
                        throw error
                    }
                    bot = chosen
                }
            } catch {
                locks.release(nameTicket)
                throw error
            }
            // Busy before queueing, so eviction spares a conversation with a turn waiting on it.
            markBusy(conversation.id, 1)
            // Queued on the conversation while still holding the name: turns keep arrival order.
            let conversationTicket = await locks.acquire(Self.conversationKey(conversation.id))
            locks.release(nameTicket)
            let terminal: TurnEvent
            do {
                // Released before the consumer hears of the end, so that whoever reacts to `.done`
                // finds the bot's load and the conversation's queue already up to date.
                defer {
                    if let conversationTicket { locks.release(conversationTicket) }
                    markBusy(conversation.id, -1)
                    bot.endWork()
                }
                guard conversationTicket != nil else { throw CozeBridgeError.notRunning }
                guard let current = try storeCall({ try store.conversation(id: conversation.id) }) else {
                    // Deleted while this turn waited: the name is free again, so resolve it anew.
                    if attempt < 3 { continue }
                    throw CozeBridgeError.conversationNotFound(accessKey: accessKey, name: name)
                }
                terminal = try await perform(conversation: current, bot: bot, prompt: prompt, images: images, emit: emit)
            }
            emit(terminal)
            return terminal
        }
    }

    private enum TurnInput: Sendable {
        case gateway(DiscordGatewayEvent)
        case tick
    }

    /// Posts the prompt, follows the reply and records the turn; returns the terminal event
    /// without emitting it (the caller does, after releasing the conversation). The caller
    /// holds the conversation.
    func perform(
        conversation: Conversation, bot: BridgeBot, prompt: String, images: [String], emit: (TurnEvent) -> Void
    ) async throws -> TurnEvent {
        try await ensureReady(bot)
        let composer = PromptComposer(
            cozeBotUserID: bot.configuration.cozeBotID,
            options: PromptComposer.Options(refusesLongPrompts: configuration.reply.refusesLongPrompts))
        let composed: ComposedPrompt
        do {
            composed = try composer.compose(prompt: prompt, imageReferences: images)
        } catch {
            throw CozeBridgeError.invalidPrompt(error.description)
        }

        let startedAt = WallClock.unixMilliseconds()
        let started = ContinuousClock.now
        // Subscribed before posting: Coze can answer before our POST returns, and the inputs'
        // buffer keeps those dispatches until the tracker knows the prompt's id. Only this
        // channel's dispatches: with every turn of the bot subscribed to everything, each edit
        // would wake every turn in flight. They go straight into the turn's own inputs (no task
        // in between), where the deadline timer adds its wake-ups.
        let (inputs, feed) = AsyncStream.makeStream(of: TurnInput.self, bufferingPolicy: .unbounded)
        let subscription = bot.gateway.subscribe(channelID: conversation.channelID) { feed.yield(.gateway($0)) }
        defer {
            if let subscription { bot.gateway.unsubscribe(subscription) }
            feed.finish()
        }
        let sender = bot.pickSender(now: startedAt)
        var tracker: ReplyTracker?
        let terminal: TurnEvent
        do {
            let message = try await bot.senders[sender].createMessage(
                channelID: conversation.channelID, payload: composed.payload(nonce: Self.makeNonce()),
                files: composed.files)
            if let promptID = message["id"]?.snowflakeValue {
                let (final, followed) = await follow(
                    ReplyTracker(
                        promptMessageID: promptID, channelID: conversation.channelID,
                        cozeBotUserID: bot.configuration.cozeBotID, promptAuthoredByBot: bot.senderIsBot),
                    inputs: inputs, feed: feed, started: started, bot: bot, conversation: conversation, emit: emit)
                terminal = final
                tracker = followed
            } else {
                terminal = .failed(.discord(status: nil, code: nil, message: "Discord's created message has no id"))
            }
        } catch let error as DiscordHTTPError where error.code == 10003 || (error.status == 404 && error.code == nil) {
            // Unknown Channel: someone deleted the conversation's channel by hand.
            terminal = .failed(.channelDeleted(channelID: conversation.channelID))
        } catch let error as DiscordHTTPError {
            terminal = .failed(.discord(error))
        } catch is CancellationError {
            terminal = .failed(.cancelled)
        } catch {
            terminal = .failed(.discord(status: nil, code: nil, message: "\(error)"))
        }
        record(
            terminal, tracker: tracker, prompt: prompt, startedAt: startedAt, conversation: conversation, bot: bot,
            sender: sender)
        return terminal
    }

    /// Feeds the conversation's dispatches to the tracker and runs its timers; returns the
    /// terminal event (not yet emitted, so the turn is stored before the consumer hears of its
    /// end) and the tracker's final state.
    private func follow(
        _ start: ReplyTracker, inputs: AsyncStream<TurnInput>, feed: AsyncStream<TurnInput>.Continuation,
        started: ContinuousClock.Instant, bot: BridgeBot, conversation: Conversation, emit: (TurnEvent) -> Void
    ) async -> (TurnEvent, ReplyTracker) {
        var tracker = start
        let idle = configuration.reply.idleTimeout
        let overall = configuration.reply.overallTimeout
        let firstReply = options.firstReplyTimeout ?? max(idle * 3, .seconds(60))
        let failureIdle = min(idle, options.failureGrace)
        var terminal: TurnEvent?
        var sawReply = false
        // While the gateway reconnects no edit can arrive: Coze's silence is not measured then,
        // and it is measured again from the moment the session is back (soak finding: a drop
        // longer than the idle timeout ended turns as done with truncated text).
        var offline = false
        var backOnline = started
        // When the `.tick` case below may end the turn. Classifying reads the whole reply
        // text, so it is done only once the shorter (failure) limit has passed.
        func nextDeadline(_ now: ContinuousClock.Instant) -> ContinuousClock.Instant {
            let overallEnd = started + overall
            if offline { return overallEnd }
            guard tracker.hasReply, let last = tracker.lastActivity else { return min(overallEnd, started + firstReply) }
            let quietSince = max(last, backOnline)
            let limit = now - quietSince < failureIdle || tracker.classification.isFailure ? failureIdle : idle
            return min(overallEnd, quietSince + limit)
        }
        let timer = TurnDeadlineTimer { feed.yield(.tick) }
        defer { timer.stop() }
        timer.arm(at: nextDeadline(started))
        for await input in inputs {
            let now = ContinuousClock.now
            var produced: [TurnEvent] = []
            switch input {
            case .gateway(.dispatch(let name, _, let data)):
                produced = tracker.handle(event: name, data: data, at: now)
            case .gateway(.stopped(let error)):
                produced = tracker.fail(
                    .discord(
                        status: nil, code: nil,
                        message: "the gateway of bot \(bot.identity) stopped: \(error?.description ?? "shut down")"))
            case .gateway(.reconnecting):
                offline = true
            case .gateway(.resumed):
                offline = false
                backOnline = now
            case .gateway(.ready):
                offline = false
                backOnline = now
                // A new session (after INVALID_SESSION or an expired resume): dispatches sent
                // between the two sessions are gone for good, so read the channel's state over
                // REST. Every message carries its whole content, so feeding the current
                // messages brings the tracker up to date (at worst with one correction).
                for message in await catchUp(bot: bot, channelID: conversation.channelID, after: tracker.promptMessageID) {
                    produced += tracker.handle(event: "MESSAGE_UPDATE", data: message, at: now)
                }
            case .gateway:
                break
            case .tick:
                if now - started >= overall {
                    produced = tracker.finishOnOverallTimeout(after: overall)
                } else if offline {
                    break
                } else if tracker.hasReply, let last = tracker.lastActivity {
                    // Classifying reads the whole reply text: only when the shorter limit passed.
                    let quiet = now - max(last, backOnline)
                    if quiet >= failureIdle, quiet >= idle || tracker.classification.isFailure {
                        produced = tracker.finishOnIdle(after: idle)
                    }
                } else if now - started >= firstReply {
                    produced = tracker.finishOnIdle(after: firstReply)
                }
            }
            if !sawReply, tracker.hasReply {
                sawReply = true
                try? store.recordCozeActivity(botIdentity: bot.identity, in: conversation.id)
            }
            for event in produced {
                if event.isTerminal { terminal = event } else { emit(event) }
            }
            if terminal != nil { break }
            timer.arm(at: nextDeadline(now))
        }
        // The inputs ended without an end: the engine is shutting down.
        return (terminal ?? tracker.fail(.cancelled).first ?? .failed(.cancelled), tracker)
    }

    /// The messages of `channelID` newer than `after`, oldest first; empty when REST fails (the
    /// live dispatches and the timeouts still decide the turn).
    private func catchUp(bot: BridgeBot, channelID: Snowflake, after: Snowflake) async -> [JSONValue] {
        guard let messages = try? await bot.listenerREST.messages(channelID: channelID, limit: 100, after: after) else {
            return []
        }
        return messages.sorted { ($0["id"]?.snowflakeValue ?? Snowflake(0)) < ($1["id"]?.snowflakeValue ?? Snowflake(0)) }
    }

    /// Stores the finished turn, the conversation's use and the Coze activity; rests the sender
    /// (index into ``BridgeBot/senders``) or the whole bot on a quota text. Store failures are not the turn's: the answer still reaches the client.
    private func record(
        _ terminal: TurnEvent, tracker: ReplyTracker?, prompt: String, startedAt: UInt64, conversation: Conversation,
        bot: BridgeBot, sender: Int
    ) {
        let finishedAt = WallClock.unixMilliseconds()
        var turn = ConversationTurn(
            prompt: prompt, answer: tracker?.shownText ?? "", imageURLs: tracker?.images.map(\.url) ?? [],
            startedAtMilliseconds: startedAt, finishedAtMilliseconds: finishedAt, outcome: .done)
        switch terminal {
        case .done(let result):
            turn.answer = result.text
            turn.imageURLs = result.images.map(\.url)
            turn.suggestions = result.suggestions
        case .failed(let error):
            turn.outcome = .error(code: Self.errorCode(error))
            if case .quotaExhausted(let scope, let text) = error {
                turn.answer = ""
                let until = options.quotaResetTime(finishedAt)
                switch scope {
                // The posting account's credits are spent: its sibling tokens still have theirs.
                case .sender: bot.restSender(sender, until: until, text: text)
                // The Coze bot's owner is out: no token of this bot can get an answer.
                case .creator: bot.restQuota(until: until, text: text)
                }
            }
        default:
            break
        }
        if case .failed(.channelDeleted) = terminal {
            // The mapping points at nothing; forgetting it lets the next turn of this name create
            // a fresh channel instead of failing forever.
            _ = try? store.deleteConversation(id: conversation.id)
            return
        }
        _ = try? store.recordTurn(turn, in: conversation.id)
        try? store.markUsed(conversation.id, atMilliseconds: finishedAt)
        if tracker?.hasReply == true {
            try? store.recordCozeActivity(botIdentity: bot.identity, atMilliseconds: finishedAt, in: conversation.id)
        }
    }

    /// Waits (up to ``CozeBridgeOptions/readyTimeout``) for the bot's gateway: a prompt posted
    /// while nobody listens would have its answer missed.
    func ensureReady(_ bot: BridgeBot) async throws {
        let status = await bot.gateway.waitForStatus(timeout: options.readyTimeout) { $0.isReady }
        if case .stopped(let reason) = status {
            throw CozeBridgeError.botUnavailable(bot: bot.identity, reason: "its gateway stopped: \(reason)")
        }
        guard status.isReady else {
            throw CozeBridgeError.botUnavailable(bot: bot.identity, reason: "its gateway is not ready (\(status))")
        }
    }

    /// A fresh message nonce; with `enforce_nonce` it makes a retried POST idempotent.
    static func makeNonce() -> String {
        String(UInt64.random(in: 1...UInt64(Int64.max)))
    }

    /// The stable code a failed turn is stored under (``TurnOutcome/error(code:)``).
    public static func errorCode(_ error: TurnError) -> String {
        switch error {
        case .quotaExhausted: return "quota_exceeded"
        case .cozeError: return "coze_error"
        case .noReply: return "no_reply"
        case .idleTimeout: return "idle_timeout"
        case .overallTimeout: return "overall_timeout"
        case .replyDeleted: return "reply_deleted"
        case .promptDeleted: return "prompt_deleted"
        case .channelDeleted: return "channel_deleted"
        case .discord: return "discord_error"
        case .cancelled: return "cancelled"
        }
    }
}
