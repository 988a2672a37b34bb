import CozeBridgePluginKit
import DiscordWire
import Foundation
import Hummingbird

/// The small endpoints: `GET /v1/models`, `GET /health`, `GET /metrics`, `GET /openapi.json`, and
/// the seed's `/`, `/Ping` and `/robots.txt`.
struct StatusRoutes: Sendable {
    let services: BridgeServices

    func register(on router: Router<BridgeRequestContext>) {
        router.get("/v1/models") { request, _ in try models(request) }
        router.get("/v1/models/:model") { request, context in
            let id = context.parameters.get("model") ?? ""
            return try model(request, id: id)
        }
        router.get("/health") { request, _ in health(request) }
        router.get("/metrics") { _, _ in metrics() }
        router.on("/Ping", method: .get) { _, _ in JSONResponse.make(["code": 200, "message": "Pong!"] as JSONValue) }
        router.on("/Ping", method: .post) { _, _ in JSONResponse.make(["code": 200, "message": "Pong!"] as JSONValue) }
        router.get("/") { _, _ in
            JSONResponse.make([
                "code": 200, "message": "cozebridge http plugin",
                "data": ["now": JSONValue(Int(Date().timeIntervalSince1970))],
            ] as JSONValue)
        }
        // No key, like /health: clients and tools read the API's description before they have one.
        let document = JSONResponse.encode(OpenAPIDocument.make(settings: services.settings))
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: document))
        }
        router.get("/robots.txt") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "User-agent: *\nDisallow: /\n")))
        }
    }

    private func modelObject(_ id: String) -> JSONValue {
        ["id": .string(id), "object": "model", "created": 0, "owned_by": "cozebridge"]
    }

    func models(_ request: Request) throws -> Response {
        _ = try services.keys.openAIKey(for: request)
        return JSONResponse.make(["object": "list", "data": .array(services.settings.models.map(modelObject))] as JSONValue)
    }

    func model(_ request: Request, id: String) throws -> Response {
        _ = try services.keys.openAIKey(for: request)
        guard services.settings.acceptsAnyModel || services.settings.models.contains(id) else {
            throw OpenAIError(.notFound, "The model `\(id)` does not exist.", param: "model", code: "model_not_found")
        }
        return JSONResponse.make(modelObject(id))
    }

    /// 200 with every bot's state; with `?ready=1`, 503 unless some bot is ready (for readiness
    /// probes).
    func health(_ request: Request) -> Response {
        let bots = (try? services.host.botStatus()) ?? []
        let ready = bots.contains { $0.state == .ready }
        let wantsReady = request.uri.queryParameters.get("ready").map { $0 == "1" || $0 == "true" } ?? false
        let body: JSONValue = [
            "status": ready ? "ok" : "degraded",
            "version": .string(services.host.coreVersion),
            "bots": .array(bots.map { bot in
                [
                    "key": .string(bot.accessKey), "identity": .string(bot.identity), "state": .string(bot.state.rawValue),
                    "detail": .string(bot.detail), "available": .bool(bot.available),
                    "in_flight_turns": JSONValue(bot.inFlightTurns),
                    "sender_mode": .string(bot.senderMode),
                    "last_coze_activity_ms": .int(bot.lastCozeActivityMilliseconds),
                ]
            }),
        ]
        return JSONResponse.make(body, status: wantsReady && !ready ? .serviceUnavailable : .ok)
    }

    func metrics() -> Response {
        let text = services.metrics.exposition(host: services.host)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
