import CCozeBridge
import CozeCore

// Conversations of an access key: create, rename, delete, exists, list. See include/cozebridge.h.

@c @implementation
public func coze_conversation_create(
    _ bridge: OpaquePointer!, _ access_key: UnsafePointer<CChar>!, _ name: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        let handle = try BridgeHandle.open(bridge)
        let key = CMemory.accessKey(access_key)
        let name = try CMemory.nonEmpty(name, "name")
        _ = try handle.call { core in try await core.createConversation(accessKey: key, name: name) }
    }
}

@c @implementation
public func coze_conversation_rename(
    _ bridge: OpaquePointer!, _ access_key: UnsafePointer<CChar>!, _ from: UnsafePointer<CChar>!,
    _ to: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        let handle = try BridgeHandle.open(bridge)
        let key = CMemory.accessKey(access_key)
        let old = try CMemory.nonEmpty(from, "from")
        let new = try CMemory.nonEmpty(to, "to")
        _ = try handle.core.renameConversation(accessKey: key, from: old, to: new)
    }
}

@c @implementation
public func coze_conversation_delete(
    _ bridge: OpaquePointer!, _ access_key: UnsafePointer<CChar>!, _ name: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        let handle = try BridgeHandle.open(bridge)
        let key = CMemory.accessKey(access_key)
        let name = try CMemory.nonEmpty(name, "name")
        try handle.call { core in try await core.deleteConversation(accessKey: key, name: name) }
    }
}

@c @implementation
public func coze_conversation_exists(
    _ out: UnsafeMutablePointer<Int32>!, _ bridge: OpaquePointer!, _ access_key: UnsafePointer<CChar>!,
    _ name: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let handle = try BridgeHandle.open(bridge)
        let name = try CMemory.nonEmpty(name, "name")
        let core = try handle.core
        let key = try knownKey(CMemory.accessKey(access_key), of: core)
        out.pointee = try core.conversationExists(accessKey: key, name: name) ? 1 : 0
    }
}

@c @implementation
public func coze_conversation_list_get(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<coze_conversation_list>?>!, _ bridge: OpaquePointer!,
    _ access_key: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let handle = try BridgeHandle.open(bridge)
        let core = try handle.core
        let conversations = try core.conversations(accessKey: knownKey(CMemory.accessKey(access_key), of: core))
        let items = CMemory.array(of: coze_conversation.self, count: conversations.count)
        for (index, conversation) in conversations.enumerated() {
            (items + index).initialize(
                to: coze_conversation(
                    name: CMemory.string(conversation.name), channel_id: CMemory.string(conversation.channelID.description),
                    guild_id: CMemory.string(conversation.guildID.description),
                    kind: CMemory.string(conversation.kind == .channel ? "channel" : "thread"),
                    bot: CMemory.string(conversation.botIdentity),
                    created_at_ms: Int64(clamping: conversation.createdAtMilliseconds),
                    last_used_at_ms: Int64(clamping: conversation.lastUsedAtMilliseconds),
                    completed_turns: Int64(conversation.completedTurnCount)))
        }
        out.pointee = CMemory.one(coze_conversation_list(count: conversations.count, items: items))
    }
}

@c @implementation
public func coze_conversation_find_by_history(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>!, _ bridge: OpaquePointer!,
    _ access_key: UnsafePointer<CChar>!, _ prompts: UnsafePointer<UnsafePointer<CChar>?>!,
    _ answers: UnsafePointer<UnsafePointer<CChar>?>!, _ count: Int
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let core = try BridgeHandle.open(bridge).core
        let key = try knownKey(CMemory.accessKey(access_key), of: core)
        var exchanges: [TurnExchange] = []
        if count > 0 {
            guard let prompts, let answers else { throw CFailure.invalid("prompts or answers is NULL but count is \(count).") }
            for index in 0..<count {
                exchanges.append(
                    TurnExchange(
                        prompt: try CMemory.required(prompts[index], "prompts[\(index)]"),
                        answer: try CMemory.required(answers[index], "answers[\(index)]")))
            }
        }
        let matches: [TurnHistoryMatch]
        do {
            matches = try core.store.conversations(accessKey: key, whoseHistoryStartsWith: exchanges)
        } catch {
            throw CozeBridgeError.store("\(error)")
        }
        guard let match = matches.first(where: \.isExactContinuation) else {
            throw CFailure(COZE_ENOTFOUND, "No conversation of this key continues this history of \(count) exchanges.")
        }
        out.pointee = CMemory.string(match.conversation.name)
    }
}

/// Conversation lookups of a key no bot has are refused like every other call with that key,
/// instead of answering "none".
private func knownKey(_ key: String, of core: CozeBridge) throws -> String {
    guard core.configuration.accessKeys.contains(key) else { throw CozeBridgeError.unknownAccessKey(key) }
    return key
}
