import CozeBridgePluginKit
import DiscordWire
import Hummingbird

/// An error of the seed's API, in its shape: `{"code": N, "message": "…"}` with N also the HTTP
/// status (the seed answered 403 or 400 for almost everything; these are the fitting statuses).
struct SeedAPIError: HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A failure of the core, with the status ``OpenAIError`` gives it.
    init(_ error: CozeError) {
        self.init(OpenAIError(error).status, error.message.isEmpty ? error.status.name : error.message)
    }

    var body: JSONValue {
        ["code": JSONValue(status.code), "message": .string(message), "data": ["status": false]]
    }

    var description: String { "\(status.code): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(body, status: status)
    }
}
