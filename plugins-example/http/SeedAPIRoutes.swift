import CozeBridgeHTTPRequests
import CozeBridgePluginKit
import DiscordWire
import Foundation
import Hummingbird

/// The seed bridge's own API under `/api/`, with its paths and parameters, and its bugs fixed:
/// `Authorization: Bearer KEY` is honoured (as are the seed's `key` header and parameter), and
/// failures get fitting statuses instead of 403 for everything. Paths are case-insensitive and
/// any of GET and POST works, as in the seed.
struct SeedAPIRoutes: Sendable {
    let services: BridgeServices

    func register(on router: Router<BridgeRequestContext>) {
        route(router, "/api/CreateConversation", createConversation)
        route(router, "/api/DeleteConversation", deleteConversation)
        route(router, "/api/RenameConversation", renameConversation)
        route(router, "/api/GetConversations", getConversations)
        route(router, "/api/ConversationIsFound", conversationIsFound)
        route(router, "/api/Chat", chat)
        route(router, "/api/ChatStream", chatStream)
        route(router, "/api/Keepalive", keepalive)
        route(router, "/api/IsBotOnline", isBotOnline)
    }

    /// A seed endpoint's handler: the parameters and the resolved key (nil for the open key).
    typealias Handler = @Sendable (SeedParameters, String?) async throws -> Response

    private func route(_ router: Router<BridgeRequestContext>, _ path: RouterPath, _ handler: @escaping Handler) {
        for method in [HTTPRequest.Method.get, .post] {
            router.on(path, method: method) { request, _ in
                let parameters = try await SeedParameters.read(request, limit: services.settings.maxBodyBytes)
                do throws(RequestBodyError) {
                    try parameters.checkForCore()
                } catch {
                    throw SeedAPIError(.badRequest, error.message)
                }
                let key: String?
                do {
                    key = try services.keys.resolve(AccessKeys.presented(in: request, parameter: parameters["key"]))
                } catch AccessKeys.Refusal.missing {
                    throw SeedAPIError(.unauthorized, "No key: send `Authorization: Bearer KEY` (or the `key` parameter).")
                } catch {
                    throw SeedAPIError(.unauthorized, "Unknown key: no bot of this server has this Key.")
                }
                do {
                    return try await handler(parameters, key)
                } catch let error as CozeError {
                    throw SeedAPIError(error)
                }
            }
        }
    }

    private func success(_ message: String, _ data: JSONValue? = nil) -> Response {
        var body: [String: JSONValue] = ["code": 200, "message": .string(message)]
        if let data { body["data"] = data }
        return JSONResponse.make(JSONValue.object(body))
    }

    private func required(_ parameters: SeedParameters, _ name: String) throws -> String {
        guard let value = parameters[name] else { throw SeedAPIError(.badRequest, "The parameter `\(name)` is missing.") }
        return value
    }

    /// The conversation of `name` (nil when the key has none of that name).
    private func conversation(_ name: String, key: String?) async throws -> Conversation? {
        try await conversations(key: key).first { $0.name == name }
    }

    /// The key's conversations. Read on a blocking thread: the store read can wait behind a
    /// commit's fsync, and requests are answered on the loop that writes the streams' chunks.
    private func conversations(key: String?) async throws -> [Conversation] {
        let host = services.host
        return try await host.blocking { try host.conversations(key: key) }
    }

    private func conversationData(_ conversation: Conversation?, name: String) -> JSONValue {
        ["status": true, "conversation_id": .string(conversation?.channelID ?? ""), "conversation_name": .string(name)]
    }

    // MARK: - Endpoints

    func createConversation(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let name = parameters["name"] ?? Self.randomName()
        let host = services.host
        try await host.blocking { try host.createConversation(key: key, name: name) }
        let created = try await conversation(name, key: key)
        return success(
            "Conversation created.",
            ["conversation_id": .string(created?.channelID ?? ""), "conversation_name": .string(name)])
    }

    func deleteConversation(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let name = try required(parameters, "name")
        let host = services.host
        try await host.blocking { try host.deleteConversation(key: key, name: name) }
        return success("Conversation deleted.", ["status": true])
    }

    func renameConversation(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let name = try required(parameters, "name")
        let newName = try required(parameters, "new_name")
        let host = services.host
        try await host.blocking { try host.renameConversation(key: key, from: name, to: newName) }
        return success("Conversation renamed.", conversationData(try await conversation(newName, key: key), name: newName))
    }

    func getConversations(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let all = try await conversations(key: key)
        let data = Dictionary(all.map { ($0.name, JSONValue.string($0.channelID)) }, uniquingKeysWith: { _, last in last })
        return success("Conversations listed.", .object(data))
    }

    func conversationIsFound(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let name = try required(parameters, "name")
        guard let found = try await conversation(name, key: key) else {
            return success("The conversation does not exist.", ["status": false, "conversation_name": .string(name)])
        }
        return success("The conversation exists.", conversationData(found, name: name))
    }

    /// The conversation, prompt and image of a chat request (the conversation defaults to the
    /// seed's `OpenAPI_Chat_Default_Channel`, "default").
    private func turn(_ parameters: SeedParameters) throws -> (conversation: String, prompt: String, images: [String]) {
        let prompt = try required(parameters, "prompt")
        return (parameters["name"] ?? "default", prompt, parameters["image"].map { [$0] } ?? [])
    }

    func chat(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let turn = try turn(parameters)
        let answer = try await services.host.answer(
            key: key, conversation: turn.conversation, prompt: turn.prompt, images: turn.images)
        return success("Success.", Self.answerData(answer))
    }

    func chatStream(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let turn = try turn(parameters)
        let events = services.host.stream(key: key, conversation: turn.conversation, prompt: turn.prompt, images: turn.images)
        return try await ServerSentEvents.response(for: events, renderer: SeedStreamRenderer()) {
            SeedAPIError($0)
        }
    }

    func keepalive(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let host = services.host
        let results = try await host.blocking { try host.keepalive(key: AccessKeys.name(of: key)) }
        let items: [JSONValue] = results.map { result in
            [
                "key": .string(result.accessKey), "bot": .string(result.bot), "conversation": .string(result.conversation),
                "ok": .bool(result.status == .ok), "status": .string(result.status.name), "message": .string(result.message),
            ]
        }
        return success("Keepalive done.", ["results": .array(items)])
    }

    func isBotOnline(_ parameters: SeedParameters, _ key: String?) async throws -> Response {
        let bots = try services.keys.bots(of: key)
        return success("Bot status read.", ["status": .bool(bots.contains { $0.state == .ready })])
    }

    /// `{"prompt": text, "files": [urls]}`, the seed's answer object.
    static func answerData(_ answer: Answer) -> JSONValue {
        ["prompt": .string(answer.text), "files": .array(answer.images.map { .string($0.url) }), "done": true]
    }

    /// The seed's default conversation name: 16 random hex digits.
    static func randomName() -> String {
        String((0..<16).map { _ in "0123456789abcdef".randomElement()! })
    }
}
