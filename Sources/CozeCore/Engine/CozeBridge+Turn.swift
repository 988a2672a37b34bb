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
        startTurn(
            accessKey: accessKey, conversation: name, prompt: prompt, images: images,
            onEvent: { continuation.yield($0) }, onEnd: { continuation.finish(throwing: $0) })
        return stream
    }

    /// The callback form of ``stream(accessKey:conversation:prompt:images:)``, for consumers that
    /// hand events on themselves: each event goes to `onEvent` as soon as the turn has it, with no
    /// task or queue in between, so an edit of the reply reaches `onEvent` on the gateway
    /// connection's event loop. Then `onEnd` is called once: with `nil` right after the terminal
    /// event, or with the error the stream would throw. Calls never overlap and keep the turn's
    /// order; both closures must be quick and must never block (an event loop waits on them).
    public func startTurn(
        accessKey: String, conversation name: String, prompt: String, images: [String] = [],
        onEvent: @escaping @Sendable (TurnEvent) -> Void, onEnd: @escaping @Sendable ((any Error)?) -> Void
    ) {
        // The place in the conversation's line is taken now, so turns run in call order.
        let ticket = locks.enqueue(Self.nameKey(accessKey, name))
        let accepted = submit { [self] in
            do {
                try await runTurn(
                    accessKey: accessKey, name: name, prompt: prompt, images: images, onBot: nil, nameTicket: ticket,
                    emit: onEvent)
                onEnd(nil)
            } catch {
                onEnd(error)
            }
        }
        if !accepted {
            locks.release(ticket)
            onEnd(CozeBridgeError.notRunning)
        }
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
        nameTicket firstTicket: KeyedFIFOLock.Ticket? = nil, emit: @escaping @Sendable (TurnEvent) -> Void
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

    /// Posts the prompt, follows the reply and records the turn; returns the terminal event
    /// without emitting it (the caller does, after releasing the conversation). The caller
    /// holds the conversation.
    ///
    /// `emit` gets the non-terminal events, most of them straight from the gateway connection's event loop
    /// (see ``TurnFollower``): it must be quick and must not block.
    func perform(
        conversation: Conversation, bot: BridgeBot, prompt: String, images: [String],
        emit: @escaping @Sendable (TurnEvent) -> Void
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
        let idle = configuration.reply.idleTimeout
        let limits = TurnFollower.Limits(
            started: ContinuousClock.now, idle: idle, overall: configuration.reply.overallTimeout,
            firstReply: options.firstReplyTimeout ?? max(idle * 3, .seconds(60)),
            failureIdle: min(idle, options.failureGrace))
        let (wakes, wake) = AsyncStream.makeStream(of: FollowerWake.self, bufferingPolicy: .unbounded)
        let follower = TurnFollower(
            limits: limits, botIdentity: bot.identity, emit: emit, wake: { wake.yield(.follower($0)) },
            tick: { wake.yield(.tick) }, timerLoop: bot.gateway.eventLoop)
        // Subscribed before posting: Coze can answer before our POST returns, and the follower
        // holds those dispatches until it knows the prompt's id. Only this channel's dispatches:
        // with every turn of the bot subscribed to everything, each edit would wake every turn.
        let subscription = bot.gateway.subscribe(channelID: conversation.channelID) { follower.receive($0) }
        defer {
            if let subscription { bot.gateway.unsubscribe(subscription) }
            wake.finish()
        }
        let sender = bot.pickSender(now: startedAt)
        var tracker: ReplyTracker?
        let terminal: TurnEvent
        do {
            let message = try await bot.senders[sender].createMessage(
                channelID: conversation.channelID, payload: composed.payload(nonce: Self.makeNonce()),
                files: composed.files)
            if let promptID = message["id"]?.snowflakeValue {
                follower.begin(
                    ReplyTracker(
                        promptMessageID: promptID, channelID: conversation.channelID,
                        cozeBotUserID: bot.configuration.cozeBotID, promptAuthoredByBot: bot.senderIsBot))
                (terminal, tracker) = await follow(follower, wakes: wakes, bot: bot, conversation: conversation)
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

    /// What wakes a turn's task while its follower works.
    private enum FollowerWake: Sendable {
        case follower(TurnFollower.Wake)
        case tick
    }

    /// The turn's side of following the reply: runs the follower's deadlines and its catch-ups
    /// until the turn has its terminal event (not yet emitted, so the turn is stored before the
    /// consumer hears of its end); returns it and the tracker's final state. Ends with a
    /// cancellation when the engine shuts down.
    ///
    /// Coze's activity is stored with the finished turn, not when the reply begins: a commit waits
    /// for an fsync, and one at every turn's first reply woke this task and held a pool thread just
    /// as the answer's first chunk was on its way (at 100 streams the first chunks were the slowest).
    private func follow(
        _ follower: TurnFollower, wakes: AsyncStream<FollowerWake>, bot: BridgeBot, conversation: Conversation
    ) async -> (TurnEvent, ReplyTracker?) {
        wakes: for await wake in wakes {
            switch wake {
            case .tick:
                follower.tick(at: ContinuousClock.now)
            case .follower(.catchUp):
                let messages = await catchUp(
                    bot: bot, channelID: conversation.channelID, after: follower.promptMessageID)
                follower.caughtUp(messages, at: ContinuousClock.now)
            case .follower(.ended):
                break wakes
            }
        }
        return follower.finish()
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
        // One commit: the turn, the conversation's use (recordTurn marks it) and Coze's activity.
        let cozeAnswered = tracker?.hasReply == true
        if cozeAnswered { bot.noteCozeActivity(at: finishedAt) }
        do {
            try store.recordTurn(turn, in: conversation.id, cozeActivityOf: cozeAnswered ? bot.identity : nil)
        } catch {
            // Not recorded (the conversation was deleted meanwhile, or the write failed): Coze's
            // activity still counts for the bot's keepalive.
            if cozeAnswered { try? store.recordCozeActivity(botIdentity: bot.identity, atMilliseconds: finishedAt) }
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
