import CozeBridgeHTTPRequests
import Foundation
import Hummingbird

/// Reading the JSON body of an OpenAI endpoint: 413 over `MaxBodyBytes`, 400 with a sentence
/// saying what is wrong and where when it is not the expected object.
enum OpenAIRequestBody {
    /// The body, decoded (off the connection's loop when it is large, see ``OffLoop``).
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, limit: Int) async throws -> Body {
        let buffer = try await collect(request, limit: limit)
        return try await OffLoop.run(bytes: buffer.readableBytes) { try decode(Body.self, from: buffer) }
    }

    /// The body's bytes, or 413 over `limit`.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await RequestBody.collect(request, limit: limit)
        } catch let error as RequestBody.TooLarge {
            throw OpenAIError.bodyTooLarge(limit: error.limit)
        }
    }

    /// The collected body, decoded where the caller runs.
    static func decode<Body: Decodable>(_ type: Body.Type, from buffer: ByteBuffer) throws -> Body {
        do {
            return try RequestBodyDecoding.decode(Body.self, from: buffer.readableBytesView)
        } catch {
            throw OpenAIError(error)
        }
    }
}
