/// The body of `POST /v1/chat/completions` (the members the bridge uses; others are ignored).
struct ChatCompletionRequest: Decodable, Sendable {
    var model: String
    var messages: [ChatMessage]
    var stream: Bool?
    var user: String?
    var streamOptions: StreamOptions?

    struct StreamOptions: Decodable, Sendable {
        var includeUsage: Bool?

        enum CodingKeys: String, CodingKey {
            case includeUsage = "include_usage"
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, user
        case streamOptions = "stream_options"
    }
}
