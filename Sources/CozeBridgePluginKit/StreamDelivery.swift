import CozeBridgeHeaders
import Synchronization

/// The userdata of one `coze_stream_start`: forwards the core's callbacks, which run directly on
/// the core's thread that has the event (`COZE_STREAM_DIRECT`), into an `AsyncThrowingStream`
/// continuation.
///
/// The core holds one retain (taken by ``HostAPI/stream(key:conversation:prompt:images:)`` and
/// released in `userdata_free`). The consumer's end of the stream (finished, or its task cancelled)
/// gives up the C handle with `stream_free`, which also cancels delivery if the turn is still
/// running; the turn itself still completes and is recorded by the core.
final class StreamDelivery: Sendable {
    typealias Continuation = AsyncThrowingStream<StreamEvent, any Error>.Continuation

    /// Where the C handle is in its life.
    private enum Handle {
        /// stream_start has not returned yet.
        case starting
        /// Running; freed when the consumer's end comes.
        case running(OpaquePointer)
        /// The consumer's end came before stream_start returned: free the handle then.
        case abandoned
        /// Freed (or never started).
        case released
    }

    let continuation: Continuation
    private let api: HostAPI
    private let handle = Mutex<SendableHandle>(SendableHandle(.starting))

    /// Mutex needs a Sendable payload; the pointer is only passed back to the core.
    private struct SendableHandle: @unchecked Sendable {
        var state: Handle
        init(_ state: Handle) { self.state = state }
    }

    init(api: HostAPI, continuation: Continuation) {
        self.api = api
        self.continuation = continuation
    }

    /// stream_start returned `stream`.
    func started(_ stream: OpaquePointer?) {
        let freeNow: Bool = handle.withLock { box in
            switch box.state {
            case .starting:
                if let stream { box.state = .running(stream) } else { box.state = .released }
                return false
            case .abandoned:
                box.state = .released
                return true
            case .running, .released:
                return false
            }
        }
        if freeNow, let stream { api.table.pointee.stream_free?(stream) }
    }

    /// stream_start failed: nothing started and no callback will run.
    func failedToStart() {
        handle.withLock { $0.state = .released }
    }

    /// The consumer's end (the stream finished, or the consumer stopped iterating).
    func terminated() {
        let stream: OpaquePointer? = handle.withLock { box in
            switch box.state {
            case .starting:
                box.state = .abandoned
                return nil
            case .running(let stream):
                box.state = .released
                return stream
            case .abandoned, .released:
                return nil
            }
        }
        if let stream { api.table.pointee.stream_free?(stream) }
    }

    // MARK: - The C callbacks

    /// The callbacks table for coze_stream_start.
    static var callbacks: coze_stream_callbacks {
        var callbacks = coze_stream_callbacks()
        callbacks.struct_size = MemoryLayout<coze_stream_callbacks>.size
        // Every callback only hands its event to the continuation and returns, so they may run
        // right where the core has the event, without a wake-up of the stream's own thread.
        callbacks.flags = COZE_STREAM_DIRECT
        callbacks.on_delta = { text, length, userdata in
            StreamDelivery.from(userdata).continuation.yield(.delta(CString.string(text, length: length)))
        }
        callbacks.on_correction = { text, length, userdata in
            StreamDelivery.from(userdata).continuation.yield(.correction(CString.string(text, length: length)))
        }
        callbacks.on_image = { image, userdata in
            guard let image else { return }
            StreamDelivery.from(userdata).continuation.yield(.image(AnswerImage(image.pointee)))
        }
        callbacks.on_suggestions = { suggestions, count, userdata in
            StreamDelivery.from(userdata).continuation.yield(.suggestions(CString.strings(suggestions, count: count)))
        }
        callbacks.on_done = { answer, userdata in
            let delivery = StreamDelivery.from(userdata)
            if let answer { delivery.continuation.yield(.done(Answer(answer))) }
            delivery.continuation.finish()
        }
        callbacks.on_error = { status, message, userdata in
            let error = CozeError(CozeStatus(rawValue: status), CString.optional(message) ?? "")
            StreamDelivery.from(userdata).continuation.finish(throwing: error)
        }
        callbacks.userdata_free = { userdata in
            guard let userdata else { return }
            let delivery = Unmanaged<StreamDelivery>.fromOpaque(userdata).takeRetainedValue()
            // Normally finished already by on_done / on_error; never leave a consumer waiting.
            delivery.continuation.finish(throwing: CozeError(.cancelled, "The stream ended without an outcome."))
        }
        return callbacks
    }

    private static func from(_ userdata: UnsafeMutableRawPointer?) -> StreamDelivery {
        Unmanaged<StreamDelivery>.fromOpaque(userdata!).takeUnretainedValue()
    }
}
