import DiscordWire

/// The `coze` object of the scenario file: how the simulated Coze bot paces and shapes its answers.
/// Every key is optional; a missing key keeps its default (or, when merging, its current value).
public struct CozeSettings: Codable, Sendable, Equatable {
    /// Delay between the prompt and the first reply message.
    public var startDelayMs: Int = 300
    /// Delay between two consecutive messages or edits of a reply.
    public var editIntervalMs: Int = 250
    /// Each delay between edits varies by up to ± this much, deterministically from the seed.
    public var editJitterMs: Int = 0
    /// How many cumulative renderings an answer (or each message of a long one) is streamed in.
    public var chunks: Int = 4
    /// Ignore prompts whose author is a bot, as the real Coze bot does since 2024.
    public var ignoreBotAuthors: Bool = false
    /// The scenario of prompts without a `[scenario:NAME]` marker.
    public var defaultScenario: CozeScenario = .plain
    /// How many messages a `long` answer is split into (at least 2).
    public var longAnswerMessages: Int = 3
    /// Start delay of the `slow` scenario.
    public var slowStartMs: Int = 35_000
    /// Benchmarks only: each rendering's new text is followed by `[t=NS]`, NS being the wall-clock
    /// time (Unix nanoseconds) at which that create or edit is handed to the world for dispatch,
    /// unique across edits (``MarkerStampClock``).
    /// Earlier markers stay in later renderings, so the contents remain cumulative.
    public var timestampMarkers: Bool = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case startDelayMs = "start_delay_ms"
        case editIntervalMs = "edit_interval_ms"
        case editJitterMs = "edit_jitter_ms"
        case chunks
        case ignoreBotAuthors = "ignore_bot_authors"
        case defaultScenario = "default_scenario"
        case longAnswerMessages = "long_answer_messages"
        case slowStartMs = "slow_start_ms"
        case timestampMarkers = "timestamp_markers"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var settings = CozeSettings()
        func integer(_ key: CodingKeys, minimum: Int, into value: inout Int) throws {
            guard let decoded = try container.decodeIfPresent(Int.self, forKey: key) else { return }
            guard decoded >= minimum else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "coze.\(key.rawValue) must be at least \(minimum)")
            }
            value = decoded
        }
        try integer(.startDelayMs, minimum: 0, into: &settings.startDelayMs)
        try integer(.editIntervalMs, minimum: 0, into: &settings.editIntervalMs)
        try integer(.editJitterMs, minimum: 0, into: &settings.editJitterMs)
        try integer(.chunks, minimum: 1, into: &settings.chunks)
        try integer(.longAnswerMessages, minimum: 2, into: &settings.longAnswerMessages)
        try integer(.slowStartMs, minimum: 0, into: &settings.slowStartMs)
        if let ignore = try container.decodeIfPresent(Bool.self, forKey: .ignoreBotAuthors) {
            settings.ignoreBotAuthors = ignore
        }
        if let markers = try container.decodeIfPresent(Bool.self, forKey: .timestampMarkers) {
            settings.timestampMarkers = markers
        }
        if let name = try container.decodeIfPresent(String.self, forKey: .defaultScenario) {
            guard let scenario = CozeScenario(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .defaultScenario, in: container,
                    debugDescription: "coze.default_scenario: unknown scenario \"\(name)\"")
            }
            settings.defaultScenario = scenario
        }
        self = settings
    }

    /// Reads a `coze` object: each key present in `json` replaces the value in `defaults`. `null`
    /// members count as absent; unknown keys are ignored. Throws `CozeSettingsError` naming the key
    /// on a wrong type or an out-of-range value.
    public init(json: JSONValue, defaults: CozeSettings = CozeSettings()) throws {
        guard let members = json.objectValue else {
            throw CozeSettingsError(key: nil, problem: "must be an object")
        }
        var settings = defaults
        func integer(_ key: CodingKeys, minimum: Int, into value: inout Int) throws {
            guard let member = members[key.rawValue], !member.isNull else { return }
            guard let decoded = member.intValue else {
                throw CozeSettingsError(key: key.rawValue, problem: "must be an integer")
            }
            guard decoded >= minimum else {
                throw CozeSettingsError(key: key.rawValue, problem: "must be at least \(minimum)")
            }
            value = decoded
        }
        try integer(.startDelayMs, minimum: 0, into: &settings.startDelayMs)
        try integer(.editIntervalMs, minimum: 0, into: &settings.editIntervalMs)
        try integer(.editJitterMs, minimum: 0, into: &settings.editJitterMs)
        try integer(.chunks, minimum: 1, into: &settings.chunks)
        try integer(.longAnswerMessages, minimum: 2, into: &settings.longAnswerMessages)
        try integer(.slowStartMs, minimum: 0, into: &settings.slowStartMs)
        if let member = members[CodingKeys.ignoreBotAuthors.rawValue], !member.isNull {
            guard let ignore = member.boolValue else {
                throw CozeSettingsError(key: CodingKeys.ignoreBotAuthors.rawValue, problem: "must be a boolean")
            }
            settings.ignoreBotAuthors = ignore
        }
        if let member = members[CodingKeys.timestampMarkers.rawValue], !member.isNull {
            guard let markers = member.boolValue else {
                throw CozeSettingsError(key: CodingKeys.timestampMarkers.rawValue, problem: "must be a boolean")
            }
            settings.timestampMarkers = markers
        }
        if let member = members[CodingKeys.defaultScenario.rawValue], !member.isNull {
            guard let name = member.stringValue else {
                throw CozeSettingsError(key: CodingKeys.defaultScenario.rawValue, problem: "must be a string")
            }
            guard let scenario = CozeScenario(rawValue: name) else {
                let known = CozeScenario.allCases.map(\.rawValue).joined(separator: ", ")
                throw CozeSettingsError(
                    key: CodingKeys.defaultScenario.rawValue, problem: "unknown scenario \"\(name)\" (known: \(known))")
            }
            settings.defaultScenario = scenario
        }
        self = settings
    }

    /// These settings with the keys present in `patch` (a partial `coze` object, as sent to
    /// `PUT /_emulator/scenario`) replaced.
    public func merged(with patch: JSONValue) throws -> CozeSettings {
        try CozeSettings(json: patch, defaults: self)
    }

    /// The full `coze` object, every key present (for `GET /_emulator/scenario`).
    public var json: JSONValue {
        [
            CodingKeys.startDelayMs.rawValue: JSONValue(startDelayMs),
            CodingKeys.editIntervalMs.rawValue: JSONValue(editIntervalMs),
            CodingKeys.editJitterMs.rawValue: JSONValue(editJitterMs),
            CodingKeys.chunks.rawValue: JSONValue(chunks),
            CodingKeys.ignoreBotAuthors.rawValue: .bool(ignoreBotAuthors),
            CodingKeys.defaultScenario.rawValue: .string(defaultScenario.rawValue),
            CodingKeys.longAnswerMessages.rawValue: JSONValue(longAnswerMessages),
            CodingKeys.slowStartMs.rawValue: JSONValue(slowStartMs),
            CodingKeys.timestampMarkers.rawValue: .bool(timestampMarkers),
        ]
    }
}

/// A `coze` scenario object that could not be read.
public struct CozeSettingsError: Error, CustomStringConvertible, Equatable {
    /// The offending key of the `coze` object; `nil` when the object itself is wrong.
    public var key: String?
    public var problem: String

    public var description: String {
        if let key { return "coze.\(key) \(problem)" }
        return "coze \(problem)"
    }
}
