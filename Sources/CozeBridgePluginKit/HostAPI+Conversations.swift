import CozeBridgeHeaders

extension HostAPI {
    /// Creates a conversation (and its Discord channel). Blocks.
    public func createConversation(key: String?, name: String) throws(CozeError) {
        guard let create = table.pointee.conversation_create else { throw missing("conversation_create") }
        let status = CString.withOptional(key) { key in name.withCString { create(bridge, key, $0) } }
        try check(status)
    }

    /// Renames a conversation (the Discord channel keeps its id).
    public func renameConversation(key: String?, from: String, to: String) throws(CozeError) {
        guard let rename = table.pointee.conversation_rename else { throw missing("conversation_rename") }
        let status = CString.withOptional(key) { key in
            from.withCString { from in to.withCString { rename(bridge, key, from, $0) } }
        }
        try check(status)
    }

    /// Deletes a conversation and its Discord channel. Blocks.
    public func deleteConversation(key: String?, name: String) throws(CozeError) {
        guard let delete = table.pointee.conversation_delete else { throw missing("conversation_delete") }
        let status = CString.withOptional(key) { key in name.withCString { delete(bridge, key, $0) } }
        try check(status)
    }

    /// Whether the access key has a conversation of this name.
    public func conversationExists(key: String?, name: String) throws(CozeError) -> Bool {
        guard let exists = table.pointee.conversation_exists else { throw missing("conversation_exists") }
        var found: Int32 = 0
        let status = CString.withOptional(key) { key in name.withCString { exists(&found, bridge, key, $0) } }
        try check(status)
        return found != 0
    }

    /// Every conversation of the access key, oldest first.
    public func conversations(key: String?) throws(CozeError) -> [Conversation] {
        guard let get = table.pointee.conversation_list_get, let release = table.pointee.conversation_list_free else {
            throw missing("conversation_list_get")
        }
        return try CString.withOptional(key) { key throws(CozeError) in
            try copyList({ get(&$0, bridge, key) }, release: release, Conversation.init)
        }
    }

    /// The conversation an OpenAI-style client continues: the one whose completed turns are
    /// exactly `history` (prompt and answer of each exchange, byte for byte), or nil when none is.
    public func findConversation(key: String?, byHistory history: [(prompt: String, answer: String)]) throws(CozeError)
        -> String?
    {
        guard let find = table.pointee.conversation_find_by_history else {
            throw missing("conversation_find_by_history")
        }
        var out: UnsafeMutablePointer<CChar>?
        let status = CString.withOptional(key) { key in
            CString.withArray(history.map(\.prompt)) { prompts in
                CString.withArray(history.map(\.answer)) { answers in
                    find(&out, bridge, key, prompts, answers, history.count)
                }
            }
        }
        if status == COZE_ENOTFOUND { return nil }
        try check(status)
        guard let out else { return nil }
        defer { table.pointee.free?(out) }
        return String(cString: out)
    }
}
