import DiscordEmulator
import DiscordWire
import Testing

@testable import CozeCore

/// Hand-built gateway payloads shaped like the emulator's (discord-wire.md §7.4 and
/// `EmulatorWorld.messageJSONLocked`), shared by the turn tests, plus a check of that shape.
enum TurnPayloads {
    static let guild = Snowflake(1_000)
    static let channel = Snowflake(2_000)
    static let otherChannel = Snowflake(2_001)
    static let bridge = Snowflake(3_000)
    static let coze = Snowflake(4_000)
    static let stranger = Snowflake(4_001)
    static let prompt = Snowflake(10_000)
    static let baseURL = "http://127.0.0.1:4242"
    static let t0 = ContinuousClock.now

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    static func user(_ id: Snowflake, bot: Bool = true) -> JSONValue {
        [
            "id": JSONValue(id), "username": .string(id == coze ? "coze" : "user\(id)"), "discriminator": "0", "avatar": nil,
            "global_name": nil, "bot": .bool(bot), "public_flags": 0,
        ]
    }

    static let member: JSONValue = [
        "roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0,
    ]

    /// The prompt as Coze's reply quotes it in `referenced_message`.
    static func promptMessage(id: Snowflake = prompt) -> JSONValue {
        [
            "id": JSONValue(id), "channel_id": JSONValue(channel), "guild_id": JSONValue(guild), "type": 0,
            "content": .string("<@\(coze)> hello"), "tts": false, "timestamp": "2026-01-01T00:00:00.000000+00:00",
            "edited_timestamp": nil, "flags": 0, "pinned": false, "mention_everyone": false,
            "mentions": [user(coze)], "mention_roles": [], "attachments": [], "embeds": [], "components": [],
            "author": user(bridge),
        ]
    }

    /// A message dispatch `d` (MESSAGE_CREATE or MESSAGE_UPDATE): a full message object with the
    /// gateway extras. `replyTo` makes it a type-19 reply with `message_reference` and
    /// `referenced_message`, as the Coze bot's answer.
    static func message(
        id: Snowflake, content: String, replyTo: Snowflake? = nil, author: Snowflake = coze,
        channel: Snowflake = channel, edited: Bool = false, embeds: [JSONValue] = [], attachments: [JSONValue] = [],
        components: [JSONValue] = []
    ) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": JSONValue(id), "channel_id": JSONValue(channel), "guild_id": JSONValue(guild),
            "type": replyTo == nil ? 0 : 19, "content": .string(content), "tts": false,
            "timestamp": "2026-01-01T00:00:01.000000+00:00",
            "edited_timestamp": edited ? "2026-01-01T00:00:02.000000+00:00" : nil, "flags": 0, "pinned": false,
            "mention_everyone": false, "mentions": replyTo == nil ? [] : [user(bridge)], "mention_roles": [],
            "attachments": .array(attachments), "embeds": .array(embeds), "components": .array(components),
            "author": user(author), "member": member, "channel_type": 0,
        ]
        if let replyTo {
            object["message_reference"] = [
                "type": 0, "message_id": JSONValue(replyTo), "channel_id": JSONValue(channel),
                "guild_id": JSONValue(guild), "fail_if_not_exists": false,
            ]
            object["referenced_message"] = promptMessage(id: replyTo)
        }
        return .object(object)
    }

    /// The final edit's action row of suggestion buttons, as the emulator builds it.
    static func buttons(_ labels: [String]) -> [JSONValue] {
        let buttons: [JSONValue] = labels.enumerated().map { index, label in
            [
                "type": 2, "id": JSONValue(index + 2), "style": 2, "label": .string(label),
                "custom_id": .string("sugg_\(index + 1)"),
            ]
        }
        return [["type": 1, "id": 1, "components": .array(buttons)]]
    }

    static func imageEmbed(_ url: String) -> JSONValue {
        [
            "type": "image", "url": .string(url),
            "image": ["url": .string(url), "proxy_url": .string(url), "width": 8, "height": 8],
        ]
    }

    static func imageAttachment(id: Snowflake, filename: String, contentType: String? = "image/png") -> JSONValue {
        let url = "\(baseURL)/attachments/\(channel)/\(id)/\(filename)"
        var object: [String: JSONValue] = [
            "id": JSONValue(id), "filename": .string(filename), "size": 67, "url": .string(url),
            "proxy_url": .string(url), "ephemeral": false, "flags": 0, "width": 8, "height": 8,
        ]
        if let contentType { object["content_type"] = .string(contentType) }
        return .object(object)
    }

    /// Applies the consumer contract of `TurnEvent` to `events`: deltas append, corrections replace.
    static func fold(_ events: [TurnEvent], into text: String = "") -> String {
        var text = text
        for event in events {
            switch event {
            case .delta(let delta): text += delta
            case .correction(let full): text = full
            default: break
            }
        }
        return text
    }

    /// Scalar-exact equality (String `==` would accept canonically equivalent text).
    static func same(_ a: String, _ b: String) -> Bool { a.unicodeScalars.elementsEqual(b.unicodeScalars) }

    /// The emulator's `rewrite` renderings (docs/emulator.md): D(c₀)…D(cₖ), cₖ, …, cₙ₋₁.
    static func rewriteRenderings(of text: String, chunks count: Int) -> [String] {
        let chunks = CozeAnswerGenerator.chunks(of: text, count: count)
        let drafts = chunks.map(CozeAnswerGenerator.draftRendering(of:))
        let earliest = max(0, chunks.count / 2 - 1)
        guard let k = (earliest..<chunks.count).first(where: { drafts[$0] != chunks[$0] }) else { return chunks }
        var renderings = Array(drafts[...k]) + Array(chunks[k...])
        if k == chunks.count - 1 { renderings.append(text) }
        return renderings
    }
}

@Suite struct TurnPayloadTests {
    @Test func replyPayloadHasTheShapeOfTheEmulatorsMessages() {
        let reply = TurnPayloads.message(id: Snowflake(10_001), content: "Hi", replyTo: TurnPayloads.prompt)
        #expect(reply["type"] == 19)
        #expect(reply["message_reference"]?["message_id"]?.snowflakeValue == TurnPayloads.prompt)
        #expect(reply["referenced_message"]?["id"]?.snowflakeValue == TurnPayloads.prompt)
        #expect(reply["author"]?["id"]?.snowflakeValue == TurnPayloads.coze)
        #expect(reply["components"] == [])
        let row = TurnPayloads.buttons(["A"])[0]
        #expect(row["components"]?[0]?["custom_id"] == "sugg_1")
    }

    @Test func foldAppliesDeltasAndCorrections() {
        #expect(TurnPayloads.fold([.delta("a"), .delta("b"), .correction(fullText: "x"), .delta("y")]) == "xy")
    }
}
