import CozeBridgeHeaders

/// An image of an answer (`coze_image`), copied out of the core's memory.
public struct AnswerImage: Hashable, Sendable {
    /// The address (a Discord attachment URL expires: download it soon).
    public var url: String
    /// Where Coze put it: "embed", "attachment" or "markdown".
    public var source: String
    /// The file name, when known.
    public var filename: String?
    /// The MIME type Discord gave, when known.
    public var contentType: String?
    /// Pixel size, 0 when unknown.
    public var width: Int
    public var height: Int

    public init(
        url: String, source: String, filename: String? = nil, contentType: String? = nil, width: Int = 0,
        height: Int = 0
    ) {
        self.url = url
        self.source = source
        self.filename = filename
        self.contentType = contentType
        self.width = width
        self.height = height
    }

    /// Copies a borrowed `coze_image`.
    public init(_ image: coze_image) {
        self.init(
            url: String(cString: image.url), source: image.source.map { String(cString: $0) } ?? "",
            filename: image.filename.map { String(cString: $0) },
            contentType: image.content_type.map { String(cString: $0) },
            width: Int(image.width), height: Int(image.height))
    }
}
