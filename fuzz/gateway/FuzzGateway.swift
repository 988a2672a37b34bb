// libFuzzer target: what the gateway client does with incoming frames.
//
// The first input byte picks a mode:
//   0 (mod 3): the rest is one text frame: JSON, then the client's interpretation of the payload.
//   1 (mod 3): the rest is raw zlib-stream transport data, cut into frames at the positions the
//              second byte derives, fed to one ZlibStreamDecompressor; each message it completes
//              is parsed and interpreted like a text frame (until the first typed error).
//   2 (mod 3): the rest is split at newlines into messages that a ZlibStreamCompressor compresses
//              (as the emulator and Discord do); the frames are fed back in random-sized pieces and
//              every inflated message must equal the original exactly.
//
// "Interpretation" mirrors DiscordGatewayClient.handle/dispatch (op, d, t, s, heartbeat_interval,
// READY facts, INVALID_SESSION's d) and then the engine's ReplyTracker on the dispatch.
//
// Built with `-DFUZZING -sanitize=fuzzer,address` by fuzz/run, it runs libFuzzer's driver; otherwise
// (a plain `swift build`) it is a replay tool: `fuzz-gateway FILE...`.
import CozeCore
import DiscordWire
import Foundation
import FuzzDriver

@main struct FuzzGatewayMain {
    static func main() throws { try FuzzDriver.run(checkGateway) }
}

func checkGateway(_ input: [UInt8]) {
    guard let mode = input.first else { return }
    let rest = Array(input.dropFirst())
    switch mode % 3 {
    case 0:
        interpret(rest)
    case 1:
        guard let step = rest.first else { return }
        let stream = Array(rest.dropFirst())
        let decompressor = ZlibStreamDecompressor()
        for frame in pieces(stream, seed: step) {
            do {
                if let message = try decompressor.feed(frame) { interpret(message) }
            } catch {
                _ = error.description
                return
            }
        }
    default:
        guard let step = rest.first else { return }
        let messages = rest.dropFirst().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { Array($0) }
        let compressor = ZlibStreamCompressor()
        let decompressor = ZlibStreamDecompressor()
        for message in messages {
            let compressed = compressor.compress(message)
            var inflated: [UInt8]?
            for frame in pieces(compressed, seed: step) {
                do {
                    if let out = try decompressor.feed(frame) {
                        precondition(inflated == nil, "two messages out of one")
                        inflated = out
                    }
                } catch {
                    fatalError("our own compressed stream did not inflate: \(error)")
                }
            }
            // A message whose compressed form happens to end in 00 00 ff ff early would inflate
            // in two; the compressor's output always ends with the sync flush, so exactly once.
            guard inflated == message else {
                fatalError("zlib-stream round trip changed a message of \(message.count) bytes")
            }
            interpret(message)
        }
    }
}

/// Cuts `bytes` into frames whose sizes cycle through values derived from `seed`.
func pieces(_ bytes: [UInt8], seed: UInt8) -> [[UInt8]] {
    if seed & 0x80 == 0 { return [bytes] }
    var result: [[UInt8]] = []
    var index = 0
    var size = Int(seed & 0x0F) + 1
    while index < bytes.count {
        let end = min(bytes.count, index + size)
        result.append(Array(bytes[index..<end]))
        index = end
        size = (size * 7 + 3) % 17 + 1
    }
    if result.isEmpty { result.append([]) }
    return result
}

/// What DiscordGatewayClient does with a payload, and the engine with a dispatch.
func interpret(_ message: [UInt8]) {
    let payload: JSONValue
    do {
        payload = try JSONValue.parse(message)
    } catch {
        _ = error.description
        return
    }
    let data = payload["d"] ?? .null
    switch payload["op"]?.intValue.flatMap(GatewayOpcode.init(rawValue:)) {
    case .hello:
        let milliseconds = max(data["heartbeat_interval"]?.intValue ?? 41_250, 1)
        _ = Duration.milliseconds(milliseconds)
    case .invalidSession:
        _ = data.boolValue ?? false
    case .dispatch:
        let name = payload["t"]?.stringValue ?? ""
        _ = payload["s"]?.intValue
        if name == "READY" {
            let ready = DiscordGatewayReady(data: data)
            _ = ready.userID
            _ = ready.sessionID
            _ = ready.resumeGatewayURL
            return
        }
        // The engine hands every dispatch of a turn's channel to its ReplyTracker.
        let channel = data["channel_id"]?.snowflakeValue ?? Snowflake(2)
        for byBot in [false, true] {
            var tracker = ReplyTracker(
                promptMessageID: data["message_reference"]?["message_id"]?.snowflakeValue ?? Snowflake(1),
                channelID: channel, cozeBotUserID: data["author"]?["id"]?.snowflakeValue ?? Snowflake(3),
                promptAuthoredByBot: byBot)
            let now = ContinuousClock.now
            _ = tracker.handle(event: name, data: data, at: now)
            _ = tracker.handle(event: "MESSAGE_UPDATE", data: data, at: now)
            _ = tracker.text
            _ = tracker.images
            _ = tracker.classification
        }
    default:
        break
    }
}
