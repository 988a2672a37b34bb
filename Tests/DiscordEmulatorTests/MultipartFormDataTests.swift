import Foundation
import NIOCore
import Testing
import TestSupport

@testable import DiscordEmulator

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)!
    }
}

extension UInt8 {
    fileprivate var isWhitespace: Bool { self == 32 || self == 10 || self == 13 || self == 9 }
}

/// Deterministic pseudo-random bytes (xorshift64).
private func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var result = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        result[index] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return result
}

/// Byte equality through memcmp (Array == is slow for 25 MB in a debug build).
private func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.count == b.count && a.withUnsafeBytes { a in b.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 } }
}

/// A multipart/form-data request body produced by aiohttp 3.14.5 `FormData(quote_fields=False)` exactly
/// as discord.py builds it (payload_json as a str field, files as `application/octet-stream`).
/// It is the hex of the bytes aiohttp wrote, i.e.
/// `b'--5d06…e26a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: form-data;
/// name="payload_json"\r\n\r\n{…}\r\n--5d06…\r\n…name="files[0]"; filename="a.txt"\r\n\r\nline1\r\n
/// --not-a-boundary\r\n\x00\xff\r\n--\r\n--5d06…\r\n…name="files[1]"; filename="h\xc3\xa9llo w.png"
/// \r\n\r\nxyz\r\n--5d06…--\r\n'`.
private let aiohttpContentType = "multipart/form-data; boundary=5d062386293844c4a5be4030c030e26a"
private let aiohttpBody = hexBytes("""
    2d2d35643036323338363239333834346334613562653430333063303330653236610d0a436f6e74656e742d54797065
    3a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d446973706f736974696f6e
    3a20666f726d2d646174613b206e616d653d227061796c6f61645f6a736f6e220d0a0d0a7b22636f6e74656e74223a22
    68656c6c6f222c226174746163686d656e7473223a5b7b226964223a302c2266696c656e616d65223a22612e74787422
    7d2c7b226964223a312c2266696c656e616d65223a2268c3a96c6c6f20772e706e67227d5d7d0d0a2d2d356430363233
    38363239333834346334613562653430333063303330653236610d0a436f6e74656e742d547970653a206170706c6963
    6174696f6e2f6f637465742d73747265616d0d0a436f6e74656e742d446973706f736974696f6e3a20666f726d2d6461
    74613b206e616d653d2266696c65735b305d223b2066696c656e616d653d22612e747874220d0a0d0a6c696e65310d0a
    2d2d6e6f742d612d626f756e646172790d0a00ff0d0a2d2d0d0a2d2d3564303632333836323933383434633461356265
    3430333063303330653236610d0a436f6e74656e742d547970653a206170706c69636174696f6e2f6f637465742d7374
    7265616d0d0a436f6e74656e742d446973706f736974696f6e3a20666f726d2d646174613b206e616d653d2266696c65
    735b315d223b2066696c656e616d653d2268c3a96c6c6f20772e706e67220d0a0d0a78797a0d0a2d2d35643036323338
    363239333834346334613562653430333063303330653236612d2d0d0a
    """)

@Suite("MultipartFormData")
struct MultipartFormDataTests {
    @Test func parsesCapturedAiohttpBody() throws {
        let parts = try MultipartFormData.parse(body: aiohttpBody, contentTypeHeader: aiohttpContentType)
        #expect(parts.count == 3)
        #expect(parts[0].name == "payload_json")
        #expect(parts[0].filename == nil)
        #expect(parts[0].contentType == "text/plain; charset=utf-8")
        #expect(parts[0].text == #"{"content":"hello","attachments":[{"id":0,"filename":"a.txt"},{"id":1,"filename":"héllo w.png"}]}"#)
        #expect(parts[1].name == "files[0]")
        #expect(parts[1].filename == "a.txt")
        #expect(parts[1].contentType == "application/octet-stream")
        #expect(parts[1].body == bytes("line1\r\n--not-a-boundary\r\n") + [0x00, 0xFF] + bytes("\r\n--"))
        #expect(parts[2].name == "files[1]")
        #expect(parts[2].filename == "héllo w.png")
        #expect(parts[2].body == bytes("xyz"))
    }

