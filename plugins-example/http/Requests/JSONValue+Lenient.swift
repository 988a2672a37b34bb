import DiscordWire
import Foundation

/// Lenient readings of settings and of the seed API's parameters, where YAML and form data blur
/// the types: `"8092"` is a port as much as `8092`, `"yes"` is true.
extension JSONValue {
    /// A string, or a number or boolean written as one.
    package var lenientString: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .bool(let value): value ? "true" : "false"
        default: nil
        }
    }

    /// A whole number, also from a numeric string.
    package var lenientInt: Int? {
        if case .string(let value) = self { return Int(value.trimmingCharacters(in: .whitespaces)) }
        return intValue
    }

    /// A boolean, also from a number or from "true"/"false", "yes"/"no", "on"/"off", "1"/"0".
    package var lenientBool: Bool? {
        switch self {
        case .bool(let value): value
        case .int(let value): value != 0
        case .double(let value): value != 0
        case .string(let value):
            switch value.lowercased() {
            case "true", "yes", "on", "1": true
            case "false", "no", "off", "0": false
            default: nil
            }
        default: nil
        }
    }
}
