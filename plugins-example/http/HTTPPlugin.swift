import CozeBridgePluginKit
import DiscordWire
import Dispatch
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The running http plugin: its Hummingbird servers (HTTP, and HTTPS when configured) in one
/// service group on a task of their own.
final class HTTPPlugin: Sendable {
    /// Why the plugin cannot start; the host reports `description` naming the plugin's file.
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    let services: BridgeServices
    private let group: ServiceGroup
    private let finished = DispatchSemaphore(value: 0)
    private let runner = Mutex<Task<Void, Never>?>(nil)

    /// Reads the settings, builds the routes and starts listening; returns once every server
    /// listens, or throws why one cannot (a port in use, a bad setting, unreadable PEM files).
    static func start(host: HostAPI, settingsJSON: String) throws(StartFailure) -> HTTPPlugin {
        let settings: HTTPPluginSettings
        do {
            let topLevel = try host.configJSON().map { try JSONValue.parse($0) } ?? [:]
            let own = settingsJSON.isEmpty ? [:] : try JSONValue.parse(settingsJSON)
            settings = try HTTPPluginSettings(settings: own, topLevel: topLevel)
        } catch let error as HTTPPluginSettings.Invalid {
            throw StartFailure(description: "Settings: \(error.description)")
        } catch {
            throw StartFailure(description: "Settings: cannot read the configuration: \(error)")
        }
        let logLevel = settings.logLevel
        let logger = Logger(label: "http") { _ in HostLogHandler(host: host, logLevel: logLevel) }
        if let allowList = settings.allowList, !allowList.ignored.isEmpty {
            logger.warning("IP white list entries that are not addresses are ignored: \(allowList.ignored.joined(separator: ", "))")
        }
        if let explicit = settings.tokenizerRanks, !FileManager.default.isReadableFile(atPath: explicit) {
            throw StartFailure(description: "Settings.TokenizerRanks: cannot read \(explicit).")
        }
        // The rank file is read at the first count; without one, `usage` is estimated.
        let ranks = settings.tokenizerRanks ?? TokenCounter.ranksNextToPlugin()
        if ranks == nil {
            logger.info("usage: estimated token counts (no \(TokenCounter.ranksFileName) next to the plugin, no TokenizerRanks).")
        }
        let tokens = TokenCounter(ranksPath: ranks, logger: logger)
        let metrics = PluginMetrics()
        let services = BridgeServices(host: host, settings: settings, tokens: tokens, metrics: metrics, logger: logger)
        let plugin = try HTTPPlugin(services: services, logger: logger)
        metrics.observeTurns(of: host)
        return plugin
    }

    private init(services: BridgeServices, logger: Logger) throws(StartFailure) {
        self.services = services
        let settings = services.settings
        let responder = Self.router(services).buildResponder()
        var endpoints: [(port: Int, server: HTTPServerBuilder, scheme: String)] = []
        if settings.port != 0 { endpoints.append((settings.port, .http1OnConnectionLoop(), "http")) }
        if settings.sslPort != 0 {
            endpoints.append((settings.sslPort, try Self.tlsServer(settings), "https"))
        }
        let latch = StartupLatch(servers: endpoints.count)
        let applications: [any Service] = endpoints.map { endpoint in
            let scheme = endpoint.scheme
            return Application(
                responder: responder, server: endpoint.server,
                configuration: ApplicationConfiguration(
                    address: .hostname(settings.host, port: endpoint.port), serverName: nil, backlog: settings.backlog),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? endpoint.port
                    latch.listening("\(scheme)://\(settings.host):\(port)")
                },
                logger: logger)
        }
        group = ServiceGroup(configuration: .init(services: applications, logger: logger))
        let group = group
        let finished = finished
        let ports = endpoints.map { String($0.port) }.joined(separator: " and ")
        let task = Task.detached {
            do {
                try await group.run()
            } catch {
                // Before listening the host reports it (init fails); afterwards only the log can.
                if !latch.failed("Cannot listen on \(settings.host) port \(ports): \(Self.describe(error))") {
                    logger.error("The HTTP servers stopped: \(Self.describe(error))")
                }
            }
            latch.failed("The HTTP servers stopped before listening.")
            finished.signal()
        }
        runner.withLock { $0 = task }
        do {
            let addresses = try latch.wait(timeout: Duration.seconds(20))
            logger.info("Listening on \(addresses.joined(separator: ", ")) (models: \(settings.models.joined(separator: ", ")))")
        } catch {
            task.cancel()
            _ = finished.wait(timeout: .now() + 5)
            throw error
        }
    }

    /// Stops the servers: no new connections, in-flight requests get `ShutdownGraceSeconds`, then
    /// they are cut. Turns still running in the core complete and are recorded regardless.
    func stop() {
        let group = group
        Task.detached { await group.triggerGracefulShutdown() }
        let grace = Double(services.settings.shutdownGrace.components.seconds)
        if finished.wait(timeout: .now() + grace) == .timedOut {
            services.logger.warning("Requests still running after \(Int(grace)) s; cutting them.")
            runner.withLock { $0?.cancel() }
            _ = finished.wait(timeout: .now() + 5)
        }
        services.logger.info("Stopped.")
    }

    /// An error in a sentence: socket errors as their C message ("Address already in use").
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
        }
        return "\(error)"
    }

    /// Every route, behind the error shaping, CORS and white list middlewares.
    static func router(_ services: BridgeServices) -> Router<BridgeRequestContext> {
        let router = Router(context: BridgeRequestContext.self, options: [.caseInsensitive])
        router.add(middleware: ErrorShapeMiddleware(metrics: services.metrics))
        if services.settings.cors {
            router.add(middleware: CORSPolicyMiddleware(origins: services.settings.corsOrigins))
        }
        if let allowList = services.settings.allowList {
            router.add(middleware: IPAllowListMiddleware(allowList: allowList))
        }
        ChatCompletionsRoute(services: services).register(on: router)
        ImageGenerationsRoute(services: services).register(on: router)
        StatusRoutes(services: services).register(on: router)
        SeedAPIRoutes(services: services).register(on: router)
        return router
    }

    /// The HTTPS server of the PEM certificate chain and key.
    static func tlsServer(_ settings: HTTPPluginSettings) throws(StartFailure) -> HTTPServerBuilder {
        guard let certificatePath = settings.certificatePath, let keyPath = settings.privateKeyPath else {
            throw StartFailure(description: "HTTPS needs CertificatePath and PrivateKeyPath.")
        }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            return try .tls(.http1OnConnectionLoop(), tlsConfiguration: configuration)
        } catch {
            throw StartFailure(description: "HTTPS: cannot use \(certificatePath) / \(keyPath): \(error)")
        }
    }
}
