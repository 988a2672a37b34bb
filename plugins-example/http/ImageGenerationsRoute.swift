import CozeBridgeHTTPRequests
import CozeBridgePluginKit
import DiscordWire
import Foundation
import Hummingbird

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `POST /v1/images/generations`: asks the Coze bot (its image plugin) to draw, in the
/// conversation `ImageConversation`, and answers with the images' URLs (`response_format: "url"`,
/// the default) or their bytes (`"b64_json"`). `n` images take up to `n` turns.
struct ImageGenerationsRoute: Sendable {
    let services: BridgeServices

    func register(on router: Router<BridgeRequestContext>) {
        router.post("/v1/images/generations") { request, _ in try await handle(request) }
    }

    func handle(_ request: Request) async throws -> Response {
        let key = try services.keys.openAIKey(for: request)
        let body = try await OpenAIRequestBody.decode(
            ImageGenerationRequest.self, from: request, limit: services.settings.maxBodyBytes)
        let checked: ImageGenerationRequest.Checked
        do {
            checked = try body.checked()
        } catch {
            throw OpenAIError(error)
        }
        let count = checked.count
        let settings = services.settings
        let prompt = settings.imagePromptPrefix + body.prompt + settings.imagePromptSuffix
        var urls: [String] = []
        var lastText = ""
        do {
            for _ in 0..<count where urls.count < count {
                let answer = try await services.host.answer(key: key, conversation: settings.imageConversation, prompt: prompt)
                urls += answer.images.map(\.url)
                lastText = answer.text
            }
        } catch let error as CozeError {
            throw OpenAIError(error)
        }
        guard !urls.isEmpty else {
            throw OpenAIError(
                .badGateway, "Coze answered without an image: \"\(lastText.prefix(200))\"", type: "server_error",
                code: "no_image")
        }
        var data: [JSONValue] = []
        for url in urls.prefix(count) {
            if checked.format == .url {
                data.append(["url": .string(url), "revised_prompt": .string(body.prompt)])
            } else {
                data.append(["b64_json": .string(try await download(url).base64EncodedString()), "revised_prompt": .string(body.prompt)])
            }
        }
        return JSONResponse.make(["created": JSONValue(Int(Date().timeIntervalSince1970)), "data": .array(data)] as JSONValue)
    }

    /// The bytes of an image (Discord attachment URLs expire, so b64_json fetches them at once).
    private func download(_ address: String) async throws -> Data {
        guard let url = URL(string: address) else {
            throw OpenAIError(.badGateway, "Coze gave an image address that is not a URL: \(address)", type: "server_error")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = 30
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw OpenAIError(.badGateway, "Cannot download the image \(address): \(error)", type: "server_error")
        }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw OpenAIError(.badGateway, "Downloading the image \(address) gave HTTP \(http.statusCode).", type: "server_error")
        }
        return data
    }
}
