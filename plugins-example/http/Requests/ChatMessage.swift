/// One message of a chat request.
package struct ChatMessage: Decodable, Sendable {
    package var role: String
    package var content: ChatContent?
    /// The participant's name (counted in `usage`, otherwise unused).
    package var name: String?
}

/// A message's content: a string, or an array of parts (text and images).
package enum ChatContent: Decodable, Sendable {
    case text(String)
    case parts([ChatContentPart])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([ChatContentPart].self))
        }
    }

    /// The text parts, joined by newlines.
    package var text: String {
        switch self {
        case .text(let text): text
        case .parts(let parts): parts.compactMap(\.text).joined(separator: "\n")
        }
    }

    /// The image URLs (http(s) addresses or data URIs), in order.
    package var imageURLs: [String] {
        guard case .parts(let parts) = self else { return [] }
        return parts.compactMap(\.imageURL)
    }
}

/// A part of a content array: `{"type":"text","text":…}` or
/// `{"type":"image_url","image_url":{"url":…}}` (a bare string `image_url` is accepted too).
package struct ChatContentPart: Decodable, Sendable {
    package var type: String
    package var text: String?
    package var imageURL: String?

    private struct ImageURL: Decodable {
        var url: String
    }

    enum CodingKeys: String, CodingKey {
        case type, text
        case imageURL = "image_url"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        if let object = try? container.decodeIfPresent(ImageURL.self, forKey: .imageURL) {
            imageURL = object.url
        } else {
            imageURL = try container.decodeIfPresent(String.self, forKey: .imageURL)
        }
    }
}
