import CozeBridgePluginKit
import DiscordWire
import Hummingbird

/// Renders a streamed turn as the seed's `/api/ChatStream` events: progress objects with the
/// whole text so far (`prompt_all`) and the new part (`prompt_new`), then the final answer with
/// `done: true`. A rewrite by Coze shows in `prompt_all` (with `prompt_new` empty and
/// `rewritten: true`), so this API, unlike OpenAI's, always shows the exact text.
struct SeedStreamRenderer: TurnEventRenderer {
    private var text = ""

    func start() -> [ByteBuffer] { [] }

    mutating func render(_ event: StreamEvent) -> [ByteBuffer] {
        switch event {
        case .delta(let delta):
            text += delta
            return [progress(new: delta, rewritten: false)]
        case .correction(let full):
            text = full
            return [progress(new: "", rewritten: true)]
        case .image, .suggestions:
            return []
        case .done(let answer):
            return [ServerSentEvents.event(["code": 200, "message": "Success.", "data": SeedAPIRoutes.answerData(answer)])]
        }
    }

    func failure(_ error: CozeError) -> ByteBuffer {
        var body = SeedAPIError(error).body
        if case .object(var members) = body {
            members["data"] = ["status": false, "done": true]
            body = .object(members)
        }
        return ServerSentEvents.event(body)
    }

    private func progress(new: String, rewritten: Bool) -> ByteBuffer {
        var data: [String: JSONValue] = ["prompt_all": .string(text), "prompt_new": .string(new), "done": false]
        if rewritten { data["rewritten"] = true }
        return ServerSentEvents.event(["code": 200, "message": "Generating.", "data": .object(data)])
    }
}
