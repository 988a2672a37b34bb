import CozeBridgeHTTPRequests
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
            return try RequestBodyDecoding.decode(Body.self, from: buffer.readableBytesView)
        } catch {
            throw OpenAIError(error)
        }
    }
}
