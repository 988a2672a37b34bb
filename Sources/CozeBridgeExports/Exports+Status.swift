import CCozeBridge
import CozeCore
import DiscordWire

// Keepalive and bot status. See include/cozebridge.h.

@c @implementation
public func coze_keepalive(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<coze_keepalive_report>?>!, _ bridge: OpaquePointer!,
    _ access_key: UnsafePointer<CChar>!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let handle = try BridgeHandle.open(bridge)
        let key = access_key.map { String(cString: $0) }
        let results = try handle.call { core in
            if let key { return try await core.keepalive(accessKey: key) }
            return await core.keepaliveIfDue()
        }
        let items = CMemory.array(of: coze_keepalive_result.self, count: results.count)
        for (index, result) in results.enumerated() {
            let status: Int32
            let message: String
            if let answer = result.result {
                (status, message) = (COZE_OK, answer.text)
            } else {
                switch result.failure {
                case .turn(let error): status = CFailure.status(of: error)
                case .request(let error): status = CFailure.status(of: error)
                case .other, nil: status = COZE_EINTERNAL
                }
                message = result.error ?? ""
            }
            (items + index).initialize(
                to: coze_keepalive_result(
                    access_key: CMemory.string(result.accessKey), bot: CMemory.string(result.botIdentity),
                    conversation: CMemory.string(result.conversationName), status: status,
                    message: CMemory.string(message)))
        }
        out.pointee = CMemory.one(coze_keepalive_report(count: results.count, items: items))
    }
}

@c @implementation
public func coze_bot_status_get(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<coze_bot_status_list>?>!, _ bridge: OpaquePointer!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let statuses = try BridgeHandle.open(bridge).core.status()
        let items = CMemory.array(of: coze_bot_status.self, count: statuses.count)
        for (index, status) in statuses.enumerated() {
            let state: Int32
            let detail: String
            switch status.state {
            case .connecting: (state, detail) = (COZE_BOT_CONNECTING, status.gateway.description)
            case .ready: (state, detail) = (COZE_BOT_READY, status.gateway.description)
            case .stopped(let reason): (state, detail) = (COZE_BOT_STOPPED, reason)
            }
            (items + index).initialize(
                to: coze_bot_status(
                    access_key: CMemory.string(status.accessKey), identity: CMemory.string(status.identity),
                    sender_mode: CMemory.string(status.senderMode.rawValue), state: state,
                    detail: CMemory.string(detail), in_flight_turns: Int32(clamping: status.inFlightTurns),
                    available: status.isAvailable ? 1 : 0,
                    quota_exhausted_until_ms: Int64(clamping: status.quotaExhaustedUntilMilliseconds ?? 0),
                    last_coze_activity_ms: Int64(clamping: status.lastCozeActivityMilliseconds ?? 0)))
        }
        out.pointee = CMemory.one(coze_bot_status_list(count: statuses.count, items: items))
    }
}

@c @implementation
public func coze_bridge_statistics_json(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>!, _ bridge: OpaquePointer!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let bots = try BridgeHandle.open(bridge).core.status().map { status -> JSONValue in
            let state: String
            switch status.state {
            case .connecting: state = "connecting"
            case .ready: state = "ready"
            case .stopped: state = "stopped"
            }
            let rest = status.rest
            let gateway = status.gatewayStatistics
            return [
                "identity": .string(status.identity), "access_key": .string(status.accessKey), "state": .string(state),
                "in_flight_turns": JSONValue(status.inFlightTurns),
                "rest": [
                    "attempts": JSONValue(rest.attempts), "rate_limited": JSONValue(rest.rateLimited),
                    "server_error_retries": JSONValue(rest.serverErrorRetries),
                    "transport_retries": JSONValue(rest.transportRetries),
                ],
                "gateway": [
                    "connections": JSONValue(gateway.connections), "identifies": JSONValue(gateway.identifies),
                    "resumes": JSONValue(gateway.resumes), "resumed": JSONValue(gateway.resumed),
                    "zombie_connections": JSONValue(gateway.zombieConnections),
                    "heartbeats_sent": JSONValue(gateway.heartbeatsSent), "heartbeat_acks": JSONValue(gateway.heartbeatAcks),
                    "dispatches": JSONValue(gateway.dispatches),
                ],
            ]
        }
        out.pointee = CMemory.string(JSONValue.object(["bots": .array(bots)]).serialized())
    }
}
