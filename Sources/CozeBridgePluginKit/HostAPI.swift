import CozeBridgeHeaders

/// A Swift plugin's handle on the host: the core's functions (through the host's C function
/// table, `coze_host_api`), the host's bridge, and the host's log.
///
/// The table and the bridge stay valid until the plugin's `shutdown` returns, and every function
/// of the table may be called from any thread, so the handle is `Sendable`. Functions marked
/// "Blocks" wait for Discord and must not be called from a Swift concurrency context: call them
/// through ``blocking(_:)`` or use the asynchronous variants.
public struct HostAPI: @unchecked Sendable {
    /// The host's function table.
    public let table: UnsafePointer<coze_host_api>
    /// The token `init` received, which tags this plugin's log lines.
    public let pluginToken: UnsafeRawPointer?

    /// Wraps the table and token a plugin's `init` received.
    public init(table: UnsafePointer<coze_host_api>, pluginToken: UnsafeRawPointer?) {
        self.table = table
        self.pluginToken = pluginToken
    }

    /// The host's bridge (shared by all plugins; never destroy it).
    public var bridge: OpaquePointer? { table.pointee.bridge }

    /// The host program's version.
    public var hostVersion: String { CString.optional(table.pointee.host_version) ?? "" }

    /// The version of the core library (`coze_version()`).
    public var coreVersion: String { table.pointee.version.flatMap { CString.optional($0()) } ?? "" }

    /// Whether the host's table (of the size the host compiled) has `member`, and it is set:
    /// what `COZE_HOST_API_HAS` tests in C.
    public func has<Member>(_ member: KeyPath<coze_host_api, Member?>) -> Bool {
        guard let offset = MemoryLayout<coze_host_api>.offset(of: member) else { return false }
        guard offset + MemoryLayout<Member?>.size <= table.pointee.struct_size else { return false }
        return table.pointee[keyPath: member] != nil
    }

    // MARK: - Errors

    /// The error for a failed call on this thread: `status` and `coze_last_error()`.
    func lastError(_ status: Int32) -> CozeError {
        let message = table.pointee.last_error.flatMap { CString.optional($0()) } ?? ""
        return CozeError(CozeStatus(rawValue: status), message)
    }

    /// Throws the last error unless `status` is `COZE_OK`.
    func check(_ status: Int32) throws(CozeError) {
        if status != COZE_OK { throw lastError(status) }
    }

    /// A member the host left out, as an error.
    func missing(_ name: String) -> CozeError {
        CozeError(.internal, "The host's function table has no \(name) (host \(hostVersion)).")
    }

    // MARK: - Turns

    /// Sends a prompt and waits for the whole answer. Blocks.
    ///
    /// The turn belongs to the bridge: when `timeout` passes first the call throws
    /// ``CozeStatus/timeout`` but the turn still runs to its end and is recorded.
    ///
    /// - Parameters:
    ///   - key: the access key (`nil` or "" for the open key).
    ///   - conversation: the conversation's name; created on first use.
    ///   - prompt: the text.
    ///   - images: http(s) URLs, data URIs or bare base64.
    ///   - timeout: how long to wait; `nil` waits until the turn ends.
    public func send(
        key: String?, conversation: String, prompt: String, images: [String] = [], timeout: Duration? = nil
    ) throws(CozeError) -> Answer {
        guard let send = table.pointee.send, let answerFree = table.pointee.answer_free else {
            throw missing("send")
        }
        let milliseconds = timeout.map(Self.milliseconds) ?? 0
        var out: UnsafeMutablePointer<coze_answer>?
        let status = withPrompt(key: key, conversation: conversation, prompt: prompt, images: images) {
            send(&out, bridge, $0, milliseconds)
        }
        try check(status)
        guard let out else { throw CozeError(.internal, "send returned COZE_OK without an answer.") }
        defer { answerFree(out) }
        return Answer(out)
    }

    /// Calls `body` with a `coze_prompt` that borrows the arguments.
    func withPrompt<R>(
        key: String?, conversation: String, prompt: String, images: [String],
        _ body: (UnsafePointer<coze_prompt>) -> R
    ) -> R {
        CString.withOptional(key) { key in
            conversation.withCString { conversation in
                prompt.withCString { text in
                    CString.withArray(images) { imageArray in
                        var value = coze_prompt()
                        value.struct_size = MemoryLayout<coze_prompt>.size
                        value.access_key = key
                        value.conversation = conversation
                        value.text = text
                        value.images = imageArray
                        value.image_count = images.count
                        return withUnsafePointer(to: &value) { body($0) }
                    }
                }
            }
        }
    }

    /// A duration as whole milliseconds for the C API (at least 1, at most Int32.max).
    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(1, total))
    }
}
