import Hummingbird

/// The request context of the plugin's routes: Hummingbird's core context and the caller's
/// address (for the IP white list).
struct BridgeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's address as text ("127.0.0.1", "::1"), nil for a Unix socket.
    let remoteAddress: String?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}
