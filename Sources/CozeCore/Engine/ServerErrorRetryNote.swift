import Synchronization

/// Whether a REST request was sent again after a server error, as `onServerErrorRetry` of
/// ``DiscordRESTClient`` reports it. The first attempt may have taken effect too: a channel
/// created twice leaves one that no conversation points at.
final class ServerErrorRetryNote: Sendable {
    private let retried = Mutex(false)

    /// For `onServerErrorRetry`.
    var record: @Sendable () -> Void { { [self] in retried.withLock { $0 = true } } }

    /// Whether the request was sent more than once.
    var happened: Bool { retried.withLock { $0 } }
}
