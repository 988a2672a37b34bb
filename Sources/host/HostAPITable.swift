import CozeBridgeHeaders
import Dispatch
import Foundation
import Logging
import Synchronization

/// The function table every plugin gets (`coze_host_api`): the core's functions straight from
/// libcozebridge, except `send` and `stream_start`, which the host wraps so that turn observers
/// (`add_turn_observer`) learn about every completed turn, and `log`, which goes to the host's log.
///
/// C function pointers carry no context, so the wrappers reach the host through ``shared``.
final class HostAPITable: @unchecked Sendable {
    // @unchecked: `api` points at a table written once in init and only read afterwards.
    /// The one table of this process; set once, before any plugin is loaded.
    nonisolated(unsafe) static var shared: HostAPITable!

    let core: CoreLibrary
    let logger: Logger
    private let coreSend:
        @convention(c) (
            UnsafeMutablePointer<UnsafeMutablePointer<coze_answer>?>?, OpaquePointer?, UnsafePointer<coze_prompt>?, Int32
        ) -> Int32
    private let coreStreamStart:
        @convention(c) (
            UnsafeMutablePointer<OpaquePointer?>?, OpaquePointer?, UnsafePointer<coze_prompt>?,
            UnsafePointer<coze_stream_callbacks>?, UnsafeMutableRawPointer?
        ) -> Int32
    private let observers = Mutex<[TurnObserver]>([])
    /// Observers run here, one at a time, off the callers' threads.
    private let observerQueue = DispatchQueue(label: "cozebridge.host.turn-observers")
    /// The table handed to plugins; allocated once and never freed (plugins keep the pointer).
    let api: UnsafeMutablePointer<coze_host_api>

    struct TurnObserver: @unchecked Sendable {
        // @unchecked: a C function pointer and the plugin's opaque userdata, called on one queue.
        /// The registering plugin's token, so its observers go before its shutdown.
        let owner: UnsafeRawPointer?
        let function: @convention(c) (UnsafePointer<coze_turn_record>?, UnsafeMutableRawPointer?) -> Void
        let userdata: UnsafeMutableRawPointer?
    }

    init(core: CoreLibrary, bridge: OpaquePointer, hostVersion: String, logger: Logger) throws {
        self.core = core
        self.logger = logger
        coreSend = try core.symbol("coze_send")
        coreStreamStart = try core.symbol("coze_stream_start")
        var table = coze_host_api()
        table.abi_major = UInt32(COZE_PLUGIN_ABI_MAJOR)
        table.abi_minor = UInt32(COZE_PLUGIN_ABI_MINOR)
        table.struct_size = MemoryLayout<coze_host_api>.size
        table.bridge = bridge
        table.host_version = UnsafePointer(strdup(hostVersion))
        table.log = { token, level, message in HostAPITable.shared.log(token: token, level: level, message: message) }
        table.version = try core.symbol("coze_version")
        table.strerror = try core.symbol("coze_strerror")
        table.last_error = try core.symbol("coze_last_error")
        table.last_error_code = try core.symbol("coze_last_error_code")
        table.free = try core.symbol("coze_free")
        table.send = { out, bridge, prompt, timeout in HostAPITable.shared.send(out, bridge, prompt, timeout) }
        table.answer_free = try core.symbol("coze_answer_free")
        table.stream_start = { out, bridge, prompt, callbacks, userdata in
            HostAPITable.shared.streamStart(out, bridge, prompt, callbacks, userdata)
        }
        table.stream_cancel = try core.symbol("coze_stream_cancel")
        table.stream_wait = try core.symbol("coze_stream_wait")
        table.stream_free = try core.symbol("coze_stream_free")
        table.conversation_create = try core.symbol("coze_conversation_create")
        table.conversation_rename = try core.symbol("coze_conversation_rename")
        table.conversation_delete = try core.symbol("coze_conversation_delete")
        table.conversation_exists = try core.symbol("coze_conversation_exists")
        table.conversation_list_get = try core.symbol("coze_conversation_list_get")
        table.conversation_list_free = try core.symbol("coze_conversation_list_free")
        table.conversation_find_by_history = try core.symbol("coze_conversation_find_by_history")
        table.keepalive = try core.symbol("coze_keepalive")
        table.keepalive_report_free = try core.symbol("coze_keepalive_report_free")
        table.bot_status_get = try core.symbol("coze_bot_status_get")
        table.bot_status_list_free = try core.symbol("coze_bot_status_list_free")
        table.config_json = try core.symbol("coze_bridge_config_json")
        table.statistics_json = try core.symbol("coze_bridge_statistics_json")
        table.add_turn_observer = { token, observer, userdata in
            guard let observer else { return COZE_EINVAL }
            HostAPITable.shared.addObserver(TurnObserver(owner: token, function: observer, userdata: userdata))
            return COZE_OK
        }
        api = UnsafeMutablePointer<coze_host_api>.allocate(capacity: 1)
        api.initialize(to: table)
    }

