import CZlib
import NIOCore

// Discord gateway `compress=zlib-stream` transport compression (both directions).
//
// The server keeps ONE deflate stream per WebSocket connection (zlib format, windowBits 15) and
// deflates every outbound gateway payload with Z_SYNC_FLUSH, sending the output as one binary
// frame that therefore ends with the sync-flush marker `00 00 ff ff`. The stream is never reset,
// so later payloads are compressed against the history of earlier ones. The client buffers
// frames until the buffer ends with the marker and inflates that through ONE shared inflate stream.

/// The four bytes every zlib-stream message ends with (the tail of an empty stored block that
/// Z_SYNC_FLUSH emits).
public let zlibStreamSuffix: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

/// Why a ``ZlibStreamDecompressor`` could not inflate the data it was fed.
public enum ZlibStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is not a valid zlib stream (bad header, bad block, bad distance, needs a dictionary, …).
    /// The associated text is zlib's own message when it gave one.
    case corruptData(String)
    /// The peer ended the deflate stream (Z_FINISH); a zlib-stream never ends, so more data is an error.
    case streamEnded
    /// zlib could not allocate memory.
    case outOfMemory
    /// The stream failed earlier; a zlib-stream cannot recover, the connection must be re-established.
    case streamFailed
    /// An unexpected zlib return code.
    case unexpectedReturnCode(Int32)

    public var description: String {
        switch self {
        case .corruptData(let message): return "zlib-stream: corrupt data (\(message))"
        case .streamEnded: return "zlib-stream: data after the end of the deflate stream"
        case .outOfMemory: return "zlib-stream: out of memory"
        case .streamFailed: return "zlib-stream: the stream failed earlier and cannot be used any more"
        case .unexpectedReturnCode(let code): return "zlib-stream: unexpected zlib return code \(code)"
        }
    }
}

/// The server side of `zlib-stream`: one deflate stream for one gateway connection.
///
/// Each call to `compress(_:)` deflates one gateway payload with `Z_SYNC_FLUSH` and
/// returns bytes that end in `00 00 ff ff`; send them as exactly one binary WebSocket frame.
/// The stream is never reset between messages, so the n-th output can only be inflated by a
/// decompressor that has inflated outputs 1…n−1 before it, in order.
///
/// Not thread-safe and deliberately not `Sendable`: it owns a mutable C `z_stream`. Create it for
/// one connection and use it only from that connection's event loop (e.g. inside a
/// `NIOLoopBoundBox`).
public final class ZlibStreamCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    private var hasOutput = false

    /// Creates a deflate stream in zlib format (RFC 1950 header, windowBits 15).
    ///
    /// - Parameter level: zlib compression level 0…9, or −1 for zlib's default (6). Values out of
    ///   range are clamped.
    ///
    /// Traps only if zlib cannot allocate its state (out of memory), like any Swift allocation.
    public init(level: Int = -1) {
        let clamped = level < 0 ? Z_DEFAULT_COMPRESSION : Int32(min(level, 9))
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_deflate_init(stream, clamped)
        guard status == Z_OK else {
            fatalError("deflateInit failed with zlib return code \(status)")
        }
        scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 32 * 1024)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Deflates one message with `Z_SYNC_FLUSH`; the result ends with ``zlibStreamSuffix``.
    /// The first result of a stream starts with the two-byte zlib header.
    public func compress(_ message: some Collection<UInt8>) -> [UInt8] {
        if let result = message.withContiguousStorageIfAvailable({ compress(raw: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(message).withUnsafeBytes { compress(raw: $0) }
    }

    /// Deflates the readable bytes of `message` (which is not consumed) with `Z_SYNC_FLUSH`;
    /// the result ends with ``zlibStreamSuffix``.
    public func compress(_ message: ByteBuffer) -> [UInt8] {
        message.withUnsafeReadableBytes { compress(raw: $0) }
    }

    private func compress(raw input: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 2 + 64)
        stream.pointee.next_in = input.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        stream.pointee.avail_in = 0
        var remaining = input.count
        var offset = 0
        // avail_in is a 32-bit count; feed huge inputs in slices.
        while true {
            if stream.pointee.avail_in == 0 && remaining > 0 {
                let slice = min(remaining, Int(UInt32.max / 2))
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = UInt32(slice)
                offset += slice
                remaining -= slice
            }
            stream.pointee.next_out = scratch.baseAddress
            stream.pointee.avail_out = UInt32(scratch.count)
            let flush = remaining > 0 ? Z_NO_FLUSH : Z_SYNC_FLUSH
            let status = deflate(stream, flush)
            let produced = scratch.count - Int(stream.pointee.avail_out)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<produced]))
            switch status {
            case Z_OK:
                // More output may be pending while the output buffer was filled completely.
                if stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0 || remaining > 0 { continue }
            case Z_BUF_ERROR:
                // No progress possible: zlib refuses a second consecutive flush without new input,
                // which happens for an empty message. The stream is byte-aligned after the previous
                // sync flush, so an empty stored block (header byte 0, LEN 0000, NLEN ffff) is a
                // valid continuation and keeps the `00 00 ff ff` framing contract.
                if produced == 0 && output.isEmpty && input.count == 0 && hasOutput {
                    output = [0x00, 0x00, 0x00, 0xFF, 0xFF]
                }
            default:
                fatalError("deflate failed with zlib return code \(status)")
            }
            break
        }
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        hasOutput = true
        return output
    }
}

