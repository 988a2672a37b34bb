/// The body of `POST /v1/chat/completions` (the members the bridge uses; others are ignored).
package struct ChatCompletionRequest: Decodable, Sendable {
    package var model: String
    package var messages: [ChatMessage]
    package var stream: Bool?
    package var user: String?
    package var streamOptions: StreamOptions?

    package struct StreamOptions: Decodable, Sendable {
        package var includeUsage: Bool?

        enum CodingKeys: String, CodingKey {
            case includeUsage = "include_usage"
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, user
        case streamOptions = "stream_options"
    }
}
