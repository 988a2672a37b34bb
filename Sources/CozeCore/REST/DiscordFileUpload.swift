/// A file to attach to a message (`files[n]` in a multipart request).
public struct DiscordFileUpload: Sendable, Hashable {
    /// The name Discord shows and serves the file under, e.g. `prompt.txt`.
    public var filename: String
    /// The part's `Content-Type`, e.g. `text/plain; charset=utf-8` or `image/png`.
    public var contentType: String
    /// The file's bytes.
    public var bytes: [UInt8]
    /// Alt text (`attachments[].description`), if any.
    public var description: String?

    public init(filename: String, contentType: String = "application/octet-stream", bytes: [UInt8], description: String? = nil) {
        self.filename = filename
        self.contentType = contentType
        self.bytes = bytes
        self.description = description
    }
}
