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
    /// The typed cause of ``error``: the turn's error, or the engine's refusal to run it.
    public var failure: Failure?

    /// Why a keepalive prompt got no answer.
    public enum Failure: Sendable, Hashable {
        case turn(TurnError)
        case request(CozeBridgeError)
        case other
    }

    public init(
        accessKey: String, botIdentity: String, conversationName: String, result: TurnResult?, error: String?,
        failure: Failure? = nil
    ) {
        self.accessKey = accessKey
        self.botIdentity = botIdentity
        self.conversationName = conversationName
        self.result = result
        self.error = error
        self.failure = failure ?? (error == nil ? nil : .other)
    }

    /// Whether Coze answered.
    public var succeeded: Bool { result != nil }
}
