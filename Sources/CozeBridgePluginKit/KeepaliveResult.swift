import CozeBridgeHeaders

/// What one keepalive prompt did (`coze_keepalive_result`).
public struct KeepaliveResult: Hashable, Sendable {
    public var accessKey: String
    /// The bot's identity and the keepalive conversation it used.
    public var bot: String
    public var conversation: String
    /// ``CozeStatus/ok`` when Coze answered, else the turn's status.
    public var status: CozeStatus
    /// The answer's text or the error's explanation.
    public var message: String

    /// Copies a borrowed `coze_keepalive_result`.
    public init(_ value: coze_keepalive_result) {
        accessKey = CString.optional(value.access_key) ?? ""
        bot = CString.optional(value.bot) ?? ""
        conversation = CString.optional(value.conversation) ?? ""
        status = CozeStatus(rawValue: value.status)
        message = CString.optional(value.message) ?? ""
    }
}
