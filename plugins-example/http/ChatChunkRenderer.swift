import CozeBridgeHTTPRequests
import CozeBridgePluginKit
import DiscordWire
import Hummingbird
import Logging

/// Renders a streamed turn as OpenAI `chat.completion.chunk` events: the role first, content
/// deltas (see ``StreamedText`` for rewrites), image links, a `finish_reason: "stop"` chunk, the
/// usage chunk when asked for, and `data: [DONE]`.
struct ChatChunkRenderer: TurnEventRenderer {
    let chunks: ChatCompletionChunks
    let tokens: TokenCounter
    /// The prompt's tokens when the client asked for a usage chunk (`stream_options.include_usage`);
    /// `nil` renders none.
    let usagePromptTokens: Int?
    let logger: Logger
    private var text = StreamedText()

    init(chunks: ChatCompletionChunks, tokens: TokenCounter, usagePromptTokens: Int?, logger: Logger) {
        self.chunks = chunks
        self.tokens = tokens
        self.usagePromptTokens = usagePromptTokens
        self.logger = logger
    }

    func start() -> [ByteBuffer] {
        [chunks.chunk(delta: ["role": "assistant", "content": ""])]
    }

    mutating func render(_ event: StreamEvent) -> [ByteBuffer] {
        switch event {
        case .delta(let delta):
            return content(text.append(delta))
        case .correction(let full):
            return content(text.replace(with: full))
        case .image, .suggestions:
            return []
        case .done(let answer):
            let tail = (text.replace(with: answer.text) ?? "") + ChatAnswerText.imageLinks(for: answer)
            if text.diverged {
                logger.info("Coze rewrote text already streamed; the client keeps what it was shown.")
            }
            var events = content(tail)
            events.append(chunks.chunk(delta: [:], finishReason: "stop"))
            if let usagePromptTokens {
                events.append(
                    chunks.usageChunk(
                        promptTokens: usagePromptTokens, completionTokens: tokens.count(ChatAnswerText.text(for: answer))))
            }
            events.append(ChatCompletionChunks.done)
            return events
        }
    }

    func failure(_ error: CozeError) -> ByteBuffer {
        ServerSentEvents.event(OpenAIError(error).body)
    }

    private func content(_ new: String?) -> [ByteBuffer] {
        guard let new, !new.isEmpty else { return [] }
        return [chunks.chunk(delta: ["content": .string(new)])]
    }
}

