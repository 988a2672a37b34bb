@testable import DiscordEmulator
import DiscordWire
import Testing

/// A gateway connection that a test drives one payload at a time, with timeouts. Default waits are
/// long because a passing wait returns at once, while a loaded 2-core machine can delay a
/// parallel test run by seconds.
actor GatewayProbe {
    struct Timeout: Error, CustomStringConvertible {
        let waitingFor: String
        var description: String { "timed out waiting for \(waitingFor)" }
    }

    let socket: GatewayWebSocket
    private var buffered: [GatewayWebSocket.Event] = []
    private var waiter: (id: Int, continuation: CheckedContinuation<GatewayWebSocket.Event?, Never>)?
    private var nextWaiterID = 0
    /// The last dispatch sequence number seen, for RESUME.
    private(set) var lastSequence: Int?

    init(socket: GatewayWebSocket) {
        self.socket = socket
        Task { [socket] in
            for await event in socket.events { await self.push(event) }
        }
    }

    static func connect(_ emulator: DiscordEmulator, zlibStream: Bool = true) async throws -> GatewayProbe {
        GatewayProbe(socket: try await GatewayWebSocket.connect(to: emulator.info.gateway, zlibStream: zlibStream))
    }

    private func push(_ event: GatewayWebSocket.Event) {
        if case .payload(let payload) = event, payload["op"]?.intValue == 0, let sequence = payload["s"]?.intValue {
            lastSequence = sequence
        }
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: event)
        } else {
            buffered.append(event)
        }
    }

    /// The next event, or `Timeout`.
    func next(_ what: String = "a gateway event", timeout: Duration = .seconds(20)) async throws -> GatewayWebSocket.Event {
        if !buffered.isEmpty { return buffered.removeFirst() }
        nextWaiterID += 1
        let id = nextWaiterID
        let event = await withCheckedContinuation { continuation in
            waiter = (id, continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
        guard let event else { throw Timeout(waitingFor: what) }
        return event
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: nil)
    }

    /// The next payload; fails the test if the connection closes first.
    func nextPayload(_ what: String = "a payload", timeout: Duration = .seconds(20)) async throws -> JSONValue {
        switch try await next(what, timeout: timeout) {
        case .payload(let payload): return payload
        case .closed(let code, let reason):
            throw GatewayWebSocketError(description: "closed (\(code.map(String.init) ?? "no code"): \(reason)) while waiting for \(what)")
        }
    }

    /// Skips payloads until a dispatch named `event` arrives and returns its `d`.
    func dispatch(_ event: String, timeout: Duration = .seconds(20)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            let payload = try await nextPayload(event, timeout: max(remaining, .milliseconds(1)))
            if payload["op"]?.intValue == 0, payload["t"]?.stringValue == event { return payload["d"] ?? .null }
        }
    }

    /// Skips payloads until the connection closes; returns the close code.
    func closeCode(timeout: Duration = .seconds(20)) async throws -> UInt16? {
        while true {
            if case .closed(let code, _) = try await next("a close", timeout: timeout) { return code }
        }
    }

    /// Expects nothing to arrive for `duration`.
    func expectSilence(for duration: Duration) async throws -> GatewayWebSocket.Event? {
        try? await next(timeout: duration)
    }

    /// The next payload, which must be a dispatch (op 0); returned whole (`op`, `t`, `s`, `d`).
    func nextDispatch(_ what: String = "a dispatch", timeout: Duration = .seconds(20)) async throws -> JSONValue {
        let payload = try await nextPayload(what, timeout: timeout)
        guard payload["op"]?.intValue == 0 else {
            throw GatewayWebSocketError(description: "expected \(what), got \(payload)")
        }
        return payload
    }

    /// Whole dispatch payloads in arrival order, up to and including the first named `event`.
    func dispatches(until event: String, timeout: Duration = .seconds(20)) async throws -> [JSONValue] {
        var collected: [JSONValue] = []
        while true {
            let payload = try await nextDispatch(event, timeout: timeout)
            collected.append(payload)
            if payload["t"]?.stringValue == event { return collected }
        }
    }

    /// Sends RESUME.
    func resume(token: String, sessionID: String, sequence: Int) async throws {
        try await send([
            "op": 6,
            "d": ["token": .string(token), "session_id": .string(sessionID), "seq": .int(Int64(sequence))],
        ])
    }

    func send(_ payload: JSONValue) async throws {
        try await socket.send(payload)
    }

    /// HELLO, then IDENTIFY; returns READY's `d`.
    func identify(token: String, intents: GatewayIntents = .bridge) async throws -> JSONValue {
        let hello = try await nextPayload("HELLO")
        #expect(hello["op"]?.intValue == GatewayOpcode.hello.rawValue)
        try await send([
            "op": 2,
            "d": [
                "token": .string(token), "intents": .int(Int64(intents.rawValue)),
                "properties": ["os": "linux", "browser": "cozebridge-tests", "device": "cozebridge-tests"],
            ],
        ])
        return try await dispatch("READY")
    }
}

extension DiscordEmulator {
    /// An emulator with a fast Coze bot, for tests.
    static func startForTests(_ scenario: JSONValue = [:]) async throws -> DiscordEmulator {
        let fast: JSONValue = ["coze": ["start_delay_ms": 10, "edit_interval_ms": 10]]
        return try await DiscordEmulator.start(scenario: EmulatorScenario.merge(fast, scenario))
    }
}
