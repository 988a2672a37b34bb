import DiscordWire
import Synchronization

/// The cozebridge engine: runs every configured bot on Discord, keeps conversations per access
/// key, and turns prompts into streamed Coze answers.
///
/// ```swift
/// let bridge = try CozeBridge(configuration: config)
/// await bridge.start()
/// for try await event in bridge.stream(accessKey: "key", conversation: "chat", prompt: "Hi") { … }
/// await bridge.shutdown()
/// ```
///
/// ## Ownership
/// Every task the engine runs (turns, keepalive) is a child of one task group that ``start()``
/// opens and ``shutdown()`` cancels and awaits, so nothing outlives the engine. A turn's
/// consumer does not own the turn: a consumer that stops iterating a ``stream(accessKey:conversation:prompt:images:)``
/// cancels nothing on Discord — the prompt is out, so the turn runs to its end and is recorded
/// in the store (the next turn of that conversation waits for it, which keeps the channel's
/// history in order).
///
/// ## Bots and pools
/// Each bot gets one REST client per token and one gateway client (see ``BotConfiguration/SenderMode``).
/// Bots sharing an access key form a pool: a new conversation goes to the ready bot with the
/// fewest turns in flight, skipping bots that are offline or whose Coze quota is spent (until
/// ``CozeBridgeOptions/quotaResetTime``). A conversation stays on the bot that created it.
public final class CozeBridge: Sendable {
    /// The configuration the engine runs.
    public let configuration: BridgeConfiguration
    /// Engine timings and client hooks.
    public let options: CozeBridgeOptions
    /// The conversation store (owned by the engine; readable by callers).
    public let store: ConversationStore

    let bots: [BridgeBot]
    let locks = KeyedFIFOLock()
    /// Makes pool choice and the in-flight increment one step.
    let reservationLock = Mutex(())

    typealias Job = @Sendable () async -> Void

    private struct State {
        var phase: Phase = .idle
        var jobs: AsyncStream<Job>.Continuation?
        var runner: Task<Void, Never>?
        /// Turns holding or waiting for each conversation: eviction never touches these.
        var busy: [ConversationID: Int] = [:]
        var legacyImport: LegacyImportReport?
        /// Thread parent channels made this run, per bot identity: a parent whose threads were
        /// all deleted is absent from the store but still worth filling.
        var threadParents: [String: [Snowflake]] = [:]
        /// The pending-channel records of thread parents made this run that hold no stored thread
        /// yet, and whether each parent's creation was sent again after a server error.
        var threadParentRecords: [Snowflake: (record: Int64, sentAgain: Bool)] = [:]
    }

    private enum Phase { case idle, running, stopped }

    private let state = Mutex(State())

    /// Opens the store and prepares (but does not connect) every bot.
    ///
    /// - Parameters:
    ///   - storePath: the SQLite file; `nil` uses ``ConversationConfiguration/storePath``.
    /// - Throws: ``CozeBridgeError/invalidConfiguration(_:)`` for a bot without the token its
    ///   sender mode needs, ``CozeBridgeError/store(_:)`` when the store cannot be opened.
    public init(
        configuration: BridgeConfiguration, storePath: String? = nil, options: CozeBridgeOptions = CozeBridgeOptions()
    ) throws {
        self.configuration = configuration
        self.options = options
        do {
            store = try ConversationStore(path: storePath ?? configuration.conversations.storePath)
        } catch {
            throw CozeBridgeError.store(error.description)
        }
        var bots: [BridgeBot] = []
        for bot in configuration.bots {
            bots.append(try BridgeBot(configuration: bot, bridge: configuration, options: options))
        }
        self.bots = bots
        let activity = (try? store.lastCozeActivityByBot()) ?? [:]
        for bot in bots {
            if let last = activity[bot.identity] { bot.noteCozeActivity(at: last) }
        }
    }

    // MARK: - Life cycle

