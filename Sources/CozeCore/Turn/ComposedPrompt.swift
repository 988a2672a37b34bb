import DiscordWire

/// One prompt message, ready for `POST /channels/{id}/messages`.
public struct ComposedPrompt: Sendable, Hashable {
    /// The message text: the Coze bot's mention, then the prompt (or the instruction to read the
    /// attached prompt file).
    public var content: String
    /// Files for `files[n]`: the prompt file (when the prompt did not fit) first, then the images.
    public var files: [DiscordFileUpload]
    /// `allowed_mentions`: only the Coze bot is pinged, so a prompt that contains `@everyone` or
    /// other mentions pings nobody else.
    public var allowedMentions: JSONValue
    /// Whether the prompt text went into a `.txt` attachment because it did not fit in `content`.
    public var promptIsAttached: Bool

    public init(content: String, files: [DiscordFileUpload], allowedMentions: JSONValue, promptIsAttached: Bool) {
        self.content = content
        self.files = files
        self.allowedMentions = allowedMentions
        self.promptIsAttached = promptIsAttached
    }

    /// The JSON payload (`payload_json` when there are files). With a `nonce`, Discord's
    /// `enforce_nonce` is set so that resending after a lost response cannot post the prompt
    /// twice (Discord answers the same message for the same nonce within a few minutes).
    public func payload(nonce: String? = nil) -> JSONValue {
        var payload: JSONValue = ["content": .string(content), "allowed_mentions": allowedMentions]
        if let nonce {
            payload["nonce"] = .string(nonce)
            payload["enforce_nonce"] = true
        }
        return payload
    }

    /// The request body: JSON without files, multipart with them.
    public func body(nonce: String? = nil) -> DiscordRESTClient.Body {
        files.isEmpty ? .json(payload(nonce: nonce)) : .multipart(MultipartBody(payload: payload(nonce: nonce), files: files))
    }
}
