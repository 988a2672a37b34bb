/// An image to send along with a prompt.
///
/// API clients give images as an `http(s)` URL, a `data:` URI, or bare base64 (the seed's `/api`
/// took base64 PNG). A URL is passed to Coze as text (its vision plugin fetches it); data is
/// decoded here and uploaded as an attachment of the prompt message.
public struct PromptImage: Sendable, Hashable {
    /// What is sent.
    public enum Content: Sendable, Hashable {
        /// An address Coze fetches itself; appended to the prompt text.
        case url(String)
        /// Image bytes to upload; `fileExtension` without the dot.
        case data(bytes: [UInt8], contentType: String, fileExtension: String)
    }

    /// Why an image reference was refused.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The base64 text is malformed; `position` is the offset (in UTF-8 bytes of the base64
        /// part) of the first bad character, `nil` when its length is impossible.
        case invalidBase64(position: Int?)
        /// A `data:` URI without `,` or without `;base64`.
        case invalidDataURI(String)
        /// The declared media type is not an image format Discord and Coze handle.
        case unsupportedType(String)
        /// Bare base64 (or an untyped data URI) whose bytes are not a known image format.
        case unrecognizedData
        /// The decoded image is larger than the upload limit.
        case tooLarge(bytes: Int, limit: Int)
        /// Neither a `http(s)` URL, nor a `data:` URI, nor base64.
        case unsupportedReference(String)
        /// No data at all.
        case empty

        public var description: String {
            switch self {
            case .invalidBase64(let position):
                return "the base64 data is malformed" + (position.map { " at character \($0)" } ?? " (impossible length)")
            case .invalidDataURI(let detail): return "malformed data URI: \(detail)"
            case .unsupportedType(let type):
                return "unsupported image type \(type) (use PNG, JPEG, GIF, WebP, BMP or AVIF)"
            case .unrecognizedData: return "the data is not a PNG, JPEG, GIF, WebP, BMP or AVIF image"
            case .tooLarge(let bytes, let limit): return "the image has \(bytes) bytes, over the upload limit of \(limit)"
            case .unsupportedReference(let text):
                return "\"\(text.prefix(40))\(text.count > 40 ? "…" : "")\" is neither an http(s) URL, a data: URI nor base64"
            case .empty: return "the image is empty"
            }
        }
    }

    public var content: Content

    public init(content: Content) {
        self.content = content
    }

    /// An image Coze fetches from `url`.
    public static func url(_ url: String) -> PromptImage { PromptImage(content: .url(url)) }

    /// Image bytes. `contentType` is checked against the bytes: a recognised format wins over a
    /// wrong label (clients often call everything `image/png`); a known label is trusted for
    /// bytes we cannot recognise; without either the image is refused.
    public init(bytes: [UInt8], contentType: String?, maxBytes: Int) throws(Problem) {
        self.content = try Self.validated(bytes: bytes, contentType: contentType, maxBytes: maxBytes)
    }

    private static func validated(bytes: [UInt8], contentType: String?, maxBytes: Int) throws(Problem) -> Content {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes: bytes.count, limit: maxBytes) }
        let declared = contentType.map(Self.mediaType)
        if let declared, Self.format(ofMediaType: declared) == nil { throw .unsupportedType(declared) }
        guard let format = Self.sniff(bytes) ?? declared.flatMap(Self.format(ofMediaType:)) else {
            throw .unrecognizedData
        }
        return .data(bytes: bytes, contentType: format.mediaType, fileExtension: format.fileExtension)
    }

    /// Parses a client's image reference: an `http(s)` URL, a `data:[type][;params];base64,…` URI
    /// or bare base64. Data larger than `maxBytes` is refused before it is decoded.
    public init(reference: String, maxBytes: Int) throws(Problem) {
        let trimmed = reference.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .empty }
        let lowered = trimmed.prefix(8).lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            guard !trimmed.contains(where: \.isWhitespace), trimmed.count > lowered.prefix(8).count else {
                throw .unsupportedReference(trimmed)
            }
            self.content = .url(trimmed)
            return
        }
        var declared: String?
        var encoded = Substring(trimmed)
        if lowered.hasPrefix("data:") {
            guard let comma = trimmed.firstIndex(of: ",") else { throw .invalidDataURI("no comma before the data") }
            let header = trimmed[trimmed.index(trimmed.startIndex, offsetBy: 5)..<comma]
            let parameters = header.split(separator: ";", omittingEmptySubsequences: false).map {
                $0.trimmingWhitespace().lowercased()
            }
            guard parameters.dropFirst().contains("base64") else {
                throw .invalidDataURI("only base64-encoded data URIs are supported")
            }
            if let type = parameters.first, !type.isEmpty { declared = type }
            encoded = trimmed[trimmed.index(after: comma)...]
        } else if lowered.contains("://") || lowered.hasPrefix("ftp:") || lowered.hasPrefix("file:") {
            throw .unsupportedReference(trimmed)
        }
        guard let size = Base64.decodedCount(encoded.utf8) else { throw .invalidBase64(position: nil) }
        guard size > 0 else { throw .empty }
        guard size <= maxBytes else { throw .tooLarge(bytes: size, limit: maxBytes) }
        let bytes: [UInt8]
        do {
            bytes = try Base64.decode(encoded.utf8)
        } catch {
            throw .invalidBase64(position: error.position)
        }
        self.content = try Self.validated(bytes: bytes, contentType: declared, maxBytes: maxBytes)
    }

    // MARK: - Formats

    struct Format: Sendable, Hashable {
        var mediaType: String
        var fileExtension: String
    }

    static let png = Format(mediaType: "image/png", fileExtension: "png")
    static let jpeg = Format(mediaType: "image/jpeg", fileExtension: "jpg")
    static let gif = Format(mediaType: "image/gif", fileExtension: "gif")
    static let webp = Format(mediaType: "image/webp", fileExtension: "webp")
    static let bmp = Format(mediaType: "image/bmp", fileExtension: "bmp")
    static let avif = Format(mediaType: "image/avif", fileExtension: "avif")

    /// The format a media type names (aliases included), or `nil`.
    static func format(ofMediaType type: String) -> Format? {
        switch type {
        case "image/png", "image/apng": return png
        case "image/jpeg", "image/jpg", "image/pjpeg": return jpeg
        case "image/gif": return gif
        case "image/webp": return webp
        case "image/bmp", "image/x-ms-bmp", "image/x-bmp": return bmp
        case "image/avif": return avif
        default: return nil
        }
    }

    /// The media type without parameters, lower case.
    static func mediaType(_ contentType: String) -> String {
        String(contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingWhitespace().lowercased()
    }

    /// The format the leading bytes (magic numbers) say, or `nil`.
    static func sniff(_ bytes: [UInt8]) -> Format? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png }
        if starts([0xFF, 0xD8, 0xFF]) { return jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return gif }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return webp }
        if starts(Array("ftypavif".utf8), at: 4) || starts(Array("ftypavis".utf8), at: 4) { return avif }
        if starts(Array("BM".utf8)), bytes.count >= 26 { return bmp }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace (Foundation-free).
    fileprivate func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
