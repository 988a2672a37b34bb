/// Why the engine refused a request before (or instead of) running a turn on Discord.
///
/// Failures of the turn itself — Discord refusing the prompt, Coze not answering, quota texts —
/// are ``TurnError``s delivered as ``TurnEvent/failed(_:)``. These errors are about the request:
/// an unknown key or name, or no bot able to take it.
public enum CozeBridgeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No configured bot has this access key.
    case unknownAccessKey(String)
    /// The key has no conversation of this name.
    case conversationNotFound(accessKey: String, name: String)
    /// The key already has a conversation of this name.
    case conversationExists(accessKey: String, name: String)
    /// The conversation belongs to a bot that is no longer configured.
    case conversationBotMissing(accessKey: String, name: String, botIdentity: String)
    /// The bot cannot take turns: its gateway stopped for good (`reason` is the gateway's own
    /// error text, e.g. Discord's 4004 "Authentication failed") or never became ready.
    case botUnavailable(bot: String, reason: String)
    /// No bot of the pool is ready and within its Coze quota; `reasons` says why, per bot.
    case noBotAvailable(accessKey: String, reasons: [String])
    /// The prompt cannot be sent (too long with long prompts refused, a malformed image, …).
    case invalidPrompt(String)
    /// A Discord request outside a turn (creating or deleting a channel) failed.
    case discord(String)
    /// The conversation store failed.
    case store(String)
    /// The configuration cannot be run (e.g. a bot without any token).
    case invalidConfiguration(String)
    /// ``CozeBridge/start()`` was not called, or ``CozeBridge/shutdown()`` was.
    case notRunning

    public var description: String {
        switch self {
        case .unknownAccessKey(let key):
            return "No bot is configured with the access key \"\(key)\"."
        case .conversationNotFound(let key, let name):
            return "The access key \"\(key)\" has no conversation named \"\(name)\"."
        case .conversationExists(let key, let name):
            return "The access key \"\(key)\" already has a conversation named \"\(name)\"."
        case .conversationBotMissing(let key, let name, let bot):
            return "The conversation \"\(name)\" of key \"\(key)\" lives on bot \(bot), which is no longer configured; "
                + "delete the conversation and create it again."
        case .botUnavailable(let bot, let reason):
            return "Bot \(bot) cannot take turns: \(reason)"
        case .noBotAvailable(let key, let reasons):
            return "No bot of the access key \"\(key)\" is available: " + reasons.joined(separator: "; ")
        case .invalidPrompt(let text):
            return "The prompt cannot be sent: \(text)"
        case .discord(let text):
            return "Discord refused a request: \(text)"
        case .store(let text):
            return "The conversation store failed: \(text)"
        case .invalidConfiguration(let text):
            return "The configuration cannot be run: \(text)"
        case .notRunning:
            return "The bridge is not running (start() was not called, or shutdown() was)."
        }
    }
}