    @Test func parsesByteBuffer() throws {
        var buffer = ByteBuffer(bytes: [1, 2, 3] + aiohttpBody)
        buffer.moveReaderIndex(forwardBy: 3)
        let parts = try MultipartFormData.parse(body: buffer, contentTypeHeader: aiohttpContentType)
        #expect(parts.map(\.name) == ["payload_json", "files[0]", "files[1]"])
    }

    @Test func discordPyStylePayloadWithoutContentType() throws {
        let body = bytes(
            "--b1\r\n"
                + "Content-Disposition: form-data; name=\"payload_json\"\r\n\r\n"
                + "{\"content\":\"hi\"}\r\n"
                + "--b1\r\n"
                + "Content-Disposition: form-data; name=\"files[0]\"; filename=\"x.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n"
                + "\r\n\r\n--b\r\n--b1x\r\n\r\n"
                + "--b1--")
        let parts = try MultipartFormData.parse(body: body, contentTypeHeader: "multipart/form-data; boundary=b1")
        #expect(parts.count == 2)
        #expect(parts[0].contentType == nil)
        #expect(parts[0].text == #"{"content":"hi"}"#)
        #expect(parts[1].filename == "x.bin")
        // "\r\n--b1x" looks like a delimiter but is followed by other characters, so it is data.
        #expect(parts[1].body == bytes("\r\n\r\n--b\r\n--b1x\r\n"))
    }

    @Test func hikariStylePayloadWithJSONContentType() throws {
        let body = bytes(
            "--3f9a2b\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Disposition: form-data; name=\"payload_json\"\r\n\r\n"
                + "{\"content\":\"hi\",\"attachments\":[{\"id\":0,\"filename\":\"a.png\"}]}\r\n"
                + "--3f9a2b\r\n"
                + "Content-Disposition: form-data; name=\"files[0]\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n"
                + "\u{1}PNG\r\n--3f9a2b--\r\n")
        let parts = try MultipartFormData.parse(
            body: body, contentTypeHeader: "multipart/form-data; boundary=\"3f9a2b\"; charset=utf-8")
        #expect(parts.count == 2)
        #expect(parts[0].contentType == "application/json")
        #expect(parts[1].contentType == "image/png")
        #expect(parts[1].body == bytes("\u{1}PNG"))
    }

    @Test func preambleEpilogueAndPadding() throws {
        let body = bytes(
            "This is the preamble.\r\nIt is ignored.\r\n"
                + "--xyz  \r\n"
                + "content-disposition: form-data; name=a\r\n\r\n"
                + "1\r\n"
                + "--xyz\t\r\n"
                + "Content-Disposition: form-data;\r\n  name=\"b\"\r\n\r\n"
                + "\r\n"
                + "--xyz--\r\nThis is the epilogue. --xyz\r\n")
        let parts = try MultipartFormData.parse(body: body, contentTypeHeader: "Multipart/Form-Data;boundary=xyz")
        #expect(parts == [MultipartPart(name: "a", body: bytes("1")), MultipartPart(name: "b", body: [])])
    }

    @Test func emptyPartsAndNoParts() throws {
        let empty = try MultipartFormData.parse(body: bytes("--q--\r\n"), contentTypeHeader: "multipart/form-data; boundary=q")
        #expect(empty.isEmpty)
        let body = bytes("--q\r\nContent-Disposition: form-data; name=\"e\"\r\n\r\n\r\n--q--")
        let parts = try MultipartFormData.parse(body: body, contentTypeHeader: "multipart/form-data; boundary=q")
        #expect(parts == [MultipartPart(name: "e", body: [])])
    }

