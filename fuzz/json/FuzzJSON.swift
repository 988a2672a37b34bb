// libFuzzer target: DiscordWire's JSON parser (every gateway payload and REST body goes through it).
//
// Properties checked beyond "does not crash": a parsed document serializes to bytes that parse back
// to an equal value (non-finite numbers becoming null), and the String entry point agrees with the
// bytes entry point on valid UTF-8.
//
// Built with `-DFUZZING -sanitize=fuzzer,address` by fuzz/run, it runs libFuzzer's driver. Without
// FUZZING (a plain `swift build`) it is a replay tool: `fuzz-json FILE...` runs each file through the
// same checks.
import DiscordWire
import Foundation
import FuzzDriver

@main struct FuzzJSONMain {
    static func main() throws { try FuzzDriver.run(checkJSON) }
}

func checkJSON(_ bytes: [UInt8]) {
    let parsed: JSONValue
    do {
        parsed = try JSONValue.parse(bytes)
    } catch {
        _ = error.description
        return
    }
    let serialized = parsed.serializedBytes()
    let reparsed: JSONValue
    do {
        reparsed = try JSONValue.parse(serialized)
    } catch {
        fatalError("serialized output does not parse: \(error) in \(String(decoding: serialized, as: UTF8.self))")
    }
    // Out-of-range numbers (1e400) parse as ±infinity, which serializes as null by design.
    guard reparsed == finite(parsed) else {
        fatalError("round trip changed the value: \(parsed) became \(reparsed)")
    }
    if let text = String(validating: bytes, as: UTF8.self) {
        guard let again = try? JSONValue.parse(text), again == parsed else {
            fatalError("parse(String) disagrees with parse(bytes)")
        }
    }
    // Accessors the gateway client and the engine use on untrusted payloads.
    _ = parsed["op"]?.intValue
    _ = parsed["d"]?["id"]?.snowflakeValue
    _ = parsed[0]?.doubleValue
    _ = parsed.description
}

/// `value` with every non-finite double replaced by null, as serialization writes it.
func finite(_ value: JSONValue) -> JSONValue {
    switch value {
    case .double(let number) where !number.isFinite: return .null
    case .array(let elements): return .array(elements.map(finite))
    case .object(let members): return .object(members.mapValues(finite))
    default: return value
    }
}
