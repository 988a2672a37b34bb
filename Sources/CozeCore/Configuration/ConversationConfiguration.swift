/// Where conversations are remembered and how the guild's channel cap is handled.
public struct ConversationConfiguration: Sendable, Hashable {
    /// What to do as a guild nears Discord's 500-channel cap (`ChannelCap_Strategy`, additive).
    public enum ChannelCapStrategy: String, Sendable, Hashable, CaseIterable {
        /// Delete the least-recently-used conversation channel before creating a new one.
        case evictLeastRecentlyUsed = "evict"
        /// Keep conversations as threads, which do not count against the channel cap.
        case threads
    }

    /// The SQLite file mapping conversation names to channels (`Store_path`, additive). Relative
    /// paths are relative to the working directory, where the seed kept its files too.
    public var storePath: String
    /// Address conversations by channel ID only, never by name (`Disable_Name_Cache`).
    public var usesChannelIDsOnly: Bool
    /// The channel-cap strategy (`ChannelCap_Strategy`).
    public var channelCapStrategy: ChannelCapStrategy
    /// How many conversation channels a guild may hold before ``channelCapStrategy`` acts
    /// (`ChannelCap_maxChannels`, additive). Below 500 to leave room for the guild's own channels.
    public var maxChannelsPerGuild: Int

    public init(
        storePath: String = "cozebridge.sqlite",
        usesChannelIDsOnly: Bool = false,
        channelCapStrategy: ChannelCapStrategy = .evictLeastRecentlyUsed,
        maxChannelsPerGuild: Int = 450
    ) {
        self.storePath = storePath
        self.usesChannelIDsOnly = usesChannelIDsOnly
        self.channelCapStrategy = channelCapStrategy
        self.maxChannelsPerGuild = maxChannelsPerGuild
    }
}
