import Hummingbird
import NIOCore

/// The request context of the plugin's routes: Hummingbird's core context, the caller's
/// address (for the IP white list) and the connection's event loop (for streamed responses).
struct BridgeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's address as text ("127.0.0.1", "::1"), nil for a Unix socket.
    let remoteAddress: String?
    /// The loop that serves the connection.
    let eventLoop: any EventLoop

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.eventLoop = source.channel.eventLoop
    }
}