    @Test func filenameVariants() throws {
        func parse(disposition: String) throws -> MultipartPart {
            let body = bytes("--k\r\nContent-Disposition: \(disposition)\r\n\r\ndata\r\n--k--\r\n")
            return try #require(MultipartFormData.parse(body: body, contentTypeHeader: "multipart/form-data; boundary=k").first)
        }
        #expect(try parse(disposition: #"form-data; name="f"; filename*=UTF-8''h%C3%A9llo%20w.png"#).filename == "héllo w.png")
        // filename* wins over filename.
        #expect(try parse(disposition: #"form-data; name="f"; filename="fallback.png"; filename*=utf-8''%E2%9C%93.png"#)
            .filename == "✓.png")
        #expect(try parse(disposition: #"form-data; name="f"; filename*=iso-8859-1'en'caf%E9.txt"#).filename == "café.txt")
        // aiohttp with quote_fields=False backslash-escapes quotes and backslashes.
        #expect(try parse(disposition: #"form-data; name="f"; filename="we\"ird\\name.txt""#).filename == #"we"ird\name.txt"#)
        // Raw UTF-8 in a quoted filename (aiohttp 3.x).
        #expect(try parse(disposition: "form-data; name=\"f\"; filename=\"日本.txt\"").filename == "日本.txt")
        #expect(try parse(disposition: "form-data; name=\"f\"; filename=\"a;b=c.txt\"").filename == "a;b=c.txt")
        #expect(try parse(disposition: "form-data; name=files[3]; filename=plain.txt").name == "files[3]")
        #expect(try parse(disposition: "form-data; name=\"f\"").filename == nil)
        // A malformed filename* without a fallback is an error; with a fallback the fallback is used.
        #expect(try parse(disposition: #"form-data; name="f"; filename="ok.txt"; filename*=utf-8''%ZZ"#).filename == "ok.txt")
        #expect(throws: MultipartError.self) { try parse(disposition: #"form-data; name="f"; filename*=nonsense"#) }
    }

    @Test func boundaryFromContentType() throws {
        #expect(try MultipartFormData.boundary(fromContentType: "multipart/form-data; boundary=abc") == bytes("abc"))
        #expect(try MultipartFormData.boundary(fromContentType: "multipart/form-data; BOUNDARY=\"a b:c\"") == bytes("a b:c"))
        #expect(try MultipartFormData.boundary(fromContentType: "multipart/form-data;charset=x; boundary=q ") == bytes("q"))
    }

    @Test func errors() {
        let type = "multipart/form-data; boundary=zz"
        #expect(throws: MultipartError.notMultipart(contentType: "application/json")) {
            try MultipartFormData.parse(body: [], contentTypeHeader: "application/json")
        }
        #expect(throws: MultipartError.missingBoundary(contentType: "multipart/form-data")) {
            try MultipartFormData.parse(body: [], contentTypeHeader: "multipart/form-data")
        }
        #expect(throws: MultipartError.missingBoundary(contentType: "multipart/form-data; boundary=\"\"")) {
            try MultipartFormData.parse(body: [], contentTypeHeader: "multipart/form-data; boundary=\"\"")
        }
        #expect(throws: MultipartError.missingFirstBoundary) {
            try MultipartFormData.parse(body: bytes("no boundary here"), contentTypeHeader: type)
        }
        #expect(throws: MultipartError.missingFinalBoundary) {
            try MultipartFormData.parse(
                body: bytes("--zz\r\nContent-Disposition: form-data; name=a\r\n\r\ntruncated"), contentTypeHeader: type)
        }
        #expect(throws: MultipartError.missingFinalBoundary) {
            try MultipartFormData.parse(
                body: bytes("--zz\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--zzjunk"), contentTypeHeader: type)
        }
        #expect(throws: MultipartError.self) {
            try MultipartFormData.parse(body: bytes("--zz\r\nthis is not a header\r\n\r\nx\r\n--zz--"), contentTypeHeader: type)
        }
        #expect(throws: MultipartError.self) {
            try MultipartFormData.parse(body: bytes("--zz\r\nContent-Type: text/plain\r\n\r\nx\r\n--zz--"), contentTypeHeader: type)
        }
        #expect(throws: MultipartError.self) {
            try MultipartFormData.parse(body: bytes("--zz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zz--"), contentTypeHeader: type)
        }
        #expect(throws: MultipartError.self) {
            try MultipartFormData.parse(
                body: bytes("--zz\r\nContent-Disposition: form-data; name=a\r\nno blank line"), contentTypeHeader: type)
        }
        do throws(MultipartError) {
            _ = try MultipartFormData.parse(body: bytes("--zz\r\nbad\r\n\r\n\r\n--zz--"), contentTypeHeader: type)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("part 0"))
            #expect(error.description.contains("colon"))
        }
    }

    @Test func largeBinaryBodyParsesQuickly() throws {
        let boundary = "----cozebridge7MA4YWxkTrZu0gW"
        let chunk = pseudoRandomBytes(1 << 20, seed: 42)
        var file: [UInt8] = []
        file.reserveCapacity(25 << 20)
        for _ in 0..<25 { file += chunk }
        // Sprinkle boundary-like sequences: partial delimiters and CRLFs.
        let partial = bytes("\r\n--" + boundary.dropLast(3))
        for offset in stride(from: 1000, to: file.count - 100, by: 1 << 20) {
            file.replaceSubrange(offset..<offset + partial.count, with: partial)
        }
        var body = bytes("--\(boundary)\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{}\r\n")
        body += bytes("--\(boundary)\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"big.bin\"\r\n")
        body += bytes("Content-Type: application/octet-stream\r\n\r\n")
        body += file
        body += bytes("\r\n--\(boundary)--\r\n")
        let clock = ContinuousClock()
        var parts: [MultipartPart] = []
        let elapsed = try clock.measure {
            parts = try MultipartFormData.parse(body: body, contentTypeHeader: "multipart/form-data; boundary=\(boundary)")
        }
        #expect(parts.count == 2)
        #expect(parts[1].body.count == file.count)
        #expect(sameBytes(parts[1].body, file))
        #expect(elapsed < .milliseconds(900), "parsing 25 MB took \(elapsed)")
    }

    // MARK: - Live aiohttp

    @Test(.enabled("no Python with aiohttp") { await AiohttpRunner.python() != nil })
    func parsesLiveAiohttpOutput() async throws {
        let python = try #require(await AiohttpRunner.python())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var big = pseudoRandomBytes(3 << 20, seed: 7)
        big.replaceSubrange(100..<106, with: bytes("\r\n--\r\n"))
        let files: [(name: String, data: [UInt8])] = [
            ("image.png", big),
            ("notes é \"q\".txt", bytes("hello\r\nworld\r\n")),
            ("empty.bin", []),
        ]
        for (index, file) in files.enumerated() {
            try Data(file.data).write(to: directory.appendingPathComponent("f\(index)"))
        }
        let payload = #"{"content":"files ✓","tts":false,"attachments":[{"id":0,"filename":"image.png"}]}"#
        // What discord.py's HTTPClient.request does with handle_message_parameters' multipart list.
        let script = """
            import asyncio, sys, os, aiohttp
            directory, payload = sys.argv[1], sys.argv[2]
            names = sys.argv[3:]
            class Sink:
                def __init__(self): self.data = bytearray()
                async def write(self, chunk): self.data += chunk
            async def main():
                form = aiohttp.FormData(quote_fields=False)
                form.add_field(name='payload_json', value=payload)
                for index, name in enumerate(names):
                    fp = open(os.path.join(directory, 'f%d' % index), 'rb')
                    form.add_field(name='files[%d]' % index, value=fp, filename=name,
                                   content_type='application/octet-stream')
                body = form()
                sink = Sink()
                await body.write(sink)
                with open(os.path.join(directory, 'body'), 'wb') as out:
                    out.write(bytes(sink.data))
                with open(os.path.join(directory, 'type'), 'w') as out:
                    out.write(body.content_type)
            asyncio.run(main())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, directory.path, payload] + files.map(\.name)
        try process.run()
        await process.exited()
        #expect(process.terminationStatus == 0)

        let body = Array(try Data(contentsOf: directory.appendingPathComponent("body")))
        let contentType = try String(contentsOf: directory.appendingPathComponent("type"), encoding: .utf8)
        let parts = try MultipartFormData.parse(body: body, contentTypeHeader: contentType)
        #expect(parts.count == 1 + files.count)
        #expect(parts.first?.name == "payload_json")
        #expect(parts.first?.filename == nil)
        #expect(parts.first?.text == payload)
        for (index, file) in files.enumerated() {
            let part = parts[index + 1]
            #expect(part.name == "files[\(index)]")
            #expect(part.filename == file.name)
            #expect(part.contentType == "application/octet-stream")
            #expect(part.body == file.data)
        }
    }
}

/// Finds a Python that can `import aiohttp`: the project venv first, then python3 on PATH.
private enum AiohttpRunner {
    /// The first answer, kept: the search starts Python once per candidate.
    static func python() async -> String? { await search.value }

    private static let search = Task<String?, Never> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var candidates = [root.appendingPathComponent(".venv/bin/python").path]
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/python3")
        }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: candidate)
            process.arguments = ["-c", "import aiohttp"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            await process.exited()
            if process.terminationStatus == 0 { return candidate }
        }
        return nil
    }
}
