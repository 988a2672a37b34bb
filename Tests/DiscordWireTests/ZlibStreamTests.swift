import Foundation
import NIOCore
import Testing
import TestSupport

@testable import DiscordWire

/// A deterministic xorshift generator, so "random-ish" data is the same on every run.
private struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            var word = next()
            for _ in 0..<8 where result.count < count {
                result.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return result
    }
}

private func endsWithSuffix(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 4 && Array(bytes.suffix(4)) == zlibStreamSuffix
}

/// A mixed sequence of gateway-like messages.
private func sampleMessages() -> [[UInt8]] {
    var random = XorShift(state: 0x9E37_79B9_7F4A_7C15)
    let dispatch = #"{"t":"MESSAGE_CREATE","s":42,"op":0,"d":{"id":"1234567890123456789","channel_id":"42","content":"hello world","author":{"id":"99","username":"coze","bot":true}}}"#
    var messages: [[UInt8]] = [
        Array(#"{"op":10,"d":{"heartbeat_interval":41250}}"#.utf8),
        Array("x".utf8),
        Array(#"{"op":11}"#.utf8),
        Array(dispatch.utf8),
        Array(dispatch.utf8),  // identical: compresses against the previous one
        random.bytes(1 << 20),  // 1 MiB incompressible
        Array(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20_000).utf8),
        Array(dispatch.replacingOccurrences(of: "hello world", with: "hello again").utf8),
        [0],
        [],  // empty messages: zlib refuses a second flush without input; still framed
        [],
        random.bytes(32 * 1024),  // around the compressor's and decompressor's chunk sizes
        random.bytes(64 * 1024),
        random.bytes(64 * 1024 + 1),
        [UInt8](repeating: 0x61, count: 64 * 1024),
    ]
    for index in 0..<50 {
        messages.append(Array(#"{"op":0,"s":\#(index),"t":"TYPING_START","d":{"channel_id":"42"}}"#.utf8))
    }
    return messages
}

@Suite("ZlibStream")
struct ZlibStreamTests {
    @Test func roundTripManyMessagesThroughOneStream() throws {
        let compressor = ZlibStreamCompressor()
        let decompressor = ZlibStreamDecompressor()
        for message in sampleMessages() {
            let compressed = compressor.compress(message)
            #expect(endsWithSuffix(compressed))
            let inflated = try decompressor.feed(compressed)
            #expect(inflated == message)
        }
        #expect(decompressor.bufferedByteCount == 0)
    }

    @Test func firstOutputHasZlibHeader() {
        let compressor = ZlibStreamCompressor()
        let first = compressor.compress(Array("{}".utf8))
        #expect(first.count > 6)
        // CMF 0x78 = deflate with a 32 KiB window; (CMF*256 + FLG) % 31 == 0.
        #expect(first[0] == 0x78)
        #expect((UInt16(first[0]) << 8 | UInt16(first[1])) % 31 == 0)
        #expect(endsWithSuffix(first))
    }

    @Test func laterMessagesCompressAgainstEarlierOnes() throws {
        let compressor = ZlibStreamCompressor()
        var random = XorShift(state: 7)
        // Text-like but not self-similar: hex of random bytes.
        let text = Array(random.bytes(4000).map { String($0, radix: 16) }.joined().utf8)
        let first = compressor.compress(text)
        let second = compressor.compress(text)
        #expect(second.count * 10 < first.count, "second copy should be a back-reference: \(second.count) vs \(first.count)")
        let decompressor = ZlibStreamDecompressor()
        #expect(try decompressor.feed(first) == text)
        #expect(try decompressor.feed(second) == text)
    }

    @Test func emptyMessagesStillEndWithSuffix() throws {
        let compressor = ZlibStreamCompressor()
        let decompressor = ZlibStreamDecompressor()
        for message in [[], [], Array("a".utf8), [], []] as [[UInt8]] {
            let compressed = compressor.compress(message)
            #expect(endsWithSuffix(compressed))
            #expect(try decompressor.feed(compressed) == message)
        }
    }

    @Test func byteBufferAndNonContiguousInputs() throws {
        let compressor = ZlibStreamCompressor()
        let decompressor = ZlibStreamDecompressor()
        let message = Array(#"{"op":1,"d":null}"#.utf8)
        var buffer = ByteBuffer(bytes: [9, 9] + message)
        buffer.moveReaderIndex(forwardBy: 2)
        let fromBuffer = compressor.compress(buffer)
        #expect(try decompressor.feed(ByteBuffer(bytes: fromBuffer)) == message)
        let fromSequence = compressor.compress(message.lazy.map { $0 })
        #expect(try decompressor.feed(fromSequence) == message)
        let fromSlice = compressor.compress(message[2...])
        #expect(try decompressor.feed(fromSlice) == Array(message[2...]))
    }

    @Test func messageSplitOverSeveralFrames() throws {
        let compressor = ZlibStreamCompressor()
        let decompressor = ZlibStreamDecompressor()
        let message = Array(String(repeating: #"{"op":0,"d":{"content":"split me"}}"#, count: 500).utf8)
        let compressed = compressor.compress(message)
        let cut1 = compressed.count / 3
        // Cut the last piece inside the 00 00 ff ff marker so the buffer does not end with it early.
        let cut2 = compressed.count - 2
        #expect(try decompressor.feed(Array(compressed[..<cut1])) == nil)
        #expect(try decompressor.feed(Array(compressed[cut1..<cut2])) == nil)
        #expect(decompressor.bufferedByteCount == cut2)
        #expect(try decompressor.feed(Array(compressed[cut2...])) == message)
        // The stream continues normally afterwards, also with single-byte frames.
        let next = compressor.compress(Array("after".utf8))
        for byte in next.dropLast() {
            #expect(try decompressor.feed([byte]) == nil)
        }
        #expect(try decompressor.feed([next.last!]) == Array("after".utf8))
    }

    @Test func largeOutputLoopsOverOutputBuffer() throws {
        // 8 MiB of zeros deflates to a few KiB and inflates far past any fixed chunk.
        let message = [UInt8](repeating: 0, count: 8 << 20)
        let compressor = ZlibStreamCompressor()
        let compressed = compressor.compress(message)
        #expect(compressed.count < 64 * 1024)
        let inflated = try ZlibStreamDecompressor().feed(compressed)
        #expect(inflated?.count == message.count)
        #expect(inflated == message)
    }

    @Test func corruptInputThrows() throws {
        let decompressor = ZlibStreamDecompressor()
        #expect(throws: ZlibStreamError.self) {
            try decompressor.feed([0x12, 0x34, 0x56, 0x00, 0x00, 0xFF, 0xFF])
        }
        // The stream stays failed.
        #expect(throws: ZlibStreamError.streamFailed) {
            try decompressor.feed([0x00, 0x00, 0xFF, 0xFF])
        }
    }

    @Test func corruptMidStreamThrows() throws {
        let compressor = ZlibStreamCompressor()
        let decompressor = ZlibStreamDecompressor()
        let message = Array(String(repeating: "abcdefgh", count: 100).utf8)
        #expect(try decompressor.feed(compressor.compress(message)) == message)
        // A message compressed by a different stream references a history this one does not have
        // and starts with a second zlib header, which is not a valid deflate block here.
        var foreign = ZlibStreamCompressor().compress(Array("{\"op\":11}".utf8))
        foreign[2] ^= 0xFF
        do throws(ZlibStreamError) {
            _ = try decompressor.feed(foreign)
            Issue.record("expected an error")
        } catch {
            if case .corruptData = error {} else { Issue.record("unexpected error \(error)") }
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(ZlibStreamError.corruptData("invalid block type").description.contains("invalid block type"))
        #expect(ZlibStreamError.streamFailed.description.contains("zlib-stream"))
    }

    // MARK: - Interoperability with CPython's zlib (an independent implementation)

    @Test(.enabled(if: ZlibPythonRunner.python3 != nil, "python3 is not installed"))
    func pythonInflatesOurFrames() async throws {
        let compressor = ZlibStreamCompressor()
        let messages = sampleMessages()
        let frames = messages.map { compressor.compress($0) }
        // Frames as length-prefixed records; Python inflates each through ONE decompressobj and
        // writes the messages back, length-prefixed.
        var input: [UInt8] = []
        for frame in frames {
            input += withUnsafeBytes(of: UInt32(frame.count).bigEndian, Array.init)
            input += frame
        }
        let script = """
            import sys, zlib, struct
            data = sys.stdin.buffer.read()
            d = zlib.decompressobj()
            out = sys.stdout.buffer
            i = 0
            while i < len(data):
                (n,) = struct.unpack('>I', data[i:i+4]); i += 4
                frame = data[i:i+n]; i += n
                assert frame.endswith(b'\\x00\\x00\\xff\\xff'), 'missing sync-flush suffix'
                m = d.decompress(frame)
                out.write(struct.pack('>I', len(m))); out.write(m)
            """
        let output = try await ZlibPythonRunner.run(script: script, stdin: input)
        var decoded: [[UInt8]] = []
        var index = 0
        while index + 4 <= output.count {
            let length = output[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
            index += 4
            decoded.append(Array(output[index..<index + length]))
            index += length
        }
        #expect(decoded.count == messages.count)
        #expect(decoded == messages)
    }

    @Test(.enabled(if: ZlibPythonRunner.python3 != nil, "python3 is not installed"))
    func weInflatePythonFrames() async throws {
        // Python plays the Discord server: one compressobj, Z_SYNC_FLUSH per message.
        let script = """
            import sys, zlib, struct, json
            c = zlib.compressobj(6, zlib.DEFLATED, 15)
            out = sys.stdout.buffer
            for i in range(200):
                msg = json.dumps({"op": 0, "s": i, "t": "MESSAGE_CREATE", "d": {"content": "message %d " % i * (i % 7 + 1)}}).encode()
                frame = c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH)
                out.write(struct.pack('>I', len(msg))); out.write(msg)
                out.write(struct.pack('>I', len(frame))); out.write(frame)
            """
        let output = try await ZlibPythonRunner.run(script: script, stdin: [])
        let decompressor = ZlibStreamDecompressor()
        var index = 0
        var count = 0
        func record() -> [UInt8] {
            let length = output[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
            index += 4
            defer { index += length }
            return Array(output[index..<index + length])
        }
        while index < output.count {
            let message = record()
            let frame = record()
            #expect(endsWithSuffix(frame))
            #expect(try decompressor.feed(frame) == message)
            count += 1
        }
        #expect(count == 200)
    }
}

/// Runs `python3 -c SCRIPT` with bytes on stdin and returns its stdout.
private enum ZlibPythonRunner {
    static let python3: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    struct Failure: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String { "python3 exited with \(status): \(stderr)" }
    }

    static func run(script: String, stdin input: [UInt8]) async throws -> [UInt8] {
        guard let python3 else { throw Failure(status: -1, stderr: "python3 not found") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("zlibstream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("in")
        let outputURL = directory.appendingPathComponent("out")
        let errorURL = directory.appendingPathComponent("err")
        try Data(input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python3)
        process.arguments = ["-c", script]
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        await process.exited()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            throw Failure(status: process.terminationStatus, stderr: stderr)
        }
        return Array(try Data(contentsOf: outputURL))
    }
}
