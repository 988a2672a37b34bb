import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

import CozeBridgeEventLoopExecutor

/// A streamed response's head leaves with its first part; nothing is held past the loop's tick.
@Suite struct ResponseHeadFlushDeferralTests {
    private static let head = HTTPResponsePart.head(HTTPResponse(status: .ok))
    private static func body(_ text: String) -> HTTPResponsePart { .body(ByteBuffer(string: text)) }

    /// The parts flushed to the socket so far, in order.
    private static func flushed(_ channel: EmbeddedChannel) throws -> [HTTPResponsePart] {
        var parts: [HTTPResponsePart] = []
        while let part = try channel.readOutbound(as: HTTPResponsePart.self) { parts.append(part) }
        return parts
    }

    @Test func aHeadFlushedAloneWaitsForTheFirstPartWrittenInTheSameTick() throws {
        let channel = EmbeddedChannel(handler: ResponseHeadFlushDeferral())
        channel.writeAndFlush(Self.head, promise: nil)
        #expect(try Self.flushed(channel).isEmpty)
        channel.writeAndFlush(Self.body("data: first\n\n"), promise: nil)
        #expect(try Self.flushed(channel) == [Self.head, Self.body("data: first\n\n")])
        // The deferred flush at the end of the tick finds nothing more to send.
        channel.embeddedEventLoop.run()
        #expect(try Self.flushed(channel).isEmpty)
        _ = try channel.finish()
    }

    @Test func aHeadWithNoPartInItsTickIsFlushedWhenTheTickEnds() throws {
        let channel = EmbeddedChannel(handler: ResponseHeadFlushDeferral())
        channel.writeAndFlush(Self.head, promise: nil)
        #expect(try Self.flushed(channel).isEmpty)
        channel.embeddedEventLoop.run()
        #expect(try Self.flushed(channel) == [Self.head])
        // Later parts go out at once.
        channel.writeAndFlush(Self.body("later"), promise: nil)
        #expect(try Self.flushed(channel) == [Self.body("later")])
        _ = try channel.finish()
    }

    @Test func aCompleteResponseIsFlushedAtOnce() throws {
        let channel = EmbeddedChannel(handler: ResponseHeadFlushDeferral())
        channel.write(Self.head, promise: nil)
        channel.write(Self.body("{}"), promise: nil)
        channel.writeAndFlush(HTTPResponsePart.end(nil), promise: nil)
        #expect(try Self.flushed(channel) == [Self.head, Self.body("{}"), .end(nil)])
        _ = try channel.finish()
    }
}