    // MARK: - Logging

    func log(token: UnsafeRawPointer?, level: Int32, message: UnsafePointer<CChar>?) {
        let name = token.map { Unmanaged<LoadedPlugin>.fromOpaque($0).takeUnretainedValue().name } ?? "plugin"
        let text = message.map { String(cString: $0) } ?? ""
        let swiftLevel: Logger.Level
        switch level {
        case COZE_LOG_DEBUG: swiftLevel = .debug
        case COZE_LOG_INFO: swiftLevel = .info
        case COZE_LOG_WARNING: swiftLevel = .warning
        default: swiftLevel = .error
        }
        logger.log(level: swiftLevel, "\(text)", metadata: ["plugin": "\(name)"])
    }

    // MARK: - Turn observers

    func addObserver(_ observer: TurnObserver) {
        observers.withLock { $0.append(observer) }
    }

    var hasObservers: Bool { observers.withLock { !$0.isEmpty } }

    /// Removes the observers `plugin` registered and waits until none of them runs, so the
    /// plugin's shutdown may free what they use.
    func removeObservers(of plugin: UnsafeRawPointer) {
        observers.withLock { $0.removeAll { $0.owner == plugin } }
        // Reports queued before the removal captured the old list; let them finish first.
        observerQueue.sync {}
    }

    /// Hands a finished turn to every observer, on the observer queue.
    func report(_ turn: FinishedTurn) {
        let observers = self.observers.withLock { $0 }
        guard !observers.isEmpty else { return }
        observerQueue.async {
            turn.withRecord { record in
                for observer in observers { observer.function(record, observer.userdata) }
            }
        }
    }

    // MARK: - send / stream_start

    func send(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<coze_answer>?>?, _ bridge: OpaquePointer?,
        _ prompt: UnsafePointer<coze_prompt>?, _ timeout: Int32
    ) -> Int32 {
        let started = ContinuousClock.now
        let status = coreSend(out, bridge, prompt, timeout)
        if hasObservers, let prompt {
            let answer = status == COZE_OK ? out?.pointee.map { String(cString: $0.pointee.text) } : nil
            report(
                FinishedTurn(
                    prompt: prompt.pointee, status: status, answer: answer,
                    error: status == COZE_OK ? nil : core.lastErrorMessage, started: started))
        }
        return status
    }

    func streamStart(
        _ out: UnsafeMutablePointer<OpaquePointer?>?, _ bridge: OpaquePointer?, _ prompt: UnsafePointer<coze_prompt>?,
        _ callbacks: UnsafePointer<coze_stream_callbacks>?, _ userdata: UnsafeMutableRawPointer?
    ) -> Int32 {
        // A struct_size the core refuses goes to the core as it is, for its error message.
        guard hasObservers, let prompt, let callbacks,
            callbacks.pointee.struct_size >= MemoryLayout<coze_stream_callbacks>.offset(of: \.flags)!
        else {
            return coreStreamStart(out, bridge, prompt, callbacks, userdata)
        }
        // Only the bytes the plugin has: one built against an older header has no `flags`.
        var known = coze_stream_callbacks()
        withUnsafeMutableBytes(of: &known) { target in
            target.copyMemory(
                from: UnsafeRawBufferPointer(
                    start: callbacks,
                    count: min(callbacks.pointee.struct_size, MemoryLayout<coze_stream_callbacks>.size)))
        }
        return ObservedStream.start(
            table: self, out: out, bridge: bridge, prompt: prompt, callbacks: known, userdata: userdata,
            coreStreamStart: coreStreamStart)
    }
}
