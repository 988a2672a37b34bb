import CozeBridgeHeaders
import CozeBridgePluginKit
import CoreMetrics
import Prometheus
import Synchronization

/// The metrics behind `GET /metrics`, recorded through swift-metrics into the plugin's own
/// Prometheus registry: HTTP responses by status; every completed turn of the host (any plugin's,
/// through the host's turn observer) by key and outcome, with a latency histogram; and, refreshed
/// at scrape time, the bots' state and the core's counters (Discord REST 429s and retries, gateway
/// connections, reconnects and resumes).
final class PluginMetrics: Sendable {
    /// Upper bounds (seconds) of the turn latency histogram.
    static let latencyBuckets: [Double] = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]
    static let turnDuration = "cozebridge_turn_duration_seconds"

    /// The registry swift-metrics reports to. `MetricsSystem.bootstrap` may run once per process
    /// and per copy of swift-metrics; the plugin carries its own copy, and bootstraps it here, once.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[turnDuration] = latencyBuckets.map { .milliseconds(Int64($0 * 1000)) }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The core's counters as last reported, by series and bot: what the Prometheus counters were
    /// advanced to (swift-metrics counters only grow by increments).
    private let reported = Mutex<[String: Int]>([:])
    private let turnTimer: CoreMetrics.Timer
    private let botsOnline: CoreMetrics.Gauge

    init() {
        _ = Self.registry
        turnTimer = CoreMetrics.Timer(label: Self.turnDuration)
        botsOnline = CoreMetrics.Gauge(label: "cozebridge_bots_online")
    }

    /// Counts an HTTP response.
    func recordRequest(status: Int) {
        CoreMetrics.Counter(label: "cozebridge_http_requests_total", dimensions: [("status", String(status))]).increment()
    }

    /// Counts a completed turn.
    func recordTurn(key: String, status: CozeStatus, durationMilliseconds: Int64) {
        CoreMetrics.Counter(label: "cozebridge_turns_total", dimensions: [("key", key), ("status", status.name)]).increment()
        turnTimer.recordMilliseconds(durationMilliseconds)
    }

    /// Registers with the host's turn observer (when the host has one). The registration lasts
    /// for the life of the process: the table has no way to remove an observer.
    func observeTurns(of host: HostAPI) {
        guard host.has(\.add_turn_observer), let add = host.table.pointee.add_turn_observer else { return }
        let userdata = Unmanaged.passRetained(self).toOpaque()
        _ = add(host.pluginToken, { turn, userdata in
            guard let turn, let userdata else { return }
            let metrics = Unmanaged<PluginMetrics>.fromOpaque(userdata).takeUnretainedValue()
            metrics.recordTurn(
                key: turn.pointee.access_key.map { String(cString: $0) } ?? "",
                status: CozeStatus(rawValue: turn.pointee.status), durationMilliseconds: turn.pointee.duration_ms)
        }, userdata)
    }

    /// The Prometheus text exposition, with the bots' gauges and the core's counters read now.
    func exposition(host: HostAPI) -> String {
        let bots = (try? host.botStatus()) ?? []
        botsOnline.record(bots.filter { $0.state == .ready }.count)
        for bot in bots {
            let labels = [("key", bot.accessKey), ("bot", bot.identity)]
            CoreMetrics.Gauge(label: "cozebridge_bot_ready", dimensions: labels).record(bot.state == .ready ? 1 : 0)
            CoreMetrics.Gauge(label: "cozebridge_bot_in_flight_turns", dimensions: labels).record(bot.inFlightTurns)
        }
        if let statistics = try? host.statistics() {
            for bot in statistics.bots {
                let labels = [("key", bot.accessKey), ("bot", bot.identity)]
                advance("cozebridge_discord_requests_total", labels, to: bot.rest.attempts)
                advance("cozebridge_discord_rate_limited_total", labels, to: bot.rest.rateLimited)
                advance("cozebridge_discord_server_error_retries_total", labels, to: bot.rest.serverErrorRetries)
                advance("cozebridge_discord_transport_retries_total", labels, to: bot.rest.transportRetries)
                advance("cozebridge_gateway_connections_total", labels, to: bot.gateway.connections)
                advance("cozebridge_gateway_reconnects_total", labels, to: max(0, bot.gateway.connections - 1))
                advance("cozebridge_gateway_identifies_total", labels, to: bot.gateway.identifies)
                advance("cozebridge_gateway_resumes_total", labels, to: bot.gateway.resumes)
                advance("cozebridge_gateway_resumed_total", labels, to: bot.gateway.resumed)
                advance("cozebridge_gateway_zombie_connections_total", labels, to: bot.gateway.zombieConnections)
            }
        }
        return Self.registry.emitToString()
    }

    /// Brings the counter `label` of a bot up to the core's `value` (it exists from 0 on).
    private func advance(_ label: String, _ labels: [(String, String)], to value: Int) {
        let series = ([label] + labels.map(\.1)).joined(separator: "\u{0}")
        let increment = reported.withLock { reported in
            let step = value - reported[series, default: 0]
            if step > 0 { reported[series] = value }
            return max(0, step)
        }
        let counter = CoreMetrics.Counter(label: label, dimensions: labels)
        if increment > 0 { counter.increment(by: increment) }
    }
}
