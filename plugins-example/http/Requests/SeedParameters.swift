import DiscordWire
import Foundation

/// The parameters of a seed API request. As in the seed, they come from the query string, or from
/// the body as a JSON object or as `a=b&c=d` form data; the forms are interchangeable. Reading
/// them is kept apart from the HTTP layer so that the fuzz target `fuzz-http` runs it.
package struct SeedParameters: Sendable {
    package var values: [String: String]

    /// The parameters whose values reach the core (names, prompts, images, keys).
    package static let forCore = ["name", "new_name", "prompt", "image", "key"]

    /// A parameter's value; an empty one counts as absent.
    package subscript(name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The parameters of `query`, overridden by those of `body` (nil for a GET): a body starting
    /// with `{` must be a JSON object (numbers and booleans count as their text; null, arrays and
    /// objects as absent), any other is form data, whatever its Content-Type.
    package init(query: [(name: String, value: String)], body: [UInt8]?) throws(RequestBodyError) {
        var values: [String: String] = [:]
        for (name, value) in query {
            values[name] = value
        }
        self.values = values
        guard let body else { return }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return }
        if text.hasPrefix("{") {
            guard case .object(let members) = try? JSONValue.parse(body) else {
                throw RequestBodyError("The body is not valid JSON.", code: "invalid_json")
            }
            for (name, value) in members {
                if let text = value.lenientString { self.values[name] = text }
            }
        } else {
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard let name = parts.first?.removingPercentEncoding else { continue }
                let value = parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: " ") : ""
                self.values[name] = value.removingPercentEncoding ?? value
            }
        }
    }

    /// Whether every parameter that reaches the core can be handed to it (no NUL character).
    package func checkForCore() throws(RequestBodyError) {
        for name in Self.forCore {
            guard let value = self[name] else { continue }
            try CoreText.check(value, param: "The parameter `\(name)`")
        }
    }
}
