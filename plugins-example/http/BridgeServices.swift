import CozeBridgeHTTPRequests
import CozeBridgePluginKit
import Logging

/// What every route needs: the host's core API, the settings, key checking, conversation
/// resolution, token counting, metrics and the log.
struct BridgeServices: Sendable {
    let host: HostAPI
    let settings: HTTPPluginSettings
    let keys: AccessKeys
    let resolver: ConversationResolver
    let tokens: TokenCounter
    let metrics: PluginMetrics
    let logger: Logger

    init(host: HostAPI, settings: HTTPPluginSettings, tokens: TokenCounter, metrics: PluginMetrics, logger: Logger) {
        self.host = host
        self.settings = settings
        self.keys = AccessKeys(host: host)
        self.resolver = ConversationResolver(
            host: host,
            composer: PromptComposer(contextPrefix: settings.contextPrefix, contextSuffix: settings.contextSuffix))
        self.tokens = tokens
        self.metrics = metrics
        self.logger = logger
    }
}
