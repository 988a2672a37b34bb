import CozeBridgeHeaders

extension HostAPI {
    /// Starts a turn and returns its events as they arrive; does not block.
    ///
    /// The stream ends after ``StreamEvent/done(_:)``, or throws the turn's ``CozeError``.
    /// A consumer that stops iterating (or whose task is cancelled) ends delivery with
    /// `stream_cancel`: the turn itself still completes on Discord and is recorded in its
    /// conversation, so nothing of the conversation is lost.
    ///
    /// - Parameters:
    ///   - key: the access key (`nil` or "" for the open key).
    ///   - conversation: the conversation's name; created on first use.
    ///   - prompt: the text.
    ///   - images: http(s) URLs, data URIs or bare base64.
    public func stream(
        key: String?, conversation: String, prompt: String, images: [String] = []
    ) -> AsyncThrowingStream<StreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: StreamEvent.self)
        guard let start = table.pointee.stream_start, table.pointee.stream_free != nil else {
            continuation.finish(throwing: missing("stream_start"))
            return stream
        }
        let delivery = StreamDelivery(api: self, continuation: continuation)
        continuation.onTermination = { _ in delivery.terminated() }
        let userdata = Unmanaged.passRetained(delivery).toOpaque()
        var callbacks = StreamDelivery.callbacks
        var handle: OpaquePointer?
        let status = withPrompt(key: key, conversation: conversation, prompt: prompt, images: images) {
            start(&handle, bridge, $0, &callbacks, userdata)
        }
        if status == COZE_OK {
            delivery.started(handle)
        } else {
            // Nothing started: no callback runs, not even userdata_free.
            let error = lastError(status)
            Unmanaged<StreamDelivery>.fromOpaque(userdata).release()
            delivery.failedToStart()
            continuation.finish(throwing: error)
        }
        return stream
    }

    /// Runs a turn through ``stream(key:conversation:prompt:images:)`` and returns its answer:
    /// the asynchronous ``send(key:conversation:prompt:images:timeout:)``, safe in Swift
    /// concurrency contexts.
    public func answer(key: String?, conversation: String, prompt: String, images: [String] = []) async throws -> Answer {
        for try await event in stream(key: key, conversation: conversation, prompt: prompt, images: images) {
            if case .done(let answer) = event { return answer }
        }
        try Task.checkCancellation()
        throw CozeError(.internal, "The stream ended without an answer.")
    }
}
