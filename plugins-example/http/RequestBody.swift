import Hummingbird
import NIOCore

/// Reading a request body within the plugin's size limit.
enum RequestBody {
    /// The body was larger than the limit.
    struct TooLarge: Error {
        var limit: Int
    }

    /// The whole body, or ``TooLarge`` (checked against `Content-Length` first, then while reading).
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw TooLarge(limit: limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw TooLarge(limit: limit)
        }
    }
}
