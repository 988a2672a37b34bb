import DiscordWire

/// A `multipart/form-data` message body as Discord expects it (reference.mdx "Uploading Files"):
/// a `payload_json` part with the JSON payload, then one `files[n]` part per file, with
/// `payload_json.attachments` listing `{id: n, filename, description?}` for each.
public struct MultipartBody: Sendable {
    /// The value for the request's `Content-Type` header, boundary included.
    public let contentType: String
    /// The encoded body.
    public let bytes: [UInt8]
    /// The boundary between parts.
    public let boundary: String

    /// Encodes `payload` and `files`.
    ///
    /// An `attachments` array already in `payload` is kept (when editing, it lists the existing
    /// attachments to keep); an entry is added for every file whose index it does not mention.
    public init(payload: JSONValue, files: [DiscordFileUpload], boundary: String? = nil) {
        var payload = payload
        if case .object = payload {} else { payload = [:] }
        var attachments = payload["attachments"]?.arrayValue ?? []
        for (index, file) in files.enumerated() {
            let mentioned = attachments.contains { $0["id"]?.intValue == index || $0["id"]?.stringValue == String(index) }
            guard !mentioned else { continue }
            var entry: JSONValue = ["id": JSONValue(index), "filename": .string(file.filename)]
            if let description = file.description { entry["description"] = .string(description) }
            attachments.append(entry)
        }
        if !files.isEmpty || payload["attachments"] != nil { payload["attachments"] = .array(attachments) }
        let payloadBytes = payload.serializedBytes()

        // A boundary must not occur inside any part; a random one practically never does, but
        // "practically" is not good enough for user-supplied files, so check and draw again.
        var chosen = boundary ?? MultipartBody.randomBoundary()
        while MultipartBody.occurs(chosen, in: payloadBytes) || files.contains(where: { MultipartBody.occurs(chosen, in: $0.bytes) }) {
            chosen = MultipartBody.randomBoundary()
        }
        self.boundary = chosen

        var body: [UInt8] = []
        body.reserveCapacity(payloadBytes.count + files.reduce(0) { $0 + $1.bytes.count + 256 } + 256)
        func append(_ text: String) { body.append(contentsOf: text.utf8) }
        append("--\(chosen)\r\n")
        append("Content-Disposition: form-data; name=\"payload_json\"\r\n")
        append("Content-Type: application/json\r\n\r\n")
        body.append(contentsOf: payloadBytes)
        append("\r\n")
        for (index, file) in files.enumerated() {
            append("--\(chosen)\r\n")
            append(
                "Content-Disposition: form-data; name=\"files[\(index)]\"; filename=\"\(MultipartBody.quoted(file.filename))\"\r\n")
            append("Content-Type: \(MultipartBody.headerSafe(file.contentType))\r\n\r\n")
            body.append(contentsOf: file.bytes)
            append("\r\n")
        }
        append("--\(chosen)--\r\n")
        self.bytes = body
        self.contentType = "multipart/form-data; boundary=\(chosen)"
    }

    /// A filename inside a quoted header parameter: quotes and line breaks percent-encoded, as
    /// browsers do (HTML "multipart/form-data encoding algorithm").
    static func quoted(_ filename: String) -> String {
        var result = ""
        for scalar in filename.unicodeScalars {
            switch scalar {
            case "\"": result += "%22"
            case "\r": result += "%0D"
            case "\n": result += "%0A"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A header value with line breaks removed, so a caller's content type cannot inject headers.
    static func headerSafe(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    static func randomBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        return "cozebridge-" + String((0..<32).map { _ in hex[Int(generator.next() % 16)] })
    }

    static func occurs(_ boundary: String, in bytes: [UInt8]) -> Bool {
        let needle = Array(boundary.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0], bytes[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
