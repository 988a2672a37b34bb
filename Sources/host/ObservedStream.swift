import CozeBridgeHeaders

/// A plugin's stream with the host in the middle: every callback passes straight through to the
/// plugin's; the terminal one is also reported to the turn observers.
final class ObservedStream: @unchecked Sendable {
    // @unchecked: touched only by the stream's own callbacks, which the core runs one at a time.
    let table: HostAPITable
    let callbacks: coze_stream_callbacks
    let userdata: UnsafeMutableRawPointer?
    let prompt: FinishedTurnPrompt
    let started = ContinuousClock.now

    private init(table: HostAPITable, callbacks: coze_stream_callbacks, userdata: UnsafeMutableRawPointer?, prompt: coze_prompt) {
        self.table = table
        self.callbacks = callbacks
        self.userdata = userdata
        self.prompt = FinishedTurnPrompt(prompt)
    }

    static func start(
        table: HostAPITable, out: UnsafeMutablePointer<OpaquePointer?>?, bridge: OpaquePointer?,
        prompt: UnsafePointer<coze_prompt>, callbacks: coze_stream_callbacks, userdata: UnsafeMutableRawPointer?,
        coreStreamStart: @convention(c) (
            UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafePointer<coze_prompt>?,
            UnsafePointer<coze_stream_callbacks>?, UnsafeMutableRawPointer?
        ) -> Int32
    ) -> Int32 {
        let observed = ObservedStream(table: table, callbacks: callbacks, userdata: userdata, prompt: prompt.pointee)
        var relay = coze_stream_callbacks()
        relay.struct_size = MemoryLayout<coze_stream_callbacks>.size
        // The relay adds no waiting of its own (observers are told on their own queue), so a
        // plugin's COZE_STREAM_DIRECT holds through it.
        relay.flags = callbacks.flags
        relay.on_delta = { text, length, box in
            let stream = ObservedStream.from(box)
            stream.callbacks.on_delta?(text, length, stream.userdata)
        }
        relay.on_correction = { text, length, box in
            let stream = ObservedStream.from(box)
            stream.callbacks.on_correction?(text, length, stream.userdata)
        }
        relay.on_image = { image, box in
            let stream = ObservedStream.from(box)
            stream.callbacks.on_image?(image, stream.userdata)
        }
        relay.on_suggestions = { labels, count, box in
            let stream = ObservedStream.from(box)
            stream.callbacks.on_suggestions?(labels, count, stream.userdata)
        }
        relay.on_done = { answer, box in
            let stream = ObservedStream.from(box)
            stream.callbacks.on_done?(answer, stream.userdata)
            stream.finish(status: COZE_OK, answer: answer.map { String(cString: $0.pointee.text) }, error: nil)
        }
        relay.on_error = { status, message, box in
            let stream = ObservedStream.from(box)
            stream.callbacks.on_error?(status, message, stream.userdata)
            stream.finish(status: status, answer: nil, error: message.map { String(cString: $0) } ?? "")
        }
        relay.userdata_free = { box in
            guard let box else { return }
            let stream = Unmanaged<ObservedStream>.fromOpaque(box).takeRetainedValue()
            stream.callbacks.userdata_free?(stream.userdata)
        }
        let box = Unmanaged.passRetained(observed).toOpaque()
        let status = withUnsafePointer(to: &relay) { coreStreamStart(out, bridge, prompt, $0, box) }
        // Nothing started: no callback will run, not even userdata_free.
        if status != COZE_OK { Unmanaged<ObservedStream>.fromOpaque(box).release() }
        return status
    }

    private static func from(_ box: UnsafeMutableRawPointer?) -> ObservedStream {
        Unmanaged<ObservedStream>.fromOpaque(box!).takeUnretainedValue()
    }

    private func finish(status: Int32, answer: String?, error: String?) {
        table.report(
            FinishedTurn(
                accessKey: prompt.accessKey, conversation: prompt.conversation, prompt: prompt.text, status: status,
                answer: answer, error: error, started: started))
    }
}

/// The parts of a `coze_prompt` the record needs, copied at start (the caller's prompt is borrowed).
struct FinishedTurnPrompt: Sendable {
    let accessKey: String
    let conversation: String
    let text: String

    init(_ prompt: coze_prompt) {
        accessKey = prompt.access_key.map { String(cString: $0) } ?? ""
        conversation = prompt.conversation.map { String(cString: $0) } ?? ""
        text = prompt.text.map { String(cString: $0) } ?? ""
    }
}
