import DiscordWire
import Foundation

/// Engine settings that are not part of `Config.yml`: timings around the reply timeouts and hooks
/// that tests (and embedders) use to tune the Discord clients.
public struct CozeBridgeOptions: Sendable {
    /// How long a turn waits for the Coze bot's first reply message before it fails with
    /// ``TurnError/noReply(promptAuthoredByBot:cozeTyped:)``. Longer than the idle timeout because
    /// Coze may think (or queue) for a while before it posts anything; `nil` means
    /// `max(3 × idle timeout, 60 s)`. The overall timeout still applies.
    public var firstReplyTimeout: Duration?
    /// Once the reply so far is one of Coze's canned failure texts (quota, busy), it is never
    /// edited again, so the turn ends after this instead of the whole idle timeout.
    public var failureGrace: Duration
    /// How long a turn (or a new conversation) waits for a bot's gateway that is still
    /// connecting or reconnecting before giving up.
    public var readyTimeout: Duration
    /// When a bot whose Coze quota ran out at the given Unix milliseconds may be tried again, in
    /// Unix milliseconds. The default is the next midnight UTC, when Coze resets daily limits.
    public var quotaResetTime: @Sendable (UInt64) -> UInt64
    /// Adjusts each gateway client's settings (timings, intents) before it is made.
    public var configureGateway: @Sendable (inout DiscordGatewayConfiguration) -> Void
    /// Adjusts each REST client's settings before it is made.
    public var configureREST: @Sendable (inout DiscordRESTClient.Configuration) -> Void
    /// Where ``CozeBridge/start()`` looks for the Java bridge's `conversation_<Key>.json` and
    /// `cache_names.json` to import once (see ``LegacyConversationImporter``); `nil` skips the
    /// import. The default is the process's working directory, because that is where the seed
    /// wrote those files and where a relative `Store_path` lands too, so an operator who drops
    /// cozebridge into the old bridge's directory gets the old conversations without a setting.
    public var legacyImportDirectory: String?
    /// With `ChannelCap_Strategy: threads`, how many conversation threads one parent channel
    /// holds before a new parent is made. Discord counts active threads per guild (1000), not
    /// per channel; spreading them keeps each parent's thread list usable for a human.
    public var threadsPerParentChannel: Int
    /// How long after a failed channel or thread creation its pending record is checked: Discord
    /// may have made the channel although its answer never arrived, and the bridge then deletes
    /// it, as the next start would. Longer than a REST request may take, so that a request still
    /// under way at Discord has finished by then.
    public var pendingChannelRecheck: Duration

    public init(
        firstReplyTimeout: Duration? = nil,
        failureGrace: Duration = .seconds(1),
        readyTimeout: Duration = .seconds(30),
        quotaResetTime: @escaping @Sendable (UInt64) -> UInt64 = CozeBridgeOptions.nextUTCMidnight,
        configureGateway: @escaping @Sendable (inout DiscordGatewayConfiguration) -> Void = { _ in },
        configureREST: @escaping @Sendable (inout DiscordRESTClient.Configuration) -> Void = { _ in },
        legacyImportDirectory: String? = FileManager.default.currentDirectoryPath,
        threadsPerParentChannel: Int = 200,
        pendingChannelRecheck: Duration = .seconds(120)
    ) {
        self.pendingChannelRecheck = pendingChannelRecheck
        self.legacyImportDirectory = legacyImportDirectory
        self.threadsPerParentChannel = threadsPerParentChannel
        self.firstReplyTimeout = firstReplyTimeout
        self.failureGrace = failureGrace
        self.readyTimeout = readyTimeout
        self.quotaResetTime = quotaResetTime
        self.configureGateway = configureGateway
        self.configureREST = configureREST
    }

    /// The first midnight UTC strictly after `milliseconds`.
    public static func nextUTCMidnight(after milliseconds: UInt64) -> UInt64 {
        let day: UInt64 = 86_400_000
        return (milliseconds / day + 1) * day
    }
}
