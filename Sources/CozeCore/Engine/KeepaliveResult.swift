/// What one keepalive prompt to one bot gave.
public struct KeepaliveResult: Sendable, Hashable {
    /// The bot's access key.
    public var accessKey: String
    /// The bot's identity (see ``BridgeBotStatus/identity``).
    public var botIdentity: String
    /// The conversation the keepalive went to.
    public var conversationName: String
    /// The answer on success.
    public var result: TurnResult?
    /// What went wrong otherwise.
    public var error: String?

    public init(accessKey: String, botIdentity: String, conversationName: String, result: TurnResult?, error: String?) {
        self.accessKey = accessKey
        self.botIdentity = botIdentity
        self.conversationName = conversationName
        self.result = result
        self.error = error
    }

    /// Whether Coze answered.
    public var succeeded: Bool { result != nil }
}
