import CozeBridgeHTTPRequests
import CozeBridgePluginKit
import DiscordWire
import Hummingbird

/// An error of the OpenAI-compatible endpoints, answered as OpenAI does:
/// `{"error": {"message", "type", "param", "code"}}` with a fitting HTTP status.
struct OpenAIError: HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?

    init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// The body, also sent as an SSE event when a stream fails after its headers went out.
    var body: JSONValue {
        ["error": .object([
            "message": .string(message), "type": .string(type), "param": .string(orNull: param),
            "code": .string(orNull: code),
        ])]
    }

    var description: String { "\(status.code) \(type)/\(code ?? "-"): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(body, status: status)
    }

    // MARK: - Common errors

    /// A body that cannot be used (``RequestBodyDecoding``, the checks of a request): 400.
    init(_ error: RequestBodyError) {
        self.init(.badRequest, error.message, param: error.param, code: error.code)
    }

    static func bodyTooLarge(limit: Int) -> OpenAIError {
        OpenAIError(.contentTooLarge, "The request body is larger than \(limit) bytes (MaxBodyBytes).", code: "body_too_large")
    }

    static func missingKey() -> OpenAIError {
        OpenAIError(
            .unauthorized,
            "No API key: send `Authorization: Bearer KEY` with one of the Keys of Config.yml (this server has no open key).",
            code: "invalid_api_key")
    }

    static func unknownKey() -> OpenAIError {
        OpenAIError(.unauthorized, "Incorrect API key: no bot of this server has this Key.", code: "invalid_api_key")
    }

    /// A failure of the core, with the HTTP status that fits it.
    init(_ error: CozeError) {
        let (status, type, code): (HTTPResponse.Status, String, String) =
            switch error.status {
            case .unknownKey: (.unauthorized, "invalid_request_error", "invalid_api_key")
            case .invalidArgument: (.badRequest, "invalid_request_error", "invalid_request")
            case .badPrompt: (.badRequest, "invalid_request_error", "invalid_prompt")
            case .notFound: (.notFound, "invalid_request_error", "conversation_not_found")
            case .exists: (.conflict, "invalid_request_error", "conversation_exists")
            case .unavailable: (.serviceUnavailable, "server_error", "bot_unavailable")
            case .quota: (.tooManyRequests, "insufficient_quota", "coze_quota")
            case .timeout: (.gatewayTimeout, "server_error", "timeout")
            case .noReply: (.badGateway, "server_error", "no_reply")
            case .coze: (.badGateway, "server_error", "coze_error")
            case .discord: (.badGateway, "server_error", "discord_error")
            case .gone: (.badGateway, "server_error", "conversation_gone")
            case .closed, .cancelled: (.serviceUnavailable, "server_error", "shutting_down")
            case .store: (.internalServerError, "server_error", "store_error")
            default: (.internalServerError, "server_error", "internal_error")
            }
        self.init(status, error.message.isEmpty ? error.status.name : error.message, type: type, code: code)
    }
}
