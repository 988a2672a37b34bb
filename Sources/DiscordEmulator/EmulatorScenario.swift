import DiscordWire
import Foundation

/// Why a scenario was refused; names the key at fault.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// The emulator's behaviour switches (docs/emulator.md, "Scenario file"), decoded from JSON.
///
/// The live scenario is kept as JSON so that a partial object from `PUT /_emulator/scenario`
/// merges key by key into it.
struct EmulatorScenario: Sendable {
    var seed: UInt64 = 1
    var maxGuildChannels = 500
    var gateway = EmulatorWorld.GatewaySettings()
    var rateLimits = RateLimitSettings()
    var coze = CozeSettings()

    init() {}

    init(json: JSONValue) throws(ScenarioError) {
        guard case .object = json else { throw ScenarioError(description: "scenario: must be a JSON object") }
        if let seed = json["seed"], !seed.isNull {
            guard let value = seed.intValue, value >= 0 else {
                throw ScenarioError(description: "scenario: seed must be a non-negative integer")
            }
            self.seed = UInt64(value)
        }
        if let limit = json["max_guild_channels"], !limit.isNull {
            guard let value = limit.intValue, value >= 1 else {
                throw ScenarioError(description: "scenario: max_guild_channels must be a positive integer")
            }
            maxGuildChannels = value
        }
        if let gateway = json["gateway"], !gateway.isNull {
            self.gateway = try Self.gatewaySettings(gateway)
        }
        if let rateLimits = json["rate_limits"], !rateLimits.isNull {
            do {
                self.rateLimits = try JSONDecoder().decode(RateLimitSettings.self, from: Data(rateLimits.serializedBytes()))
            } catch {
                throw ScenarioError(description: "scenario: rate_limits: \(Self.describe(error))")
            }
        }
        if let coze = json["coze"], !coze.isNull {
            do {
                self.coze = try CozeSettings(json: coze)
            } catch {
                throw ScenarioError(description: "scenario: coze: \(error)")
            }
        }
    }

    private static func gatewaySettings(_ json: JSONValue) throws(ScenarioError) -> EmulatorWorld.GatewaySettings {
        guard case .object = json else { throw ScenarioError(description: "scenario: gateway must be an object") }
        var settings = EmulatorWorld.GatewaySettings()
        if let interval = json["heartbeat_interval_ms"], !interval.isNull {
            guard let value = interval.intValue, value >= 10 else {
                throw ScenarioError(description: "scenario: gateway.heartbeat_interval_ms must be an integer >= 10")
            }
            settings.heartbeatIntervalMilliseconds = value
        }
        if let timeout = json["session_timeout_ms"], !timeout.isNull {
            guard let value = timeout.intValue, value >= 0 else {
                throw ScenarioError(description: "scenario: gateway.session_timeout_ms must be a non-negative integer")
            }
            settings.sessionTimeoutMilliseconds = UInt64(value)
        }
        if let names = json["enabled_privileged_intents"], !names.isNull {
            guard let list = names.arrayValue else {
                throw ScenarioError(description: "scenario: gateway.enabled_privileged_intents must be a list")
            }
            var enabled: GatewayIntents = []
            for name in list {
                switch name.stringValue {
                case "message_content": enabled.insert(.messageContent)
                case "guild_members": enabled.insert(.guildMembers)
                case "guild_presences": enabled.insert(.guildPresences)
                default:
                    throw ScenarioError(
                        description: "scenario: gateway.enabled_privileged_intents: unknown intent \(name); "
                            + "use message_content, guild_members or guild_presences")
                }
            }
            settings.enabledPrivilegedIntents = enabled
        }
        return settings
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// Every setting, with the keys and shapes of the scenario file, defaults included: what
    /// `GET /_emulator/scenario` shows, and a valid scenario file that reproduces these settings.
    var json: JSONValue {
        let privileged: [(GatewayIntents, String)] = [
            (.messageContent, "message_content"), (.guildMembers, "guild_members"), (.guildPresences, "guild_presences"),
        ]
        let rateLimitsJSON: JSONValue
        do {
            rateLimitsJSON = try JSONValue.parse(Array(JSONEncoder().encode(rateLimits)))
        } catch {
            // RateLimitSettings encodes only integers and booleans; this cannot fail.
            preconditionFailure("emulator: cannot encode the rate-limit settings: \(error)")
        }
        return [
            "seed": JSONValue(Int(clamping: seed)),
            "max_guild_channels": JSONValue(maxGuildChannels),
            "gateway": [
                "heartbeat_interval_ms": JSONValue(gateway.heartbeatIntervalMilliseconds),
                "enabled_privileged_intents": .array(
                    privileged.filter { gateway.enabledPrivilegedIntents.contains($0.0) }.map { .string($0.1) }),
                "session_timeout_ms": JSONValue(Int(clamping: gateway.sessionTimeoutMilliseconds)),
            ],
            "rate_limits": rateLimitsJSON,
            "coze": coze.json,
        ]
    }

    /// `patch` laid over `base`: objects merge key by key, anything else replaces.
    static func merge(_ base: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(var merged) = base, case .object(let changes) = patch else { return patch }
        for (key, value) in changes {
            merged[key] = merged[key].map { merge($0, value) } ?? value
        }
        return .object(merged)
    }
}
