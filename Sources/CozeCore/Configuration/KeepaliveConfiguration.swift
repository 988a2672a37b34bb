/// Periodic prompts that keep a Coze-hosted bot from being marked offline after long silence.
public struct KeepaliveConfiguration: Sendable, Hashable {
    /// How often the scheduler wakes (`Keepalive_timer`, minutes); `nil` when `0` (off). Keepalive
    /// stays callable on demand either way.
    public var period: Duration?
    /// Only bots not heard from for longer than this get a keepalive
    /// (`Keepalive_maxIntervalMinutes`).
    public var maxSilence: Duration
    /// The conversation keepalive prompts go to (`Keepalive_sendChannel`).
    public var conversationName: String
    /// The prompt text (`Keepalive_sendMessage`). The seed swapped this with the conversation
    /// name when calling; cozebridge does not.
    public var message: String

    public init(
        period: Duration? = nil,
        maxSilence: Duration = .seconds(720 * 60),
        conversationName: String = "keepalive",
        message: String = "keepalive"
    ) {
        self.period = period
        self.maxSilence = maxSilence
        self.conversationName = conversationName
        self.message = message
    }
}
