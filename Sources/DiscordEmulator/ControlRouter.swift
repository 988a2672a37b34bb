import DiscordWire
import NIOHTTP1

/// `/_emulator/...`: fault injection and inspection for tests (docs/emulator.md, "Control endpoint").
struct ControlRouter: Sendable {
    let emulator: DiscordEmulator

    func route(_ request: EmulatorHTTPRequest, path: [Substring]) -> EmulatorHTTPResponse {
        let body: JSONValue
        if request.body.isEmpty {
            body = [:]
        } else {
            do {
                body = try JSONValue.parse(request.body)
            } catch {
                return .json(["error": .string("control: body is not JSON: \(error)")], status: .badRequest)
            }
        }
        let token = body["token"]?.stringValue
        switch (request.method, path.map(String.init)) {
        case (.GET, ["counters"]):
            return .json(emulator.counters)
        case (.GET, ["sessions"]):
            return .json(emulator.sessions)
        case (.GET, ["marker-writes"]):
            return .json(emulator.markerWrites)
        case (.DELETE, ["marker-writes"]):
            emulator.clearMarkerWrites()
            return .json(["ok": true])
        case (.GET, ["scenario"]):
            return .json(emulator.scenario)
        case (.PUT, ["scenario"]), (.POST, ["scenario"]):
            do {
                try emulator.updateScenario(body)
                return .json(emulator.scenario)
            } catch {
                return .json(["error": .string("\(error)")], status: .badRequest)
            }
        case (.POST, ["faults", "drop-gateway"]):
            let refuse = UInt64(max(0, body["refuse_ms"]?.intValue ?? 0))
            return .json(["affected": JSONValue(emulator.dropGatewayConnections(token: token, refuseMilliseconds: refuse))])
        case (.POST, ["faults", "reconnect"]):
            return .json(["affected": JSONValue(emulator.sendReconnect(token: token))])
        case (.POST, ["faults", "invalid-session"]):
            let resumable = body["resumable"]?.boolValue ?? false
            return .json(["affected": JSONValue(emulator.sendInvalidSession(token: token, resumable: resumable))])
        case (.POST, ["faults", "http-errors"]):
            guard let count = body["count"]?.intValue, count >= 0 else { return missing("count") }
            let status = body["status"]?.intValue ?? 500
            guard (500...599).contains(status) else {
                return .json(["error": "control: status must be 500-599"], status: .badRequest)
            }
            emulator.failNextRequests(
                count: count, status: status, afterProcessing: body["after_processing"]?.boolValue ?? false)
            return .json(["ok": true])
        case (.POST, ["faults", "rate-limit"]):
            guard let count = body["count"]?.intValue, count >= 0 else { return missing("count") }
            emulator.forceRateLimits(
                count: count, retryAfter: body["retry_after"]?.doubleValue ?? 1.0, global: body["global"]?.boolValue ?? false)
            return .json(["ok": true])
        case (.POST, ["faults", "latency"]):
            guard let milliseconds = body["ms"]?.intValue, milliseconds >= 0 else { return missing("ms") }
            emulator.setLatency(milliseconds: milliseconds)
            return .json(["ok": true])
        case (.POST, ["faults", "clear"]):
            emulator.clearFaults()
            return .json(["ok": true])
        default:
            return .json(["error": .string("control: no route \(request.method.rawValue) /\(path.joined(separator: "/"))")], status: .notFound)
        }
    }

    private func missing(_ key: String) -> EmulatorHTTPResponse {
        .json(["error": .string("control: \(key) must be a non-negative integer")], status: .badRequest)
    }
}

/// Routes every HTTP request of the emulator's one port.
struct EmulatorRouter: Sendable {
    let emulator: DiscordEmulator
    let rest: RESTRouter

    func route(_ request: EmulatorHTTPRequest) -> EmulatorHTTPResponse {
        let components = request.path.split(separator: "/")
        switch components.first {
        case "api":
            var rest = components.dropFirst()
            if let version = rest.first, version.hasPrefix("v"), Int(version.dropFirst()) != nil {
                rest = rest.dropFirst()
            }
            return self.rest.route(request, path: Array(rest))
        case "attachments":
            return attachment(Array(components.dropFirst()))
        case "_emulator":
            return ControlRouter(emulator: emulator).route(request, path: Array(components.dropFirst()))
        default:
            return .error(.notFound)
        }
    }

    /// `GET /attachments/{channel}/{attachment}/{filename}`, and the Coze bot's images under `/attachments/coze/`.
    private func attachment(_ path: [Substring]) -> EmulatorHTTPResponse {
        if path.count == 2, path[0] == "coze", path[1].hasSuffix(".png") {
            return EmulatorHTTPResponse(
                status: .ok, headers: [("Content-Type", SampleImage.contentType)], body: SampleImage.png)
        }
        guard path.count == 3, let channelID = Snowflake(String(path[0])), let attachmentID = Snowflake(String(path[1])),
            let file = rest.world.attachmentData(channelID: channelID, attachmentID: attachmentID)
        else {
            return .error(.notFound)
        }
        return EmulatorHTTPResponse(
            status: .ok, headers: [("Content-Type", file.contentType ?? "application/octet-stream")], body: file.bytes)
    }
}
