/// A failure reported by the core: its status code and the core's explanation
/// (`coze_last_error()` of the failing call, or the message given to a stream's `on_error`).
public struct CozeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is.
    public var status: CozeStatus
    /// The core's sentence saying what went wrong and what to do.
    public var message: String

    public init(_ status: CozeStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String {
        message.isEmpty ? status.name : "\(status.name): \(message)"
    }
}
