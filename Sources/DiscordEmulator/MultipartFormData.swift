#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Equatable {
    /// The `name` parameter of the part's `Content-Disposition` (e.g. `payload_json`, `files[0]`).
    public var name: String
    /// The file name: `filename*` (RFC 5987, decoded) if present, else `filename`; `nil` for a plain field.
    public var filename: String?
    /// The part's `Content-Type` header value exactly as sent (parameters included), or `nil`.
    public var contentType: String?
    /// The part's body bytes.
    public var body: [UInt8]

    /// Creates a part.
    public init(name: String, filename: String? = nil, contentType: String? = nil, body: [UInt8]) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid sequences repaired), for text fields such as `payload_json`.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a `multipart/form-data` body could not be parsed. ``description`` is a human-readable message.
public enum MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Content-Type is not `multipart/form-data`.
    case notMultipart(contentType: String)
    /// The Content-Type has no (or an empty / over-long) `boundary` parameter.
    case missingBoundary(contentType: String)
    /// The body does not contain the first `--boundary` line.
    case missingFirstBoundary
    /// The body ends before the closing `--boundary--`.
    case missingFinalBoundary
    /// A part's header block is malformed; `part` is the zero-based part index.
    case malformedPartHeaders(part: Int, reason: String)

    /// The human-readable message.
    public var description: String {
        switch self {
        case .notMultipart(let contentType):
            return "Content-Type \"\(contentType)\" is not multipart/form-data"
        case .missingBoundary(let contentType):
            return "Content-Type \"\(contentType)\" has no valid boundary parameter"
        case .missingFirstBoundary:
            return "multipart body does not contain the opening boundary"
        case .missingFinalBoundary:
            return "multipart body ends without the closing boundary"
        case .malformedPartHeaders(let part, let reason):
            return "multipart part \(part) has malformed headers: \(reason)"
        }
    }
}

/// A parser for `multipart/form-data` request bodies (RFC 7578 / RFC 2046) as discord.py (aiohttp
/// `FormData(quote_fields=False)`: literal `files[0]`, raw UTF-8 or backslash-escaped quoted
/// file names) and hikari (`payload_json` with `Content-Type: application/json`) send them.
///
/// The boundary scan uses `memchr`/`memcmp` and copies each part body once, so multi-megabyte
/// uploads parse quickly even in debug builds.
public enum MultipartFormData {
    /// Longest header block accepted for one part.
    static let maximumHeaderBytes = 16 * 1024

    /// Parses `body` using the boundary from `contentTypeHeader`
    /// (e.g. `multipart/form-data; boundary="abc"`).
    ///
    /// A preamble before the first boundary and an epilogue after the last are ignored; transport
    /// padding (spaces/tabs) after a boundary is allowed. A line starting with `--boundary` but
    /// followed by other characters is treated as body data.
    public static func parse(body: [UInt8], contentTypeHeader: String) throws(MultipartError) -> [MultipartPart] {
        let boundary = try boundary(fromContentType: contentTypeHeader)
        return try body.withUnsafeBufferPointer { buffer throws(MultipartError) in
            try parse(buffer, boundary: boundary)
        }
    }

