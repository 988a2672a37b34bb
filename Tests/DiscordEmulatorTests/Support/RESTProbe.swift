import AsyncHTTPClient
import DiscordEmulator
import DiscordWire
import NIOCore
import NIOHTTP1

/// Plain REST calls against the emulator, returning status, headers and parsed JSON.
struct RESTProbe {
    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSONValue? { try? JSONValue.parse(body) }

        /// The first value of header `name` (case-insensitive).
        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    let emulator: DiscordEmulator

    /// `authorization` is sent as is: `Bot <token>` for bots, the bare token for users.
    func request(
        _ method: HTTPMethod, _ path: String, authorization: String?, json: JSONValue? = nil,
        body: [UInt8]? = nil, contentType: String? = nil
    ) async throws -> Response {
        let url = path.hasPrefix("http") ? path : emulator.info.api + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(json.serializedBytes())
        } else if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(body)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return Response(status: Int(response.status.code), headers: response.headers, body: Array(buffer: collected))
    }

    func bot(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil, token: String? = nil) async throws -> Response {
        try await request(method, path, authorization: "Bot \(token ?? emulator.info.bridgeBotToken)", json: json)
    }

    /// A request with the user account's bare token.
    func user(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws -> Response {
        try await request(method, path, authorization: emulator.info.userToken, json: json)
    }

    /// A request to the control endpoint (`/_emulator` + `path`).
    func control(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws -> Response {
        try await request(method, emulator.info.control + path, authorization: nil, json: json)
    }
}
