import DiscordWire
import Testing

@Suite struct JSONValueTests {
    @Test func parsesDiscordPayload() throws {
        let text = #"{"op":0,"s":12,"t":"MESSAGE_CREATE","d":{"id":"1300000000000000001","tts":false,"nonce":null,"x":1.5e2,"content":"h\u00e9 \"q\" \ud83d\ude00\n"}}"#
        let value = try JSONValue.parse(text)
        #expect(value["op"]?.intValue == 0)
        #expect(value["s"]?.intValue == 12)
        #expect(value["t"]?.stringValue == "MESSAGE_CREATE")
        #expect(value["d"]?["id"]?.snowflakeValue == Snowflake(1_300_000_000_000_000_001))
        #expect(value["d"]?["tts"]?.boolValue == false)
        #expect(value["d"]?["nonce"]?.isNull == true)
        #expect(value["d"]?["x"] == .double(150))
        #expect(value["d"]?["content"]?.stringValue == "hé \"q\" 😀\n")
    }

    @Test func roundTripsThroughSerialization() throws {
        let value: JSONValue = [
            "a": [1, 2.5, "x\u{01}y", nil, true],
            "b": ["nested": ["deep": -9_223_372_036_854_775_807]],
            "c": "tab\tquote\"backslash\\",
        ]
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"",
        "[1] 2", "\"\u{01}\"", "{1:2}",
    ])
    func refusesMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func refusesHostileNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    /// Overlong, surrogate, truncated and out-of-range sequences, in a value, after an escape
    /// (the parser's slower path) and in a key.
    @Test(arguments: [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x80]] as [[UInt8]])
    func refusesEveryKindOfInvalidUTF8(_ sequence: [UInt8]) {
        let quote = UInt8(ascii: "\""), escape = Array(#"\n"#.utf8)
        for document in [
            [quote] + sequence + [quote],
            [quote] + escape + sequence + [quote],
            Array(#"{""#.utf8) + sequence + Array(#"":1}"#.utf8),
        ] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(document) }
        }
    }

    @Test func keepsValidMultibyteText() throws {
        let text = "答案 ünïcödé 😀"
        let document = Array(#"{"k":""#.utf8) + Array(text.utf8) + Array(#"","\#(text)":true}"#.utf8)
        let value = try JSONValue.parse(document)
        #expect(value["k"]?.stringValue == text)
        #expect(value[text]?.boolValue == true)
    }

    @Test func repeatedKeyKeepsItsLastValue() throws {
        let value = try JSONValue.parse(#"{"a":1,"b":{},"a":2}"#)
        #expect(value["a"]?.intValue == 2)
        #expect(value["b"] == .object([:]))
    }
}
