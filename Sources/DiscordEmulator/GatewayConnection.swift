import DiscordWire
import NIOCore
import NIOWebSocket

/// One gateway WebSocket as the world sees it: a thread-safe way to send payloads in order.
///
/// Sends may come from any thread; they are queued onto the channel's event loop in call order,
/// where the connection's single zlib stream (if any) compresses them one after another.
final class GatewayConnection: Sendable {
    /// Transport compression the client asked for in the URL.
    enum Compression: String, Sendable {
        case none
        case zlibStream = "zlib-stream"
    }

    let channel: any Channel
    let compression: Compression
    private let compressor: NIOLoopBoundBox<ZlibStreamCompressor?>

    init(channel: any Channel, compression: Compression) {
        self.channel = channel
        self.compression = compression
        // zlib's fastest level: the stream is the same format at any level, and on a machine that
        // also runs the bridge being measured, level 6 spent about 140 µs of CPU per edit.
        self.compressor = NIOLoopBoundBox(
            compression == .zlibStream ? ZlibStreamCompressor(level: 1) : nil, eventLoop: channel.eventLoop)
    }

    /// Sends one gateway payload (JSON bytes) as one frame; `onWritten` gets the wall-clock time
    /// (Unix ns) at which the frame, encoded and compressed, is handed to the socket.
    ///
    /// Always queued, even from the channel's own event loop: callers hold the world lock, and a
    /// write done inline could (on a write error) close the channel inline and re-enter the world
    /// from `channelInactive`; an inline write could also overtake payloads queued earlier from
    /// other threads and break the order of sequence numbers.
    func send(_ payload: [UInt8], onWritten: (@Sendable (UInt64) -> Void)? = nil) {
        channel.eventLoop.execute { self.write(payload, onWritten: onWritten) }
    }

    private func write(_ payload: [UInt8], onWritten: (@Sendable (UInt64) -> Void)?) {
        guard channel.isActive else { return }
        let frame: WebSocketFrame
        if let compressor = compressor.value {
            let compressed = compressor.compress(payload)
            frame = WebSocketFrame(fin: true, opcode: .binary, data: channel.allocator.buffer(bytes: compressed))
        } else {
            frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(bytes: payload))
        }
        // Timed as the write starts: on loopback the peer's kernel has the bytes before the
        // write returns, so a time taken after it would come later than their arrival.
        onWritten?(WallClock.unixNanoseconds())
        channel.writeAndFlush(frame, promise: nil)
    }

    /// Closes the WebSocket with a close frame carrying `code`, as Discord does for gateway errors.
    func close(code: UInt16, reason: String) {
        channel.eventLoop.execute {
            guard self.channel.isActive else { return }
            var buffer = self.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
            buffer.writeInteger(code)
            buffer.writeString(reason)
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)
            self.channel.writeAndFlush(frame).whenComplete { _ in
                self.channel.close(promise: nil)
            }
        }
    }

    /// Drops the TCP connection without a close frame, like a network failure.
    ///
    /// Queued on the event loop: callers hold the world lock, and closing inline (when called on
    /// this channel's loop) would run `channelInactive`, which takes that lock again.
    func drop() {
        channel.eventLoop.execute { self.channel.close(promise: nil) }
    }

    /// Serializes a non-dispatch payload: `{"op":…,"d":…,"s":null,"t":null}`.
    static func controlPayload(_ opcode: GatewayOpcode, _ data: JSONValue) -> [UInt8] {
        JSONValue.object(["op": JSONValue(opcode.rawValue), "d": data, "s": nil, "t": nil]).serializedBytes()
    }
}

extension GatewayConnection: Hashable {
    static func == (lhs: GatewayConnection, rhs: GatewayConnection) -> Bool { lhs === rhs }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
