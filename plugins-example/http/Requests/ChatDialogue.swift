/// A chat request's messages in the shape the bridge works with: the system text, the earlier
/// turns, and the new message.
///
/// Consecutive messages of one role are merged (texts joined by a blank line), so a dialogue is a
/// list of alternating turns. The trailing user messages are the new message; everything before
/// is history, which ``exchanges`` pairs up as (prompt, answer) when it alternates cleanly.
package struct ChatDialogue: Sendable {
    /// One merged turn of the history.
    package struct Turn: Hashable, Sendable {
        /// "user", "assistant", or another role the client used (e.g. "tool").
        package var role: String
        package var text: String

        package init(role: String, text: String) {
            self.role = role
            self.text = text
        }
    }

    /// The system (and developer) messages, joined; nil when there are none.
    package var system: String?
    /// The earlier turns, merged.
    package var history: [Turn]
    /// The new message: its text and images.
    package var newText: String
    package var newImages: [String]

    /// Why a request's messages cannot be used.
    package struct Invalid: Error {
        package var message: String
        package var param: String
    }

    package init(messages: [ChatMessage]) throws(Invalid) {
        var system: [String] = []
        var turns: [Turn] = []
        var images: [[String]] = []
        for (index, message) in messages.enumerated() {
            let role = message.role.lowercased()
            let text = Self.assistantText(message.content?.text ?? "", role: role)
            for url in message.content?.imageURLs ?? [] where !Self.isUsableImage(url) {
                throw Invalid(
                    message: "messages[\(index)]: image_url must be an http(s) URL or a base64 data URI, found \"\(url.prefix(40))\".",
                    param: "messages[\(index)].content")
            }
            // Roles, texts and images all reach the core (prompts, transcripts, history lookups).
            do {
                try CoreText.check(role, param: "messages[\(index)].role")
                for part in [text] + (message.content?.imageURLs ?? []) {
                    try CoreText.check(part, param: "messages[\(index)].content")
                }
            } catch {
                throw Invalid(message: error.message, param: error.param ?? "messages[\(index)]")
            }
            if role == "system" || role == "developer" {
                if !text.isEmpty { system.append(text) }
                continue
            }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].text = Self.join(last.text, text)
                images[images.count - 1] += message.content?.imageURLs ?? []
            } else {
                turns.append(Turn(role: role, text: text))
                images.append(message.content?.imageURLs ?? [])
            }
        }
        guard let last = turns.last, last.role == "user" else {
            throw Invalid(message: "The last message must come from the user.", param: "messages")
        }
        guard !last.text.isEmpty || !(images.last ?? []).isEmpty else {
            throw Invalid(message: "The last user message is empty.", param: "messages")
        }
        self.system = system.isEmpty ? nil : system.joined(separator: "\n\n")
        self.history = Array(turns.dropLast())
        self.newText = last.text
        self.newImages = images.last ?? []
    }

    /// The history as (prompt, answer) exchanges, or nil when it does not alternate user,
    /// assistant, user, assistant… (then no stored conversation can match it).
    package var exchanges: [(prompt: String, answer: String)]? {
        guard history.count % 2 == 0 else { return nil }
        var result: [(prompt: String, answer: String)] = []
        for index in stride(from: 0, to: history.count, by: 2) {
            guard history[index].role == "user", history[index + 1].role == "assistant" else { return nil }
            result.append((history[index].text, history[index + 1].text))
        }
        return result
    }

    static func join(_ first: String, _ second: String) -> String {
        if first.isEmpty { return second }
        if second.isEmpty { return first }
        return first + "\n\n" + second
    }

    static func isUsableImage(_ url: String) -> Bool {
        let lowered = url.prefix(11).lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://") || lowered.hasPrefix("data:")
    }

    /// An assistant message without the image links the plugin appended to the answer it gave
    /// (``ChatAnswerText``), so that the history compares equal to the stored answer.
    static func assistantText(_ text: String, role: String) -> String {
        role == "assistant" ? ChatAnswerText.removingImageLinks(text) : text
    }
}
