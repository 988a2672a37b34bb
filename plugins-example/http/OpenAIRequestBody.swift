import Foundation
import Hummingbird

/// Reading the JSON body of an OpenAI endpoint: 413 over `MaxBodyBytes`, 400 with a sentence
/// saying what is wrong and where when it is not the expected object.
enum OpenAIRequestBody {
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, limit: Int) async throws -> Body {
        let buffer: ByteBuffer
        do {
            buffer = try await RequestBody.collect(request, limit: limit)
        } catch let error as RequestBody.TooLarge {
            throw OpenAIError.bodyTooLarge(limit: error.limit)
        }
        do {
            return try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw OpenAIError.invalidJSON(describe(error))
        } catch {
            throw OpenAIError.invalidJSON("\(error)")
        }
    }

    /// A decoding error in a sentence: what is wrong and where.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the body" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context): return "\(path(context)): missing member `\(key.stringValue)`"
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
        @unknown default: return "\(error)"
        }
    }
}
