import CozeBridgeHTTPRequests
import Hummingbird

extension SeedParameters {
    /// Reads the query and the body (up to `limit` bytes): 413 above it, 400 for a body that
    /// starts like JSON and is not a JSON object. A large body is parsed off the loop (``OffLoop``).
    static func read(_ request: Request, limit: Int) async throws -> SeedParameters {
        var query: [(name: String, value: String)] = []
        for (name, value) in request.uri.queryParameters {
            query.append((String(name), String(value)))
        }
        var body: [UInt8]?
        if request.method != .get {
            do {
                body = Array(try await RequestBody.collect(request, limit: limit).readableBytesView)
            } catch let error as RequestBody.TooLarge {
                throw SeedAPIError(.contentTooLarge, "The request body is larger than \(error.limit) bytes.")
            }
        }
        return try await OffLoop.run(bytes: body?.count ?? 0) { [query, body] in
            do throws(RequestBodyError) {
                return try SeedParameters(query: query, body: body)
            } catch {
                throw SeedAPIError(.badRequest, error.message)
            }
        }
    }
}
