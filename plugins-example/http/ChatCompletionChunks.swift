import CozeBridgePluginKit
import DiscordWire
import Foundation
import Hummingbird

/// The JSON objects of one chat completion: the `chat.completion` of a non-streamed answer and
/// the `chat.completion.chunk` events of a streamed one, sharing one id, creation time and model.
struct ChatCompletionChunks: Sendable {
    let id: String
    let created: Int
    let model: String
    /// Every chunk's JSON up to its `delta`, rendered once: a stream sends a chunk for each
    /// edit, and only the delta and the finish reason differ from one to the next.
    private let chunkOpening: [UInt8]

    init(model: String) {
        self.id = "chatcmpl-" + Self.randomID()
        self.created = Int(Date().timeIntervalSince1970)
        self.model = model
        var opening = Array(#"{"id":"#.utf8)
        JSONValue.string(id).write(into: &opening)
        opening += #","object":"chat.completion.chunk","created":"#.utf8
        JSONValue(created).write(into: &opening)
        opening += #","model":"#.utf8
        JSONValue.string(model).write(into: &opening)
        opening += #","system_fingerprint":null,"choices":[{"index":0,"delta":"#.utf8
        chunkOpening = opening
    }

    /// The non-streamed answer.
    func completion(content: String, promptTokens: Int, completionTokens: Int) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion", "created": JSONValue(created),
            "model": .string(model), "system_fingerprint": .null,
            "choices": [[
                "index": 0, "message": ["role": "assistant", "content": .string(content), "refusal": .null],
                "logprobs": .null, "finish_reason": "stop",
            ]],
            "usage": Self.usage(prompt: promptTokens, completion: completionTokens),
        ]
    }

    /// A chunk with `delta` and `finish_reason` (null while streaming).
    func chunk(delta: JSONValue, finishReason: String? = nil) -> ByteBuffer {
        ServerSentEvents.event { json in
            json += chunkOpening
            delta.write(into: &json)
            json += #","logprobs":null,"finish_reason":"#.utf8
            JSONValue.string(orNull: finishReason).write(into: &json)
            json += "}]}".utf8
        }
    }

    /// The usage chunk of `stream_options.include_usage`: no choices, the usage.
    func usageChunk(promptTokens: Int, completionTokens: Int) -> ByteBuffer {
        ServerSentEvents.event([
            "id": .string(id), "object": "chat.completion.chunk", "created": JSONValue(created),
            "model": .string(model), "system_fingerprint": .null, "choices": [],
            "usage": Self.usage(prompt: promptTokens, completion: completionTokens),
        ])
    }

    /// The end of every stream.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    static func usage(prompt: Int, completion: Int) -> JSONValue {
        [
            "prompt_tokens": JSONValue(prompt), "completion_tokens": JSONValue(completion),
            "total_tokens": JSONValue(prompt + completion),
        ]
    }

    static func randomID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<24).map { _ in alphabet.randomElement()! })
    }
}
