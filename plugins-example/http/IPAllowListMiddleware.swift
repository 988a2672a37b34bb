import Hummingbird

/// Refuses callers whose address is not on the white list (403), except CORS preflights, which
/// carry no credentials (as in the seed).
struct IPAllowListMiddleware: RouterMiddleware {
    typealias Context = BridgeRequestContext
    let allowList: IPAllowList

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.method == .options || context.remoteAddress.map(allowList.allows) == true {
            return try await next(request, context)
        }
        let message = "Your address (\(context.remoteAddress ?? "unknown")) may not use this service."
        throw ErrorShapeMiddleware.isOpenAI(request)
            ? OpenAIError(.forbidden, message, code: "ip_not_allowed") as any Error : SeedAPIError(.forbidden, message)
    }
}
