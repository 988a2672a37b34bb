import CozeBridgeHeaders

/// A completed turn copied out of the caller's memory, for the turn observers.
struct FinishedTurn: Sendable {
    let accessKey: String
    let conversation: String
    let prompt: String
    let status: Int32
    let answer: String?
    let error: String?
    let durationMilliseconds: Int64

    init(prompt: coze_prompt, status: Int32, answer: String?, error: String?, started: ContinuousClock.Instant) {
        let copied = FinishedTurnPrompt(prompt)
        self.init(
            accessKey: copied.accessKey, conversation: copied.conversation, prompt: copied.text, status: status,
            answer: answer, error: error, started: started)
    }

    init(
        accessKey: String, conversation: String, prompt: String, status: Int32, answer: String?, error: String?,
        started: ContinuousClock.Instant
    ) {
        self.accessKey = accessKey
        self.conversation = conversation
        self.prompt = prompt
        self.status = status
        self.answer = answer
        self.error = error
        let elapsed = ContinuousClock.now - started
        durationMilliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// The C record, valid during `body`.
    func withRecord(_ body: (UnsafePointer<coze_turn_record>) -> Void) {
        accessKey.withCString { key in
            conversation.withCString { name in
                prompt.withCString { text in
                    withOptionalCString(answer) { answer in
                        withOptionalCString(error) { error in
                            var record = coze_turn_record(
                                struct_size: MemoryLayout<coze_turn_record>.size, access_key: key, conversation: name,
                                prompt: text, status: status, answer: answer, error: error,
                                duration_ms: durationMilliseconds)
                            withUnsafePointer(to: &record) { body($0) }
                        }
                    }
                }
            }
        }
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