/// The client side of `zlib-stream`: buffers gateway frames and inflates whole messages through one
/// shared inflate stream.
///
/// Feed every binary WebSocket frame, in order, to ``feed(_:)``. It returns `nil` while the buffered
/// data does not yet end with ``zlibStreamSuffix`` and the complete inflated message once it does.
/// After any thrown error the stream is unusable (every later call throws
/// ``ZlibStreamError/streamFailed``); the connection must be closed and re-established with a fresh
/// decompressor.
///
/// Not thread-safe and deliberately not `Sendable`: use it from one event loop / task only.
public final class ZlibStreamDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let scratch: UnsafeMutableBufferPointer<UInt8>
    private var pending: [UInt8] = []
    private var failed = false
    private var ended = false

    /// The number of bytes currently buffered waiting for the `00 00 ff ff` suffix.
    public var bufferedByteCount: Int { pending.count }

    /// Creates an inflate stream for zlib-format data (windowBits 15).
    ///
    /// Traps only if zlib cannot allocate its state (out of memory), like any Swift allocation.
    public init() {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_inflate_init(stream)
        guard status == Z_OK else {
            fatalError("inflateInit failed with zlib return code \(status)")
        }
        scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Adds one frame; returns the inflated message when the buffer ends with `00 00 ff ff`,
    /// otherwise `nil`.
    ///
    /// - Throws: ``ZlibStreamError`` when the data is not a valid continuation of the stream.
    public func feed(_ frame: [UInt8]) throws(ZlibStreamError) -> [UInt8]? {
        try feed(bytes: frame)
    }

    /// Adds the readable bytes of one frame (not consumed); see `feed(_:)` for `[UInt8]`.
    public func feed(_ frame: ByteBuffer) throws(ZlibStreamError) -> [UInt8]? {
        try feed(bytes: frame.readableBytesView)
    }

    private func feed(bytes frame: some Collection<UInt8>) throws(ZlibStreamError) -> [UInt8]? {
        if failed { throw .streamFailed }
        pending.append(contentsOf: frame)
        guard pending.count >= 4,
              pending[pending.count - 4] == 0x00, pending[pending.count - 3] == 0x00,
              pending[pending.count - 2] == 0xFF, pending[pending.count - 1] == 0xFF
        else { return nil }
        defer { pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20) }
        do {
            return try inflatePending()
        } catch {
            failed = true
            throw error
        }
    }

    private func inflatePending() throws(ZlibStreamError) -> [UInt8] {
        if ended { throw .streamEnded }
        var output: [UInt8] = []
        let result: Result<Void, ZlibStreamError> = pending.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = UInt32(input.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
            while true {
                stream.pointee.next_out = scratch.baseAddress
                stream.pointee.avail_out = UInt32(scratch.count)
                let status = inflate(stream, Z_SYNC_FLUSH)
                let produced = scratch.count - Int(stream.pointee.avail_out)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<produced]))
                switch status {
                case Z_OK:
                    if stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0 { continue }
                    return .success(())
                case Z_BUF_ERROR:
                    // No progress possible. Fine when all input is consumed (the previous call
                    // happened to fill the output buffer exactly); otherwise inconsistent.
                    if stream.pointee.avail_in == 0 { return .success(()) }
                    return .failure(.corruptData("inflate made no progress"))
                case Z_STREAM_END:
                    ended = true
                    if stream.pointee.avail_in > 0 { return .failure(.streamEnded) }
                    return .success(())
                case Z_DATA_ERROR, Z_NEED_DICT:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "code \(status)"
                    return .failure(.corruptData(status == Z_NEED_DICT ? "needs a preset dictionary" : message))
                case Z_MEM_ERROR:
                    return .failure(.outOfMemory)
                default:
                    return .failure(.unexpectedReturnCode(status))
                }
            }
        }
        try result.get()
        return output
    }
}
