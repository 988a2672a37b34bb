import DiscordWire
import NIOHTTP1

/// A whole HTTP request, body included.
struct EmulatorHTTPRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The path without the query string.
    var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }

    /// Query parameters (last one wins), percent-decoded.
    var query: [String: String] {
        let parts = uri.split(separator: "?", maxSplits: 1)
        guard parts.count == 2 else { return [:] }
        var result: [String: String] = [:]
        for pair in parts[1].split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.percentDecoded(keyValue[0])
            result[key] = keyValue.count > 1 ? Self.percentDecoded(keyValue[1]) : ""
        }
        return result
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A whole HTTP response.
struct EmulatorHTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// Injected latency before the answer is written.
    var delayMilliseconds = 0

    /// JSON with Discord's exact `Content-Type: application/json` (discord.py compares it with `==`).
    static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> EmulatorHTTPResponse {
        EmulatorHTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.serializedBytes())
    }

    static func error(_ error: DiscordAPIError) -> EmulatorHTTPResponse {
        json(error.json, status: HTTPResponseStatus(statusCode: error.status))
    }

    static let noContent = EmulatorHTTPResponse(status: .noContent)
}
