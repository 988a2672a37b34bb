import CCozeBridge
import CozeCore
import Dispatch
import Synchronization

/// What a `coze_stream *` points at: one turn's events on their way to C callbacks.
///
/// Callbacks run on the stream's own serial dispatch queue, so they keep the turn's order, never
/// run on a NIO event loop or the Swift concurrency pool, and a callback that blocks holds up only
/// this stream (events keep arriving and wait in the queue). Cancelling flips a flag that every
/// queued callback checks before it runs, then queues the cancellation terminal: whatever was
/// queued before is skipped, so nothing but `on_error(COZE_ECANCELLED)` follows a cancel.
final class StreamHandle: @unchecked Sendable {
    // @unchecked: `callbacks` and `userdata` are C values the caller vouched for by handing them
    // over; they are only read, and only on `queue`. Everything mutable is behind `state`.
    let bridge: BridgeHandle
    private let callbacks: coze_stream_callbacks
    private let userdata: UnsafeMutableRawPointer?
    private let queue = DispatchQueue(label: "cozebridge.stream")
    /// Entered at creation, left after `userdata_free`: `coze_stream_wait` waits on it.
    private let ended = DispatchGroup()

    private struct State {
        var cancelled = false
        var terminated = false
        var outcome: Int32 = COZE_OK
        var outcomeMessage = ""
        var consumer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    init(bridge: BridgeHandle, callbacks: coze_stream_callbacks, userdata: UnsafeMutableRawPointer?) {
        self.bridge = bridge
        self.callbacks = callbacks
        self.userdata = userdata
        ended.enter()
    }

    /// The pointer C sees for this stream (callback context and reentrancy checks compare it).
    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    // MARK: - Running

    /// Starts consuming the turn. The bridge must have adopted the stream.
    func start(accessKey: String, conversation: String, prompt: String, images: [String]) throws {
        let events = try bridge.core.stream(accessKey: accessKey, conversation: conversation, prompt: prompt, images: images)
        let consumer = Task.detached { [self] in
            do {
                for try await event in events { enqueue(event) }
            } catch {
                let failure = CFailure(error)
                enqueueTerminal(status: failure.status, message: failure.message, isCancellation: false)
            }
            // Reached without a terminal event only when the consumer was cancelled.
            enqueueTerminal(status: COZE_ECANCELLED, message: "The stream was cancelled.", isCancellation: true)
        }
        state.withLock { $0.consumer = consumer }
    }

    /// Stops delivery (see `coze_stream_cancel`); harmless after the end.
    func cancel(status: Int32 = COZE_ECANCELLED, message: String = "The stream was cancelled.") {
        let consumer: Task<Void, Never>? = state.withLock { state in
            guard !state.cancelled else { return nil }
            state.cancelled = true
            return state.consumer
        }
        consumer?.cancel()
        enqueueTerminal(status: status, message: message, isCancellation: true)
    }

    /// Waits until the task that reads the engine's events has returned.
    func consumerFinished() async {
        await state.withLock { $0.consumer }?.value
    }

    /// Waits for the end; the outcome (status and message), or `nil` on timeout.
    func wait(timeout: Duration?) -> CFailure? {
        if let timeout {
            let milliseconds = Int(clamping: timeout.components.seconds) &* 1000
                &+ Int(timeout.components.attoseconds / 1_000_000_000_000_000)
            guard ended.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return nil }
        } else {
            ended.wait()
        }
        return state.withLock { CFailure($0.outcome, $0.outcomeMessage) }
    }

    // MARK: - Delivery (on `queue`)

    private func enqueue(_ event: TurnEvent) {
        switch event {
        case .delta(let text):
            queue.async { [self] in
                deliver { callbacks, userdata in
                    guard let onDelta = callbacks.on_delta else { return }
                    text.withCString { onDelta($0, text.utf8.count, userdata) }
                }
            }
        case .correction(let fullText):
            queue.async { [self] in
                deliver { callbacks, userdata in
                    guard let onCorrection = callbacks.on_correction else { return }
                    fullText.withCString { onCorrection($0, fullText.utf8.count, userdata) }
                }
            }
        case .image(let image):
            queue.async { [self] in
                deliver { callbacks, userdata in
                    guard let onImage = callbacks.on_image else { return }
                    var value = CMemory.image(image)
                    onImage(&value, userdata)
                    withUnsafeMutablePointer(to: &value) { czb_image_free_members($0) }
                }
            }
        case .suggestions(let labels):
            queue.async { [self] in
                deliver { callbacks, userdata in
                    guard let onSuggestions = callbacks.on_suggestions else { return }
                    var pointers = labels.map { UnsafePointer(CMemory.string($0)) as UnsafePointer<CChar>? }
                    onSuggestions(&pointers, labels.count, userdata)
                    for pointer in pointers { coze_free(UnsafeMutableRawPointer(mutating: pointer)) }
                }
            }
        case .done(let result):
            queue.async { [self] in
                terminate(status: COZE_OK, message: "", isCancellation: false) { callbacks, userdata in
                    guard let onDone = callbacks.on_done else { return }
                    let answer = CMemory.answer(result)
                    onDone(answer, userdata)
                    coze_answer_free(answer)
                }
            }
        case .failed(let error):
            let failure = CFailure(error)
            enqueueTerminal(status: failure.status, message: failure.message, isCancellation: false)
        }
    }

    private func enqueueTerminal(status: Int32, message: String, isCancellation: Bool) {
        queue.async { [self] in
            terminate(status: status, message: message, isCancellation: isCancellation) { callbacks, userdata in
                guard let onError = callbacks.on_error else { return }
                message.withCString { onError(status, $0, userdata) }
            }
        }
    }

    /// Runs a non-terminal callback unless the stream was cancelled or has ended.
    private func deliver(_ call: (coze_stream_callbacks, UnsafeMutableRawPointer?) -> Void) {
        let skip = state.withLock { $0.cancelled || $0.terminated }
        guard !skip else { return }
        inCallbackContext { call(callbacks, userdata) }
    }

    /// Runs the one terminal callback, then `userdata_free`, then lets waiters and the bridge go.
    /// After a cancel only the cancellation's own terminal passes.
    private func terminate(
        status: Int32, message: String, isCancellation: Bool, _ call: (coze_stream_callbacks, UnsafeMutableRawPointer?) -> Void
    ) {
        let proceed = state.withLock { state in
            guard !state.terminated, isCancellation || !state.cancelled else { return false }
            state.terminated = true
            state.outcome = status
            state.outcomeMessage = message
            return true
        }
        guard proceed else { return }
        inCallbackContext {
            call(callbacks, userdata)
            callbacks.userdata_free?(userdata)
        }
        ended.leave()
        bridge.release(self)
    }

    private func inCallbackContext(_ body: () -> Void) {
        let previousBridge = czb_callback_bridge()
        let previousStream = czb_callback_stream()
        czb_set_callback_context(UnsafeRawPointer(bridge.opaque), UnsafeRawPointer(opaque))
        body()
        czb_set_callback_context(previousBridge, previousStream)
    }
}
