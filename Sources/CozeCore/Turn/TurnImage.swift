/// A picture in the Coze bot's answer.
///
/// Coze delivers images three ways (discord-wire.md §5): as an embed's image, as an attachment of
/// the reply, or as a markdown image link inside the text. All three become a `TurnImage`; the
/// same URL is reported once, in the order the images first appeared.
public struct TurnImage: Sendable, Hashable, CustomStringConvertible {
    /// Where in the Discord message the image was found.
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// `embeds[].image.url` (or the `url` of an embed of type `image`).
        case embed
        /// `attachments[]` whose content type or file name says it is an image.
        case attachment
        /// `![alt](url)` in the message content.
        case markdown
    }

    /// The image's address. For Discord attachments this is a signed CDN URL that expires, so a
    /// consumer that keeps images should download them soon.
    public var url: String
    /// Where the image was found.
    public var source: Source
    /// The file name, for attachments (and the last path component of embed URLs when it has an
    /// image extension); `nil` when unknown.
    public var filename: String?
    /// The attachment's `content_type`, when Discord gave one.
    public var contentType: String?
    /// Pixel size, when Discord gave it.
    public var width: Int?
    public var height: Int?
    /// Discord's media-proxy address of the same image, when different from ``url``.
    public var proxyURL: String?
    /// Alt text of a markdown image; `nil` for the other sources.
    public var altText: String?

    public init(
        url: String, source: Source, filename: String? = nil, contentType: String? = nil, width: Int? = nil,
        height: Int? = nil, proxyURL: String? = nil, altText: String? = nil
    ) {
        self.url = url
        self.source = source
        self.filename = filename
        self.contentType = contentType
        self.width = width
        self.height = height
        self.proxyURL = proxyURL
        self.altText = altText
    }

    public var description: String { "\(source.rawValue) image \(url)" }
}
