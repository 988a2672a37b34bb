import AsyncHTTPClient
import DiscordEmulator
import DiscordWire
import Foundation
import NIOCore
import NIOHTTP1

/// Measures how many Coze edits (MESSAGE_UPDATE) per second the emulator delivers to one gateway
/// client: `channels` conversations answer a long prompt at once, with no pacing between edits.
/// Usage: emulator-bench [channels] [chunks-per-message]
@main
enum EmulatorBench {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let channelCount = arguments.first ?? 50
        let chunks = arguments.dropFirst().first ?? 100
        let messagesPerAnswer = 3
        let emulator = try await DiscordEmulator.start(scenario: [
            "rate_limits": ["enabled": false],
            "coze": [
                "start_delay_ms": 0, "edit_interval_ms": 0, "chunks": .int(Int64(chunks)),
                "long_answer_messages": .int(Int64(messagesPerAnswer)), "default_scenario": "long",
            ],
        ])
        let info = emulator.info
        let socket = try await GatewayWebSocket.connect(to: info.gateway, zlibStream: true)
        try await socket.send([
            "op": 2,
            "d": ["token": .string(info.bridgeBotToken), "intents": .int(Int64(GatewayIntents.bridge.rawValue)), "properties": [:]],
        ])

        var channelIDs: [String] = []
        for index in 0..<channelCount {
            let channel = try await rest(
                .POST, "\(info.api)/guilds/\(info.guildID)/channels", token: info.userToken,
                ["name": .string("bench-\(index)"), "parent_id": JSONValue(info.categoryID)])
            channelIDs.append(channel["id"]?.stringValue ?? "")
        }

        var iterator = socket.events.makeAsyncIterator()
        // Wait for GUILD_CREATE so the session is live before the prompts go out.
        while let event = await iterator.next() {
            if case .payload(let payload) = event, payload["t"]?.stringValue == "GUILD_CREATE" { break }
        }

        let clock = ContinuousClock()
        let start = clock.now
        for channelID in channelIDs {
            _ = try await rest(
                .POST, "\(info.api)/channels/\(channelID)/messages", token: info.userToken,
                ["content": .string("<@\(info.cozeBotUserID)> tell me everything")])
        }
        var updates = 0
        var bytes = 0
        var finished = 0
        var lastUpdate = start
        while finished < channelCount, let event = await iterator.next() {
            guard case .payload(let payload) = event, payload["t"]?.stringValue == "MESSAGE_UPDATE" else {
                if case .closed(let code, let reason) = event {
                    print("gateway closed: \(code.map(String.init) ?? "-") \(reason)")
                    break
                }
                continue
            }
            updates += 1
            bytes += payload.serializedBytes().count
            lastUpdate = clock.now
            if !(payload["d"]?["components"]?.arrayValue ?? []).isEmpty { finished += 1 }
        }
        let elapsed = (lastUpdate - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let rate = Double(updates) / seconds
        print("channels: \(channelCount), chunks per message: \(chunks), messages per answer: \(messagesPerAnswer)")
        print("edits delivered: \(updates) in \(String(format: "%.3f", seconds)) s")
        print("payload bytes (uncompressed JSON): \(bytes), average \(updates > 0 ? bytes / updates : 0)")
        print("summary: emulator delivers \(Int(rate)) edits/s to one client (zlib-stream, \(channelCount) concurrent answers)")
        await socket.close()
        try await emulator.shutdown()
    }

    static func rest(_ method: HTTPMethod, _ url: String, token: String, _ body: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: token)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body.serializedBytes())
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 24)
        let json = try JSONValue.parse(Array(buffer: data))
        guard response.status.code < 300 else {
            throw GatewayWebSocketError(description: "\(method) \(url) → \(response.status.code) \(json)")
        }
        return json
    }
}
