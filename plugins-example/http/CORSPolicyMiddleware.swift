import Hummingbird

/// CORS for browser clients (NextChat, LobeChat): answers preflights (`OPTIONS` with an
/// `Origin`) and adds `Access-Control-Allow-Origin` to responses for allowed origins.
struct CORSPolicyMiddleware: RouterMiddleware {
    typealias Context = BridgeRequestContext
    /// The allowed origins; `*` allows any.
    let origins: [String]

    static let allowHeaders = "Authorization, Content-Type, Accept, Origin, X-Conversation-Id, Key, OpenAI-Organization, OpenAI-Project, X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Retry-Count, X-Stainless-Timeout"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin], let allowed = allowedOrigin(origin) else {
            return try await next(request, context)
        }
        if request.method == .options {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: allowed,
                .accessControlAllowMethods: "GET, POST, OPTIONS",
                .accessControlAllowHeaders: request.headers[.accessControlRequestHeaders] ?? Self.allowHeaders,
                .accessControlMaxAge: "86400",
            ]
            if allowed != "*" { headers[.vary] = "Origin" }
            return Response(status: .noContent, headers: headers)
        }
        do {
            var response = try await next(request, context)
            addHeaders(to: &response.headers, allowed: allowed)
            return response
        } catch let error as HTTPResponseError {
            var response = try error.response(from: request, context: context)
            addHeaders(to: &response.headers, allowed: allowed)
            return response
        }
    }

    private func allowedOrigin(_ origin: String) -> String? {
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    private func addHeaders(to headers: inout HTTPFields, allowed: String) {
        headers[.accessControlAllowOrigin] = allowed
        headers[.accessControlExposeHeaders] = "X-Conversation-Id"
        if allowed != "*" { headers[.vary] = "Origin" }
    }
}
