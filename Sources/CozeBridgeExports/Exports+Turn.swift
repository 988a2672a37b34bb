import CCozeBridge
import CozeCore

// Turns: the blocking send and the callback stream. See include/cozebridge.h.

/// A `coze_prompt` read into Swift values, refusing what the header calls invalid.
private struct Prompt {
    var accessKey: String
    var conversation: String
    var text: String
    var images: [String]

    init(_ pointer: UnsafePointer<coze_prompt>?) throws {
        guard let pointer else { throw CFailure.invalid("prompt is NULL.") }
        let prompt = pointer.pointee
        guard prompt.struct_size >= MemoryLayout<coze_prompt>.size else {
            throw CFailure.invalid(
                "prompt->struct_size is \(prompt.struct_size); initialise the prompt with COZE_PROMPT_INIT.")
        }
        accessKey = CMemory.accessKey(prompt.access_key)
        conversation = try CMemory.nonEmpty(prompt.conversation, "prompt->conversation")
        text = try CMemory.required(prompt.text, "prompt->text")
        images = []
        if prompt.image_count > 0 {
            guard let list = prompt.images else {
                throw CFailure.invalid("prompt->images is NULL but image_count is \(prompt.image_count).")
            }
            for index in 0..<prompt.image_count {
                images.append(try CMemory.nonEmpty(list[index], "prompt->images[\(index)]"))
            }
        }
        if text.isEmpty && images.isEmpty { throw CFailure.invalid("The prompt has neither text nor images.") }
    }
}

@c @implementation
public func coze_send(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<coze_answer>?>!, _ bridge: OpaquePointer!,
    _ prompt: UnsafePointer<coze_prompt>!, _ timeout_ms: Int32
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let handle = try BridgeHandle.open(bridge)
        let request = try Prompt(prompt)
        guard timeout_ms >= 0 else { throw CFailure.invalid("timeout_ms is negative.") }
        let outcome = try handle.run(timeout: Blocking.timeout(milliseconds: timeout_ms)) { core in
            try await core.send(
                accessKey: request.accessKey, conversation: request.conversation, prompt: request.text,
                images: request.images)
        }
        guard let outcome else {
            throw CFailure(
                COZE_ETIMEOUT,
                "No complete answer within \(timeout_ms) ms; the turn goes on and its answer is recorded in conversation \"\(request.conversation)\".")
        }
        out.pointee = CMemory.answer(try outcome.get())
    }
}

@c @implementation
public func coze_stream_start(
    _ out: UnsafeMutablePointer<OpaquePointer?>!, _ bridge: OpaquePointer!, _ prompt: UnsafePointer<coze_prompt>!,
    _ callbacks: UnsafePointer<coze_stream_callbacks>!, _ userdata: UnsafeMutableRawPointer!
) -> Int32 {
    cEntry {
        guard let out else { throw CFailure.invalid("out is NULL.") }
        let handle = try BridgeHandle.open(bridge)
        let request = try Prompt(prompt)
        guard let callbacks else { throw CFailure.invalid("callbacks is NULL.") }
        guard callbacks.pointee.struct_size >= StreamHandle.oldestCallbacksSize else {
            throw CFailure.invalid(
                "callbacks->struct_size is \(callbacks.pointee.struct_size); initialise the callbacks with COZE_STREAM_CALLBACKS_INIT.")
        }
        let stream = StreamHandle(bridge: handle, callbacks: StreamHandle.copy(callbacks), userdata: userdata)
        guard handle.adopt(stream) else { throw CFailure(COZE_ECLOSED, "The bridge is being destroyed.") }
        do {
            try stream.start(
                accessKey: request.accessKey, conversation: request.conversation, prompt: request.text,
                images: request.images)
        } catch {
            handle.release(stream)  // destroy began in between: nothing was started, nothing will be called
            throw error
        }
        out.pointee = OpaquePointer(Unmanaged.passRetained(stream).toOpaque())
    }
}

private func streamHandle(_ pointer: OpaquePointer?) throws -> StreamHandle {
    guard let pointer else { throw CFailure.invalid("stream is NULL.") }
    return Unmanaged<StreamHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

@c @implementation
public func coze_stream_cancel(_ stream: OpaquePointer!) -> Int32 {
    cEntry { try streamHandle(stream).cancel() }
}

@c @implementation
public func coze_stream_wait(_ stream: OpaquePointer!, _ timeout_ms: Int32) -> Int32 {
    cEntry {
        let handle = try streamHandle(stream)
        if czb_callback_stream() == UnsafeRawPointer(stream) {
            throw CFailure(
                COZE_EREENTRANT, "coze_stream_wait was called from a callback of the same stream, which would never return.")
        }
        try Blocking.refuseInDirectCallback("coze_stream_wait")
        guard timeout_ms >= 0 else { throw CFailure.invalid("timeout_ms is negative.") }
        guard let outcome = handle.wait(timeout: Blocking.timeout(milliseconds: timeout_ms)) else {
            throw CFailure(COZE_ETIMEOUT, "The stream did not end within \(timeout_ms) ms.")
        }
        // The stream's own failure becomes this call's status and last error.
        if outcome.status != COZE_OK { throw outcome }
    }
}

@c @implementation
public func coze_stream_free(_ stream: OpaquePointer!) {
    guard let stream else { return }
    let unmanaged = Unmanaged<StreamHandle>.fromOpaque(UnsafeRawPointer(stream))
    unmanaged.takeUnretainedValue().cancel()
    unmanaged.release()
}