    /// Imports the legacy conversation files (see ``CozeBridgeOptions/legacyImportDirectory``),
    /// connects every bot's gateway and starts the keepalive scheduler (when `Keepalive_timer`
    /// is set). Returns at once; use ``waitUntilReady(timeout:)`` or ``status()`` to follow the
    /// connections and ``legacyImportReport`` for what the import did. Calling it again does
    /// nothing.
    public func start() {
        let (jobs, continuation) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .unbounded)
        let started: Bool = state.withLock { state in
            guard state.phase == .idle else { return false }
            state.phase = .running
            state.jobs = continuation
            state.runner = Task {
                await withDiscardingTaskGroup { group in
                    for await job in jobs {
                        group.addTask { await job() }
                    }
                    group.cancelAll()
                }
            }
            return true
        }
        guard started else { return }
        // Before the gateways, so the imported names resolve from the first request on.
        let report = importLegacyConversations()
        state.withLock { $0.legacyImport = report }
        for bot in bots { bot.gateway.start() }
        submit { [self] in await removeChannelsLeftByACrash() }
        if let period = configuration.keepalive.period {
            submit { [self] in await keepaliveLoop(period: period) }
        }
    }

    /// Waits until every bot's gateway is ready or stopped, or `timeout` passes; returns whether
    /// every bot is ready.
    @discardableResult
    public func waitUntilReady(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        for bot in bots {
            let left = deadline - ContinuousClock.now
            _ = await bot.gateway.waitForStatus(timeout: max(left, .zero)) { $0.isReady }
        }
        return bots.allSatisfy { $0.gateway.status.isReady }
    }

    /// Cancels every turn (they end with ``TurnError/cancelled`` and are recorded), stops the
    /// keepalive scheduler, closes every gateway session and REST client. Idempotent.
    public func shutdown() async {
        let runner: Task<Void, Never>? = state.withLock { state in
            guard state.phase != .stopped else { return nil }
            state.phase = .stopped
            state.jobs?.finish()
            state.jobs = nil
            return state.runner
        }
        runner?.cancel()
        locks.close()
        await runner?.value
        for bot in bots { await bot.shutdown() }
    }

    /// Runs `job` in the engine's task group; `false` when the engine is not running.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        state.withLock { state in
            guard let jobs = state.jobs else { return false }
            if case .enqueued = jobs.yield(job) { return true }
            return false
        }
    }

    var isRunning: Bool { state.withLock { $0.phase == .running } }

    // MARK: - Status

    /// Every bot's health, in configuration order. Reads no store: Coze's last activity is what
    /// the store held at start plus what this engine recorded since.
    public func status() -> [BridgeBotStatus] {
        let now = WallClock.unixMilliseconds()
        return bots.map { $0.status(now: now) }
    }

    // MARK: - Legacy import

    /// What the start-up import of the Java bridge's files did; `nil` before ``start()`` or when
    /// ``CozeBridgeOptions/legacyImportDirectory`` is `nil`. Failed files are listed in
    /// ``LegacyImportReport/failures`` and retried at the next start.
    public var legacyImportReport: LegacyImportReport? { state.withLock { $0.legacyImport } }

    /// Runs the importer once over the configured directory, filing each key's conversations
    /// on the first configured bot of that key (the seed had one bot per key). Never throws:
    /// the old files are a convenience, and a broken one must not keep the bridge down.
    func importLegacyConversations() -> LegacyImportReport? {
        guard let directory = options.legacyImportDirectory else { return nil }
        let bots = self.bots
        // Era A had a single bot and key; its `cache_names.json` belongs to that key.
        let eraAKey =
            configuration.era == .a ? (bots.first?.configuration.accessKey ?? BotConfiguration.openAccessKey)
            : BotConfiguration.openAccessKey
        let importer = LegacyConversationImporter(directory: directory, eraAAccessKey: eraAKey) { key in
            guard let bot = bots.first(where: { $0.configuration.accessKey == key }) else { return nil }
            return LegacyConversationPlacement(botIdentity: bot.identity, guildID: bot.configuration.serverID)
        }
        do {
            return try importer.importPendingFiles(into: store)
        } catch {
            var report = LegacyImportReport()
            report.failures.append(LegacyImportFailure(fileName: directory, reason: "the store failed: \(error)"))
            return report
        }
    }

    // MARK: - Thread parents

    func threadParents(of bot: BridgeBot) -> [Snowflake] { state.withLock { $0.threadParents[bot.identity] ?? [] } }

    func addThreadParent(_ id: Snowflake, of bot: BridgeBot, pendingRecord: Int64?, sentAgain: Bool) {
        state.withLock { state in
            state.threadParents[bot.identity, default: []].append(id)
            if let pendingRecord { state.threadParentRecords[id] = (pendingRecord, sentAgain) }
        }
    }

    /// The pending record of thread parent `id` if it still has one, and whether its creation was
    /// sent again; it has none afterwards.
    func takeThreadParentRecord(_ id: Snowflake) -> (record: Int64, sentAgain: Bool)? {
        state.withLock { $0.threadParentRecords.removeValue(forKey: id) }
    }

    // MARK: - Busy conversations

    func markBusy(_ id: ConversationID, _ delta: Int) {
        state.withLock { state in
            let count = (state.busy[id] ?? 0) + delta
            state.busy[id] = count > 0 ? count : nil
        }
    }

    func isBusy(_ id: ConversationID) -> Bool { state.withLock { $0.busy[id] != nil } }

    // MARK: - Lock keys

    static func nameKey(_ accessKey: String, _ name: String) -> String { "name\u{0}\(accessKey)\u{0}\(name)" }
    static func conversationKey(_ id: ConversationID) -> String { "conversation\u{0}\(id)" }
    static func guildKey(_ id: Snowflake) -> String { "guild\u{0}\(id)" }
}
