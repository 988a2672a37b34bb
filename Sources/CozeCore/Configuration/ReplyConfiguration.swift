/// How the core decides that Coze has finished answering.
public struct ReplyConfiguration: Sendable, Hashable {
    /// With no buttons under the reply (Coze omits them e.g. for refused prompts), the reply is
    /// done once it has not changed for this long (`generate_timeout`, milliseconds).
    public var idleTimeout: Duration
    /// A turn fails after this long no matter what (`generate_totalTimeout`, milliseconds,
    /// additive). The seed hard-coded about 60 s, which cut long generations short.
    public var overallTimeout: Duration
    /// Accept Coze messages even when they do not reply to or mention us
    /// (`Disable_CozeBot_ReplyMsgCheck`). They must still come from ``BotConfiguration/cozeBotID``.
    public var skipsReplySourceCheck: Bool
    /// Refuse prompts over Discord's 2000 characters instead of uploading them as a `.txt`
    /// attachment (`Disable_2000Limit_Unlock`, with the meaning the seed documented; its code had
    /// the logic inverted).
    public var refusesLongPrompts: Bool

    public init(
        idleTimeout: Duration = .milliseconds(10_000),
        overallTimeout: Duration = .milliseconds(300_000),
        skipsReplySourceCheck: Bool = false,
        refusesLongPrompts: Bool = false
    ) {
        self.idleTimeout = idleTimeout
        self.overallTimeout = overallTimeout
        self.skipsReplySourceCheck = skipsReplySourceCheck
        self.refusesLongPrompts = refusesLongPrompts
    }
}