    /// Parses the readable bytes of `body` (not consumed); see the `[UInt8]` overload.
    public static func parse(body: ByteBuffer, contentTypeHeader: String) throws(MultipartError) -> [MultipartPart] {
        let boundary = try boundary(fromContentType: contentTypeHeader)
        let result: Result<[MultipartPart], MultipartError> = body.withUnsafeReadableBytes { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            do throws(MultipartError) {
                return .success(try parse(buffer, boundary: boundary))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The `boundary` parameter of a `multipart/form-data` Content-Type.
    public static func boundary(fromContentType header: String) throws(MultipartError) -> [UInt8] {
        let parameters = HeaderParameters.parse(Array(header.utf8))
        guard parameters.value.lowercased() == "multipart/form-data" else {
            throw .notMultipart(contentType: header)
        }
        guard let boundary = parameters.parameters.first(where: { $0.name == "boundary" })?.value,
              !boundary.isEmpty, boundary.count <= 200
        else { throw .missingBoundary(contentType: header) }
        return boundary
    }

    // MARK: - Body scanning

    private static let crlf: [UInt8] = [13, 10]

    private static func parse(_ body: UnsafeBufferPointer<UInt8>, boundary: [UInt8]) throws(MultipartError) -> [MultipartPart] {
        // delimiter = CRLF "--" boundary; the very first one may sit at offset 0 without the CRLF.
        let delimiter: [UInt8] = crlf + [45, 45] + boundary
        return try delimiter.withUnsafeBufferPointer { delimiter throws(MultipartError) in
            let dashBoundary = UnsafeBufferPointer(rebasing: delimiter[2...])
            var position: Int
            if hasPrefix(body, at: 0, dashBoundary) {
                position = dashBoundary.count
            } else {
                guard let found = find(delimiter, in: body, from: 0) else { throw .missingFirstBoundary }
                position = found + delimiter.count
            }
            // Skip candidates that are not followed by a valid delimiter-line ending.
            while true {
                if let next = delimiterLineEnd(body, after: position) {
                    if next.final { return [] }
                    position = next.contentStart
                    break
                }
                guard let found = find(delimiter, in: body, from: position) else { throw .missingFirstBoundary }
                position = found + delimiter.count
            }

            var parts: [MultipartPart] = []
            while true {
                let index = parts.count
                let (headers, bodyStart) = try parseHeaders(body, from: position, part: index)
                var searchFrom = bodyStart
                // The body's closing CRLF may immediately follow the header block's blank line.
                var located: (end: Int, next: (final: Bool, contentStart: Int))?
                while located == nil {
                    guard let found = find(delimiter, in: body, from: searchFrom) else { throw .missingFinalBoundary }
                    if let next = delimiterLineEnd(body, after: found + delimiter.count) {
                        located = (found, next)
                    } else {
                        searchFrom = found + 1
                    }
                }
                let (end, next) = located!
                var part = try makePart(headers: headers, part: index)
                part.body = Array(UnsafeBufferPointer(rebasing: body[bodyStart..<end]))
                parts.append(part)
                if next.final { return parts }
                position = next.contentStart
            }
        }
    }

    /// After `--boundary`: `--` (final) or optional spaces/tabs then CRLF (or a bare LF).
    /// Returns nil when the boundary is followed by anything else (so it is not a delimiter).
    private static func delimiterLineEnd(
        _ body: UnsafeBufferPointer<UInt8>, after start: Int
    ) -> (final: Bool, contentStart: Int)? {
        var position = start
        if position + 1 < body.count, body[position] == 45, body[position + 1] == 45 {
            return (true, position + 2)
        }
        if position + 1 == body.count, body[position] == 45 { return nil }
        while position < body.count, body[position] == 32 || body[position] == 9 { position += 1 }
        if position + 1 < body.count, body[position] == 13, body[position + 1] == 10 {
            return (false, position + 2)
        }
        if position < body.count, body[position] == 10 { return (false, position + 1) }
        return nil
    }

    private static func hasPrefix(_ body: UnsafeBufferPointer<UInt8>, at offset: Int, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard offset >= 0, body.count - offset >= needle.count, let base = body.baseAddress,
              let needleBase = needle.baseAddress else { return false }
        return memcmp(base + offset, needleBase, needle.count) == 0
    }

    /// First offset ≥ `start` where `needle` occurs: `memchr` for its first byte, `memcmp` for the rest.
    static func find(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = haystack.baseAddress, let needleBase = needle.baseAddress, !needle.isEmpty else { return nil }
        let first = Int32(needleBase[0])
        var position = start
        let lastStart = haystack.count - needle.count
        while position <= lastStart {
            guard let hit = memchr(base + position, first, lastStart - position + 1) else { return nil }
            let offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + offset + 1, needleBase + 1, needle.count - 1) == 0 { return offset }
            position = offset + 1
        }
        return nil
    }

    // MARK: - Part headers

    private static func parseHeaders(
        _ body: UnsafeBufferPointer<UInt8>, from start: Int, part: Int
    ) throws(MultipartError) -> (headers: [(name: String, value: [UInt8])], bodyStart: Int) {
        var headers: [(name: String, value: [UInt8])] = []
        var position = start
        while true {
            guard position - start <= maximumHeaderBytes else {
                throw .malformedPartHeaders(part: part, reason: "header block longer than \(maximumHeaderBytes) bytes")
            }
            guard let lineEnd = findLineEnd(body, from: position, limit: start + maximumHeaderBytes) else {
                throw .malformedPartHeaders(part: part, reason: "header block is not terminated by an empty line")
            }
            let line = UnsafeBufferPointer(rebasing: body[position..<lineEnd.end])
            position = lineEnd.next
            if line.isEmpty { return (headers, position) }
            if line[0] == 32 || line[0] == 9 {
                // Obsolete line folding: a continuation of the previous header.
                guard !headers.isEmpty else {
                    throw .malformedPartHeaders(part: part, reason: "continuation line without a header")
                }
                headers[headers.count - 1].value.append(32)
                headers[headers.count - 1].value.append(contentsOf: trimmed(line))
                continue
            }
            guard let colon = line.firstIndex(of: 58) else {
                throw .malformedPartHeaders(
                    part: part, reason: "header line without a colon: \"\(decodeHeaderText(Array(line.prefix(80))))\"")
            }
            let name = trimmed(UnsafeBufferPointer(rebasing: line[..<colon]))
            guard !name.isEmpty, !name.contains(where: { $0 == 32 || $0 == 9 }) else {
                throw .malformedPartHeaders(part: part, reason: "invalid header name")
            }
            let value = trimmed(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
            headers.append((decodeHeaderText(name).lowercased(), value))
        }
    }

    /// The next line end (CRLF, or a bare LF) at or after `from`, searched no further than `limit`.
    private static func findLineEnd(
        _ body: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int
    ) -> (end: Int, next: Int)? {
        guard let base = body.baseAddress, start < body.count else { return nil }
        let length = min(body.count, limit + 2) - start
        guard length > 0, let hit = memchr(base + start, 10, length) else { return nil }
        let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        let end = newline > start && body[newline - 1] == 13 ? newline - 1 : newline
        return (end, newline + 1)
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var lower = bytes.startIndex
        var upper = bytes.endIndex
        while lower < upper, bytes[lower] == 32 || bytes[lower] == 9 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 32 || bytes[upper - 1] == 9 { upper -= 1 }
        return Array(bytes[lower..<upper])
    }

    private static func makePart(headers: [(name: String, value: [UInt8])], part: Int) throws(MultipartError) -> MultipartPart {
        guard let disposition = headers.first(where: { $0.name == "content-disposition" })?.value else {
            throw .malformedPartHeaders(part: part, reason: "no Content-Disposition header")
        }
        let parsed = HeaderParameters.parse(disposition)
        guard !parsed.value.isEmpty, !parsed.value.contains(where: { $0 == "=" || $0 == "\"" }) else {
            throw .malformedPartHeaders(part: part, reason: "Content-Disposition has no disposition type")
        }
        func parameter(_ key: String) throws(MultipartError) -> String? {
            if let extended = parsed.parameters.first(where: { $0.name == key + "*" }) {
                if let decoded = decodeExtendedValue(extended.value) { return decoded }
                if parsed.parameters.first(where: { $0.name == key }) == nil {
                    throw .malformedPartHeaders(part: part, reason: "invalid RFC 5987 value for \(key)*")
                }
            }
            return parsed.parameters.first(where: { $0.name == key }).map { decodeHeaderText($0.value) }
        }
        guard let name = try parameter("name") else {
            throw .malformedPartHeaders(part: part, reason: "Content-Disposition has no name parameter")
        }
        let filename = try parameter("filename")
        let contentType = headers.first(where: { $0.name == "content-type" }).map { decodeHeaderText($0.value) }
        return MultipartPart(name: name, filename: filename, contentType: contentType, body: [])
    }

    /// RFC 5987 `charset'language'percent-encoded` (UTF-8 or ISO-8859-1); nil if malformed.
    static func decodeExtendedValue(_ value: [UInt8]) -> String? {
        let pieces = value.split(separator: 39, maxSplits: 2, omittingEmptySubsequences: false)  // '
        guard pieces.count == 3 else { return nil }
        let charset = String(decoding: pieces[0], as: UTF8.self).lowercased()
        var bytes: [UInt8] = []
        var iterator = pieces[2].makeIterator()
        while let byte = iterator.next() {
            if byte == 37 {  // %
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        switch charset {
        case "utf-8", "utf8", "":
            return String(validating: bytes, as: UTF8.self)
        case "iso-8859-1", "latin1", "latin-1", "us-ascii":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            return nil
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }

    /// Header bytes as text: UTF-8 when valid (aiohttp sends raw UTF-8 file names), else ISO-8859-1.
    static func decodeHeaderText(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}

/// `value; name=token; name="quoted \"string\""` as in Content-Type and Content-Disposition.
struct HeaderParameters {
    /// The leading value (media type or disposition type), trimmed.
    var value: String
    /// Parameters in order; names lowercased, values raw bytes with quotes and escapes removed.
    var parameters: [(name: String, value: [UInt8])]

    static func parse(_ bytes: [UInt8]) -> HeaderParameters {
        var index = 0
        func skipSpaces() {
            while index < bytes.count, bytes[index] == 32 || bytes[index] == 9 { index += 1 }
        }
        func readUntil(_ stops: Set<UInt8>) -> [UInt8] {
            let start = index
            while index < bytes.count, !stops.contains(bytes[index]) { index += 1 }
            var slice = Array(bytes[start..<index])
            while let last = slice.last, last == 32 || last == 9 { slice.removeLast() }
            return slice
        }
        skipSpaces()
        let value = MultipartFormData.decodeHeaderText(readUntil([59]))
        var parameters: [(name: String, value: [UInt8])] = []
        while index < bytes.count {
            index += 1  // ';'
            skipSpaces()
            let name = MultipartFormData.decodeHeaderText(readUntil([59, 61])).lowercased()
            var parameterValue: [UInt8] = []
            if index < bytes.count, bytes[index] == 61 {  // '='
                index += 1
                skipSpaces()
                if index < bytes.count, bytes[index] == 34 {  // quoted-string
                    index += 1
                    while index < bytes.count, bytes[index] != 34 {
                        if bytes[index] == 92, index + 1 < bytes.count { index += 1 }  // backslash escape
                        parameterValue.append(bytes[index])
                        index += 1
                    }
                    index += 1  // closing quote
                    _ = readUntil([59])  // ignore junk up to the next ';'
                } else {
                    parameterValue = readUntil([59])
                }
            }
            if !name.isEmpty { parameters.append((name, parameterValue)) }
        }
        return HeaderParameters(value: value, parameters: parameters)
    }
}
