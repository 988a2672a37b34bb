import CozeBridgeHTTPRequests
import CozeBridgePluginKit

/// Finds the conversation a chat request continues, for OpenAI clients, which keep no state on
/// the server and resend the whole dialogue with every request.
///
/// - An explicit name (header `X-Conversation-Id` or the `user` field) is used as is; only the
///   new message is sent (with the system text and any history when the name is new).
/// - Otherwise the earlier turns are matched against the stored conversations of the key
///   (`conversation_find_by_history`): a match gets only the new message.
/// - No match and no earlier turns: a new conversation with a generated name.
/// - No match with earlier turns: a new conversation whose first prompt carries them as context.
///
/// A conversation started with context stores that composed first prompt, so when the client
/// continues it the history to match is (context prompt, answer) followed by the later turns;
/// ``resolve(_:key:explicitName:)`` tries each such split, and plain histories first.
struct ConversationResolver: Sendable {
    /// What to send, and where.
    struct Plan: Sendable, Equatable {
        var conversation: String
        var prompt: String
        var images: [String]
        /// Whether the conversation is new (the plugin named it, or the explicit name was unused).
        var isNew: Bool
    }

    let host: HostAPI
    let composer: PromptComposer
    /// The most history splits tried per request.
    var maximumSplits = 32

    func resolve(_ dialogue: ChatDialogue, key: String?, explicitName: String?) async throws -> Plan {
        if let name = explicitName {
            let exists = try await host.blocking { try host.conversationExists(key: key, name: name) }
            return exists
                ? Plan(conversation: name, prompt: dialogue.newText, images: dialogue.newImages, isNew: false)
                : newConversation(named: name, for: dialogue)
        }
        if !dialogue.history.isEmpty, let exchanges = dialogue.exchanges {
            let candidates = candidateHistories(exchanges, system: dialogue.system)
            let found = try await host.blocking { () throws -> String? in
                for history in candidates {
                    if let name = try host.findConversation(key: key, byHistory: history) { return name }
                }
                return nil
            }
            if let found {
                return Plan(conversation: found, prompt: dialogue.newText, images: dialogue.newImages, isNew: false)
            }
        }
        return newConversation(named: Self.generatedName(), for: dialogue)
    }

    /// The histories a stored conversation could have for these exchanges: split k means the
    /// conversation began at exchange k with the exchanges before it as context.
    func candidateHistories(
        _ exchanges: [(prompt: String, answer: String)], system: String?
    ) -> [[(prompt: String, answer: String)]] {
        let turns = exchanges.flatMap {
            [ChatDialogue.Turn(role: "user", text: $0.prompt), ChatDialogue.Turn(role: "assistant", text: $0.answer)]
        }
        return (0..<min(exchanges.count, maximumSplits)).map { split in
            let first = composer.firstPrompt(system: system, history: turns[..<(split * 2)], text: exchanges[split].prompt)
            return [(first, exchanges[split].answer)] + exchanges[(split + 1)...]
        }
    }

    private func newConversation(named name: String, for dialogue: ChatDialogue) -> Plan {
        Plan(
            conversation: name,
            prompt: composer.firstPrompt(system: dialogue.system, history: dialogue.history, text: dialogue.newText),
            images: dialogue.newImages, isNew: true)
    }

    /// A fresh conversation name: "chat-" and 16 random hex digits.
    static func generatedName() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return "chat-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
