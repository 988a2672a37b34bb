import CozeBridgeHeaders

extension HostAPI {
    /// Every configured bot's health, in configuration order. Does not block.
    public func botStatus() throws(CozeError) -> [BotStatus] {
        guard let get = table.pointee.bot_status_get, let release = table.pointee.bot_status_list_free else {
            throw missing("bot_status_get")
        }
        return try copyList({ get(&$0, bridge) }, release: release, BotStatus.init)
    }

    /// Sends the keepalive prompt now: to every bot of `key`, or (`nil`) to every bot whose Coze
    /// bot has been silent too long. Blocks until every answer is in.
    public func keepalive(key: String?) throws(CozeError) -> [KeepaliveResult] {
        guard let run = table.pointee.keepalive, let release = table.pointee.keepalive_report_free else {
            throw missing("keepalive")
        }
        return try CString.withOptional(key) { key throws(CozeError) in
            try copyList({ run(&$0, bridge, key) }, release: release, KeepaliveResult.init)
        }
    }

    /// The configuration as JSON text: the top-level keys of Config.yml (`section` nil) or the
    /// value of one top-level key. Holds tokens: treat it as secret. Nil when there is no such key.
    public func configJSON(section: String? = nil) throws(CozeError) -> String? {
        guard let get = table.pointee.config_json else { throw missing("config_json") }
        var out: UnsafeMutablePointer<CChar>?
        let status = CString.withOptional(section) { get(&out, bridge, $0) }
        if status == COZE_ENOTFOUND { return nil }
        try check(status)
        guard let out else { return nil }
        defer { table.pointee.free?(out) }
        return String(cString: out)
    }
}
