import CozeBridgeHTTPRequests
import CozeBridgePluginKit
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/chat/completions`: OpenAI's chat endpoint over the bridge.
struct ChatCompletionsRoute: Sendable {
    let services: BridgeServices

    /// The response header naming the conversation a request went to.
    static let conversationHeader = HTTPField.Name("X-Conversation-Id")!

    func register(on router: Router<BridgeRequestContext>) {
        router.post("/v1/chat/completions") { request, _ in try await handle(request) }
    }

    /// What a request asks, checked and matched to its conversation, before the turn starts.
    private struct Prepared {
        var chat: ChatCompletionRequest
        var plan: ConversationResolver.Plan
        /// The prompt's tokens when the response reports usage (a stream only on request).
        var promptTokens: Int?
    }

    func handle(_ request: Request) async throws -> Response {
        let key = try services.keys.openAIKey(for: request)
        let body = try await OpenAIRequestBody.collect(request, limit: services.settings.maxBodyBytes)
        // Decoding, composing the prompt from the history and counting its tokens grow with the body.
        let prepared = try await OffLoop.run(bytes: body.readableBytes) {
            try await prepare(body, key: key, conversationHeader: request.headers[Self.conversationHeader])
        }
        let chat = prepared.chat
        let plan = prepared.plan
        services.logger.debug(
            "chat completion",
            metadata: ["conversation": "\(plan.conversation)", "new": "\(plan.isNew)", "stream": "\(chat.stream ?? false)"])
        let chunks = ChatCompletionChunks(model: chat.model)
        let headers: HTTPFields = [Self.conversationHeader: plan.conversation]
        if chat.stream == true {
            let events = services.host.stream(
                key: key, conversation: plan.conversation, prompt: plan.prompt, images: plan.images)
            let renderer = ChatChunkRenderer(
                chunks: chunks, tokens: services.tokens, usagePromptTokens: prepared.promptTokens,
                logger: services.logger)
            return try await ServerSentEvents.response(
                for: events, renderer: renderer, headers: headers
            ) {
                OpenAIError($0)
            }
        }
        do {
            let answer = try await services.host.answer(
                key: key, conversation: plan.conversation, prompt: plan.prompt, images: plan.images)
            let content = ChatAnswerText.text(for: answer)
            return JSONResponse.make(
                chunks.completion(
                    content: content, promptTokens: prepared.promptTokens ?? 0,
                    completionTokens: services.tokens.count(content)),
                headers: headers)
        } catch let error as CozeError {
            throw OpenAIError(error)
        }
    }

    private func prepare(_ body: ByteBuffer, key: String?, conversationHeader: String?) async throws -> Prepared {
        let chat = try OpenAIRequestBody.decode(ChatCompletionRequest.self, from: body)
        guard services.settings.acceptsAnyModel || services.settings.models.contains(chat.model) else {
            throw OpenAIError(
                .notFound,
                "The model `\(chat.model)` does not exist. This server offers: \(services.settings.models.joined(separator: ", ")).",
                param: "model", code: "model_not_found")
        }
        let dialogue: ChatDialogue
        do {
            dialogue = try ChatDialogue(messages: chat.messages)
        } catch {
            throw OpenAIError(.badRequest, error.message, param: error.param)
        }
        let explicit = [conversationHeader, chat.user]
            .compactMap { $0?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        if let explicit {
            do {
                try CoreText.check(explicit, param: "user")
            } catch {
                throw OpenAIError(error)
            }
        }
        let plan: ConversationResolver.Plan
        do {
            plan = try await services.resolver.resolve(dialogue, key: key, explicitName: explicit)
        } catch let error as CozeError {
            throw OpenAIError(error)
        }
        // A stream counts them only for a usage chunk: tokenizing a long history would cost every
        // stream that did not ask for one.
        let reportsUsage = chat.stream != true || chat.streamOptions?.includeUsage == true
        return Prepared(
            chat: chat, plan: plan, promptTokens: reportsUsage ? services.tokens.count(messages: chat.messages) : nil)
    }
}
