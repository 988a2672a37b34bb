import Hummingbird

/// Answers in the API's own error shape for the requests no route takes, and counts every
/// response for `/metrics`.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = BridgeRequestContext
    let metrics: PluginMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            let response = try await next(request, context)
            metrics.recordRequest(status: response.status.code)
            return response
        } catch let error as HTTPResponseError {
            metrics.recordRequest(status: error.status.code)
            if error is OpenAIError || error is SeedAPIError { throw error }
            // Hummingbird's own errors (no route, wrong method): in the API's shape.
            let message = error.status == .notFound ? "No such endpoint: \(request.uri.path)" : "\(error.status)"
            throw Self.isOpenAI(request) ? OpenAIError(error.status, message) as any Error : SeedAPIError(error.status, message)
        } catch {
            metrics.recordRequest(status: 500)
            context.logger.error("request failed: \(error)")
            throw Self.isOpenAI(request)
                ? OpenAIError(.internalServerError, "Internal error: \(error)", type: "server_error") as any Error
                : SeedAPIError(.internalServerError, "Internal error: \(error)")
        }
    }

    /// Whether the request belongs to the OpenAI-compatible API (`/v1/…`).
    static func isOpenAI(_ request: Request) -> Bool {
        request.uri.path.lowercased().hasPrefix("/v1/")
    }
}
