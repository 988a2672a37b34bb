import CCozeBridge
import CozeCore
import Dispatch
import Synchronization

/// What a `coze_stream *` points at: one turn's events on their way to C callbacks.
///
/// Callbacks run on the stream's own serial dispatch queue, so they keep the turn's order, never
/// run on a NIO event loop or the Swift concurrency pool, and a callback that blocks holds up only
/// this stream (events keep arriving and wait in the queue). With `COZE_STREAM_DIRECT` they run
/// right where the engine hands the event over instead, saving the queue's thread wake-up.
/// Either way they run under `serial`, one at a time. Cancelling flips a flag that every callback
/// checks before it runs, then queues the cancellation terminal (always on the queue: a cancel can
/// come from inside a callback): nothing but `on_error(COZE_ECANCELLED)` follows a cancel.
final class StreamHandle: @unchecked Sendable {
    // @unchecked: `callbacks` and `userdata` are C values the caller vouched for by handing them
    // over; they are only read, and only on `queue`. Everything mutable is behind `state`.
    let bridge: BridgeHandle
    private let callbacks: coze_stream_callbacks
    private let userdata: UnsafeMutableRawPointer?
    private let queue = DispatchQueue(label: "cozebridge.stream")
    /// `COZE_STREAM_DIRECT`: callbacks run where the engine hands the event over.
    private let direct: Bool
    /// Held while a callback runs, so a queued cancellation never overlaps a direct callback.
    private let serial = Mutex(())
    /// Entered at creation, left after `userdata_free`: `coze_stream_wait` waits on it.
    private let ended = DispatchGroup()
    /// Entered at start, left once the engine has handed over the turn's end.
    private let engineRunning = DispatchGroup()

    private struct State {
        var cancelled = false
        var terminated = false
        var outcome: Int32 = COZE_OK
        var outcomeMessage = ""
    }

    private let state = Mutex(State())

    init(bridge: BridgeHandle, callbacks: coze_stream_callbacks, userdata: UnsafeMutableRawPointer?) {
        self.bridge = bridge
        self.callbacks = callbacks
        self.userdata = userdata
        direct = callbacks.flags & COZE_STREAM_DIRECT != 0
        ended.enter()
    }

    /// The `struct_size` of a `coze_stream_callbacks` compiled before `flags` was added.
    static let oldestCallbacksSize = MemoryLayout<coze_stream_callbacks>.offset(of: \.flags)!

    /// The caller's callbacks, reading only the `struct_size` bytes it has: members it does not
    /// know are zero.
    static func copy(_ callbacks: UnsafePointer<coze_stream_callbacks>) -> coze_stream_callbacks {
        var copy = coze_stream_callbacks()
        let size = min(callbacks.pointee.struct_size, MemoryLayout<coze_stream_callbacks>.size)
        withUnsafeMutableBytes(of: &copy) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: callbacks, count: size))
        }
        return copy
    }

    /// The pointer C sees for this stream (callback context and reentrancy checks compare it).
    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    // MARK: - Running

    /// Starts the turn. The bridge must have adopted the stream.
    ///
    /// The engine hands each event over as soon as it has it (an edit on the gateway connection's event loop),
    /// and this only queues the callback, so no task sits between the engine and the queue.
    func start(accessKey: String, conversation: String, prompt: String, images: [String]) throws {
        let core = try bridge.core
        engineRunning.enter()
        core.startTurn(
            accessKey: accessKey, conversation: conversation, prompt: prompt, images: images,
            onEvent: { [self] event in enqueue(event) },
            onEnd: { [self] error in
                if let error {
                    let failure = CFailure(error)
                    enqueueTerminal(status: failure.status, message: failure.message, isCancellation: false)
                }
                engineRunning.leave()
            })
    }

    /// Stops delivery (see `coze_stream_cancel`); harmless after the end.
    func cancel(status: Int32 = COZE_ECANCELLED, message: String = "The stream was cancelled.") {
        let first = state.withLock { state in
            guard !state.cancelled else { return false }
            state.cancelled = true
            return true
        }
        guard first else { return }
        enqueueTerminal(status: status, message: message, isCancellation: true)
    }

    /// Waits until the engine has handed over the turn's end.
    func engineFinished() {
        engineRunning.wait()
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
            schedule { [self] in
                deliver { callbacks, userdata in
                    guard let onDelta = callbacks.on_delta else { return }
                    text.withCString { onDelta($0, text.utf8.count, userdata) }
                }
            }
        case .correction(let fullText):
            schedule { [self] in
                deliver { callbacks, userdata in
                    guard let onCorrection = callbacks.on_correction else { return }
                    fullText.withCString { onCorrection($0, fullText.utf8.count, userdata) }
                }
            }
        case .image(let image):
            schedule { [self] in
                deliver { callbacks, userdata in
                    guard let onImage = callbacks.on_image else { return }
                    var value = CMemory.image(image)
                    onImage(&value, userdata)
                    withUnsafeMutablePointer(to: &value) { czb_image_free_members($0) }
                }
            }
        case .suggestions(let labels):
            schedule { [self] in
                deliver { callbacks, userdata in
                    guard let onSuggestions = callbacks.on_suggestions else { return }
                    var pointers = labels.map { UnsafePointer(CMemory.string($0)) as UnsafePointer<CChar>? }
                    onSuggestions(&pointers, labels.count, userdata)
                    for pointer in pointers { coze_free(UnsafeMutableRawPointer(mutating: pointer)) }
                }
            }
        case .done(let result):
            schedule { [self] in
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
        let body: @Sendable () -> Void = { [self] in
            terminate(status: status, message: message, isCancellation: isCancellation) { callbacks, userdata in
                guard let onError = callbacks.on_error else { return }
                message.withCString { onError(status, $0, userdata) }
            }
        }
        // Always queued: a cancel can come from inside a direct callback, which holds `serial`.
        schedule(onQueue: isCancellation, body)
    }

    /// Runs `body` (which calls one callback) next in this stream's order: right here for a
    /// direct stream unless `onQueue`, else on the queue. Under `serial` either way.
    private func schedule(onQueue: Bool = false, _ body: @escaping @Sendable () -> Void) {
        if direct && !onQueue {
            serial.withLock { _ in body() }
        } else {
            queue.async { [self] in serial.withLock { _ in body() } }
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
        let previousDirect = czb_set_direct_callback(direct ? 1 : 0)
        czb_set_callback_context(UnsafeRawPointer(bridge.opaque), UnsafeRawPointer(opaque))
        body()
        czb_set_callback_context(previousBridge, previousStream)
        czb_set_direct_callback(previousDirect)
    }
}
