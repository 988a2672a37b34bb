import CozeBridgeHeaders
import Logging

/// A swift-log `LogHandler` that writes to the host's log (`coze_host_api.log`), which tags every
/// line with the plugin's name.
///
/// ```swift
/// let logger = Logger(label: "http") { _ in HostLogHandler(host: host) }
/// ```
///
/// Metadata is appended to the message as `key=value` pairs; levels map to the host's four
/// (trace and debug → debug, info and notice → info, warning, error and critical → error).
public struct HostLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let host: HostAPI

    public init(host: HostAPI, logLevel: Logger.Level = .info) {
        self.host = host
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard let log = host.table.pointee.log else { return }
        var line = "\(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line.withCString { log(host.pluginToken, Self.hostLevel(event.level), $0) }
    }

    static func hostLevel(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: COZE_LOG_DEBUG
        case .info, .notice: COZE_LOG_INFO
        case .warning: COZE_LOG_WARNING
        case .error, .critical: COZE_LOG_ERROR
        }
    }
}
