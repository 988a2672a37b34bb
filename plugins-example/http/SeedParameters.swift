import DiscordWire
import Foundation
import Hummingbird

/// The parameters of a seed API request. As in the seed, they come from the query string, or from
/// the body as a JSON object or as `a=b&c=d` form data; the forms are interchangeable.
struct SeedParameters: Sendable {
    var values: [String: String]

    subscript(name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Reads the query and the body (up to `limit` bytes).
    static func read(_ request: Request, limit: Int) async throws -> SeedParameters {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            values[String(name)] = String(value)
        }
        guard request.method != .get else { return SeedParameters(values: values) }
        let body: ByteBuffer
        do {
            body = try await RequestBody.collect(request, limit: limit)
        } catch let error as RequestBody.TooLarge {
            throw SeedAPIError(.contentTooLarge, "The request body is larger than \(error.limit) bytes.")
        }
        let data = Data(body.readableBytesView)
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return SeedParameters(values: values) }
        if text.hasPrefix("{") {
            guard case .object(let members) = try? JSONValue.parse(body.readableBytesView) else {
                throw SeedAPIError(.badRequest, "The body is not valid JSON.")
            }
            for (name, value) in members {
                if let text = value.lenientString { values[name] = text }
            }
        } else {
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard let name = parts.first?.removingPercentEncoding else { continue }
                let value = parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: " ") : ""
                values[name] = value.removingPercentEncoding ?? value
            }
        }
        return SeedParameters(values: values)
    }
}
