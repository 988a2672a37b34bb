import CCozeBridge
import CozeCore
import Dispatch
import DiscordWire
import Synchronization

/// What a `coze_bridge *` points at: the engine plus the bookkeeping the C contract needs —
/// refusing new work while destroying, and knowing which streams still owe callbacks.
final class BridgeHandle: Sendable {
    /// The configuration document as written, for `coze_bridge_config_json`.
    let document: JSONValue

    private struct State {
        /// Dropped by ``close()``, so that the engine (its store, its bots) is gone when destroy returns.
        var core: CozeBridge?
        var closing = false
        var streams: [ObjectIdentifier: StreamHandle] = [:]
    }

    private let state: Mutex<State>
    /// Entered per stream at start, left after its `userdata_free`: destroy waits on it.
    private let deliveries = DispatchGroup()
    /// Entered per blocking call while its task runs (a timed-out send's turn goes on after the
    /// call returned): destroy waits on it too.
    let operations = DispatchGroup()

    init(core: CozeBridge, document: JSONValue) {
        self.document = document
        state = Mutex(State(core: core))
    }

    /// The engine; `ECLOSED` once the bridge is being destroyed.
    var core: CozeBridge {
        get throws {
            guard let core = state.withLock({ $0.closing ? nil : $0.core }) else {
                throw CFailure(COZE_ECLOSED, "The bridge is being destroyed.")
            }
            return core
        }
    }

    /// ``run(timeout:_:)`` without a timeout, rethrowing the work's error.
    func call<T: Sendable>(_ operation: @escaping @Sendable (CozeBridge) async throws -> T) throws -> T {
        try run(timeout: nil, operation)!.get()
    }

    /// Runs a blocking call's async work on behalf of this bridge (see ``Blocking/run(timeout:group:_:)``).
    func run<T: Sendable>(
        timeout: Duration? = nil, _ operation: @escaping @Sendable (CozeBridge) async throws -> T
    ) throws -> Result<T, any Error>? {
        let core = try self.core
        return Blocking.run(timeout: timeout, group: operations) { try await operation(core) }
    }

    // MARK: - C handle

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The handle behind a `coze_bridge *`, refusing NULL and a bridge being destroyed.
    static func open(_ pointer: OpaquePointer?) throws -> BridgeHandle {
        guard let pointer else { throw CFailure.invalid("bridge is NULL.") }
        let handle = Unmanaged<BridgeHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        if handle.isClosing { throw CFailure(COZE_ECLOSED, "The bridge is being destroyed.") }
        return handle
    }

    var isClosing: Bool { state.withLock { $0.closing } }

    // MARK: - Streams

    /// Registers a stream that will deliver callbacks; `false` when the bridge is closing.
    func adopt(_ stream: StreamHandle) -> Bool {
        let adopted = state.withLock { state in
            guard !state.closing else { return false }
            state.streams[ObjectIdentifier(stream)] = stream
            return true
        }
        if adopted { deliveries.enter() }
        return adopted
    }

    /// Called once by a stream after its `userdata_free`.
    func release(_ stream: StreamHandle) {
        let removed = state.withLock { $0.streams.removeValue(forKey: ObjectIdentifier(stream)) != nil }
        if removed { deliveries.leave() }
    }

    // MARK: - Destroy

    /// Refuses new work, cancels every stream, stops the engine, waits until no callback runs or
    /// can start and no call's work is left, and lets the engine go: when this returns the store
    /// is closed and the Discord sessions are down.
    func close() {
        let engine = shutDownEngine()
        // The last strong references (task contexts finishing on other threads) go within moments;
        // wait for them so the engine's deinit (closing SQLite) happens before destroy returns.
        let deadline = ContinuousClock.now + .seconds(10)
        while engine.isAlive && ContinuousClock.now < deadline {
            Blocking.sleep(milliseconds: 1)
        }
    }

    private func shutDownEngine() -> WeakEngine {
        let (streams, core): ([StreamHandle], CozeBridge?) = state.withLock { state in
            state.closing = true
            let core = state.core
            state.core = nil
            return (Array(state.streams.values), core)
        }
        for stream in streams { stream.cancel(status: COZE_ECANCELLED, message: "The bridge was destroyed.") }
        guard let core else { return WeakEngine(nil) }
        _ = Blocking.run(timeout: nil, group: nil) { await core.shutdown() }
        deliveries.wait()
        operations.wait()
        for stream in streams { stream.engineFinished() }
        return WeakEngine(core)
    }
}

/// A weak reference to the engine, to see it deallocated.
private struct WeakEngine {
    weak var engine: CozeBridge?

    init(_ engine: CozeBridge?) { self.engine = engine }

    var isAlive: Bool { engine != nil }
}
