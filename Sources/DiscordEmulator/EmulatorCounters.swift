import DiscordWire
import NIOConcurrencyHelpers

/// Request and gateway counters, readable from the control endpoint so tests can assert on them.
final class EmulatorCounters: Sendable {
    private struct PerToken {
        var requests = 0
        var rateLimited = 0
    }

    private struct State {
        var requests = 0
        var rateLimited = 0
        var invalidRequests = 0
        var serverErrors = 0
        var gatewayConnections = 0
        var identifies = 0
        var resumes = 0
        var dispatches = 0
        var byToken: [String: PerToken] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Counts one REST answer; 401, 403 and 429 are the "invalid requests" Discord bans IPs for.
    func recordResponse(token: String?, status: Int) {
        state.withLockedValue { state in
            state.requests += 1
            if status == 429 { state.rateLimited += 1 }
            if status == 401 || status == 403 || status == 429 { state.invalidRequests += 1 }
            if status >= 500 { state.serverErrors += 1 }
            if let token {
                state.byToken[token, default: PerToken()].requests += 1
                if status == 429 { state.byToken[token, default: PerToken()].rateLimited += 1 }
            }
        }
    }

    func recordGatewayConnection() { state.withLockedValue { $0.gatewayConnections += 1 } }
    func recordIdentify() { state.withLockedValue { $0.identifies += 1 } }
    func recordResume() { state.withLockedValue { $0.resumes += 1 } }
    /// One dispatch (op 0) numbered for a session; replays on RESUME are not counted again.
    func recordDispatch() { state.withLockedValue { $0.dispatches += 1 } }

    var json: JSONValue {
        state.withLockedValue { state in
            [
                "requests": JSONValue(state.requests), "rate_limited": JSONValue(state.rateLimited),
                "invalid_requests": JSONValue(state.invalidRequests), "server_errors": JSONValue(state.serverErrors),
                "gateway_connections": JSONValue(state.gatewayConnections), "identifies": JSONValue(state.identifies),
                "resumes": JSONValue(state.resumes), "dispatches": JSONValue(state.dispatches),
                "by_token": .object(
                    state.byToken.mapValues {
                        ["requests": JSONValue($0.requests), "rate_limited": JSONValue($0.rateLimited)]
                    }),
            ]
        }
    }
}
