/// A strict base64 decoder for image data sent by API clients.
///
/// Accepts the standard and the URL-safe alphabet, ASCII whitespace anywhere (PEM-style line
/// breaks), and missing padding; rejects everything else with the position of the first bad
/// character, so the error can point at it. Written here rather than taken from Foundation so the
/// accepted dialects and the error positions are ours and the same on every platform.
enum Base64 {
    /// Where decoding failed: the index (in UTF-8 bytes of the input) of the offending character,
    /// or `nil` when the length itself is impossible.
    struct DecodingError: Error, Sendable, Hashable {
        var position: Int?
    }

    /// How many bytes `text` decodes to, without decoding it (for size limits before the work);
    /// `nil` when the length is impossible.
    static func decodedCount(_ text: Substring.UTF8View) -> Int? {
        var symbols = 0
        for byte in text where !isWhitespace(byte) && byte != UInt8(ascii: "=") { symbols += 1 }
        guard symbols % 4 != 1 else { return nil }
        return symbols / 4 * 3 + max(0, symbols % 4 - 1)
    }

    static func decode(_ text: Substring.UTF8View) throws(DecodingError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var accumulator: UInt32 = 0
        var pending = 0
        var symbols = 0
        var paddingSeen = 0
        for (position, byte) in text.enumerated() {
            if isWhitespace(byte) { continue }
            if byte == UInt8(ascii: "=") {
                // Padding only completes the last quantum: at most two, and never before data.
                guard symbols % 4 >= 2, paddingSeen < 2 else { throw DecodingError(position: position) }
                paddingSeen += 1
                continue
            }
            guard paddingSeen == 0, let value = value(of: byte) else { throw DecodingError(position: position) }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 6
            symbols += 1
            if pending >= 8 {
                pending -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(pending)))
            }
        }
        guard symbols % 4 != 1 else { throw DecodingError(position: nil) }
        if paddingSeen > 0, (symbols + paddingSeen) % 4 != 0 { throw DecodingError(position: nil) }
        return output
    }

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): return 63
        default: return nil
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
