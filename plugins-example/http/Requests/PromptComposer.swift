/// How the plugin turns a dialogue into prompt text. Every prompt of a conversation is stored
/// by the core exactly as sent, and history matching compares byte for byte, so these functions
/// must stay deterministic: the same dialogue always gives the same text.
package struct PromptComposer: Sendable {
    /// What a carried-over history starts with (Settings `ContextPrefix`, the seed's
    /// `OpenAPI_Chat_MsgForward_Prefix`); a plain English line when empty.
    package var contextPrefix: String
    /// What it ends with (`ContextSuffix`); nothing when empty.
    package var contextSuffix: String

    package init(contextPrefix: String, contextSuffix: String) {
        self.contextPrefix = contextPrefix
        self.contextSuffix = contextSuffix
    }

    package static let defaultContextPrefix = "Earlier messages of this conversation, for context:"

    /// The first prompt of a new conversation: the system text, then `text`.
    package func withSystem(_ system: String?, _ text: String) -> String {
        guard let system, !system.isEmpty else { return text }
        return system + "\n\n" + text
    }

    /// `text` preceded by a compact transcript of `history` (nothing added when it is empty).
    package func withContext(_ history: some Collection<ChatDialogue.Turn>, _ text: String) -> String {
        guard !history.isEmpty else { return text }
        var lines = [contextPrefix.isEmpty ? Self.defaultContextPrefix : contextPrefix]
        for turn in history {
            lines.append("\(Self.speaker(turn.role)): \(turn.text)")
        }
        if !contextSuffix.isEmpty { lines.append(contextSuffix) }
        return lines.joined(separator: "\n") + "\n\n" + text
    }

    /// The first prompt of a new conversation that starts from `history` and `text`.
    package func firstPrompt(system: String?, history: some Collection<ChatDialogue.Turn>, text: String) -> String {
        withSystem(system, withContext(history, text))
    }

    static func speaker(_ role: String) -> String {
        switch role {
        case "user": "User"
        case "assistant": "Assistant"
        default: role.prefix(1).uppercased() + role.dropFirst()
        }
    }
}
