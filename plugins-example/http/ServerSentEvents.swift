import CozeBridgePluginKit
import DiscordWire
import HTTPTypes
import Hummingbird
import NIOCore

/// Turns a streamed turn into the server-sent events of one API (OpenAI's chunks, the seed's
/// progress objects).
protocol TurnEventRenderer: Sendable {
    /// Events to send before the turn's first event (after the headers).
    mutating func start() -> [ByteBuffer]
    /// Events for one event of the turn.
    mutating func render(_ event: StreamEvent) -> [ByteBuffer]
    /// The event for a failure after the headers went out (the stream then ends).
    func failure(_ error: CozeError) -> ByteBuffer
}

/// Server-sent event responses for streamed turns.
enum ServerSentEvents {
    /// The headers of every event stream.
    static var headers: HTTPFields {
        [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache",
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
    }

    /// The response for `events`. The turn's first event is awaited before the headers go out, so
    /// a turn that fails at once (no bot, quota, unknown key) gets a proper HTTP status through
    /// `httpError`; a later failure becomes the renderer's failure event.
    ///
    /// A client that goes away ends the body: delivery stops, but the turn still completes and is
    /// recorded in its conversation by the core.
    ///
    /// The body runs on the connection's event loop, as the whole request does
    /// (``HummingbirdCore/HTTPServerBuilder`` `http1OnConnectionLoop`).
    static func response(
        for events: AsyncThrowingStream<StreamEvent, any Error>, renderer: some TurnEventRenderer,
        headers extra: HTTPFields = [:], httpError: (CozeError) -> any Error
    ) async throws -> Response {
        var iterator = events.makeAsyncIterator()
        let first: StreamEvent?
        do {
            first = try await iterator.next()
        } catch let error as CozeError {
            throw httpError(error)
        }
        let pending = OneShot(iterator)
        var fields = headers
        fields.append(contentsOf: extra)
        return Response(status: .ok, headers: fields, body: ResponseBody { [renderer] writer in
            var iterator = pending.take()
            var renderer = renderer
            // The opening events go out with the first event's, in one write: each write is a
            // flush, and the client has the turn's first text in the same segment.
            var unsent = renderer.start()
            var next = first
            do {
                while let event = next {
                    unsent += renderer.render(event)
                    if !unsent.isEmpty {
                        try await writer.write(contentsOf: unsent)
                        unsent = []
                    }
                    next = try await iterator.next()
                }
            } catch let error as CozeError {
                unsent.append(renderer.failure(error))
            }
            if !unsent.isEmpty { try await writer.write(contentsOf: unsent) }
            try await writer.finish(nil)
        })
    }

    /// One event carrying `value` as JSON.
    static func event(_ value: JSONValue) -> ByteBuffer {
        event { value.write(into: &$0) }
    }

    /// One event whose JSON `writeJSON` appends to the bytes it is given.
    static func event(_ writeJSON: (inout [UInt8]) -> Void) -> ByteBuffer {
        var bytes = Array("data: ".utf8)
        bytes.reserveCapacity(256)
        writeJSON(&bytes)
        bytes += "\n\n".utf8
        return ByteBuffer(bytes: bytes)
    }
}
