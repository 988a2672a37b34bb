import NIOCore
import NIOPosix

/// A WebSocket handshake written by hand, for request targets `GatewayWebSocket` cannot produce
/// (it always appends its own `v=10&encoding=json`). Reads the server's first frame.
enum RawWebSocket {
    struct Frame: Equatable {
        var opcode: UInt8
        var payload: [UInt8]

        /// The close code of a close frame (opcode 8), if it carries one.
        var closeCode: UInt16? {
            guard opcode == 0x8, payload.count >= 2 else { return nil }
            return UInt16(payload[0]) << 8 | UInt16(payload[1])
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Upgrades `GET target` on `host:port` and returns the HTTP status line and the first frame
    /// the server sends (nil when the connection ends first).
    static func firstFrame(host: String = "127.0.0.1", port: Int, target: String, timeout: Duration = .seconds(20))
        async throws -> (statusLine: String, frame: Frame?)
    {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let timer = Task {
            try await Task.sleep(for: timeout)
            try await channel.channel.close()
        }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            let request =
                "GET \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try await outbound.write(ByteBuffer(string: request))
            var bytes: [UInt8] = []
            var statusLine: String?
            var frameStart = 0
            for try await var chunk in inbound {
                bytes += chunk.readBytes(length: chunk.readableBytes) ?? []
                if statusLine == nil, let end = headerEnd(bytes) {
                    let head = String(decoding: bytes[..<end], as: UTF8.self)
                    statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
                    frameStart = end + 4
                }
                if statusLine != nil, let frame = parseFrame(Array(bytes[frameStart...])) {
                    return (statusLine!, frame)
                }
            }
            guard let statusLine else { throw Failure(description: "connection ended before an HTTP answer") }
            return (statusLine, nil)
        }
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// One unmasked server frame with a payload under 64 KiB.
    private static func parseFrame(_ bytes: [UInt8]) -> Frame? {
        guard bytes.count >= 2 else { return nil }
        let opcode = bytes[0] & 0x0F
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        }
        guard bytes.count >= offset + length else { return nil }
        return Frame(opcode: opcode, payload: Array(bytes[offset..<(offset + length)]))
    }
}
