import Foundation
import DiscordWire
import Yams

/// Reads typed values out of one YAML mapping while remembering where each came from.
///
/// Works on Yams' `Node` tree rather than `Codable` because decoding forgets positions, and every
/// complaint must name its line. Keys that are read are marked, so whatever is left afterwards is
/// unknown and can be reported as a warning.
final class YAMLMappingReader {
    let keyPath: String
    let source: String
    let location: ConfigurationLocation
    private let entries: [(key: String, keyNode: Node, value: Node)]
    private var consulted = Set<String>()

    init(_ node: Node, keyPath: String, source: String) throws(ConfigurationError) {
        self.keyPath = keyPath
        self.source = source
        self.location = YAMLMappingReader.location(of: node, keyPath: keyPath, source: source)
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                .wrongType(expected: "a mapping of keys", found: YAMLMappingReader.describe(node)),
                at: location)
        }
        entries = YAMLMappingReader.flattenMerges(mapping)
    }

    // MARK: Presence and positions

    func has(_ key: String) -> Bool {
        entries.contains { $0.key == key }
    }

    /// The value node of `key`, marking the key as known.
    func node(_ key: String) -> Node? {
        consulted.insert(key)
        return entries.first { $0.key == key }?.value
    }

    /// Marks `key` as known without reading it.
    func acknowledge(_ key: String) { consulted.insert(key) }

    func path(_ key: String) -> String {
        keyPath.isEmpty ? key : "\(keyPath).\(key)"
    }

    /// Where the value of `key` is, or where the mapping starts if the key is absent.
    func location(of key: String) -> ConfigurationLocation {
        guard let entry = entries.first(where: { $0.key == key }) else { return location }
        return Self.location(of: entry.value, keyPath: path(key), source: source)
    }

    /// Where the key itself is written (used for warnings about the key, not its value).
    func keyLocation(of key: String) -> ConfigurationLocation {
        guard let entry = entries.first(where: { $0.key == key }) else { return location }
        return Self.location(of: entry.keyNode, keyPath: path(key), source: source)
    }

    /// Keys never consulted, as warnings. A consulted key that differs only in case is suggested,
    /// because YAML keys are case-sensitive and `apiport` would otherwise be silently ignored.
    func unknownKeyWarnings() -> [ConfigurationWarning] {
        entries.filter { !consulted.contains($0.key) }.map { entry in
            let suggestion = consulted.first { $0.lowercased() == entry.key.lowercased() }
            return ConfigurationWarning(
                .unknownKey(entry.key, suggestion: suggestion),
                at: Self.location(of: entry.keyNode, keyPath: path(entry.key), source: source))
        }
    }

    // MARK: Typed values

    /// Scalar text of `key`: numbers and booleans are kept as written, since the seed's string
    /// fields accepted them as text. `nil` when absent or null.
    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = node(key), !Self.isNull(node) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw ConfigurationError(.wrongType(expected: "a text value", found: Self.describe(node)), at: location(of: key))
        }
        return scalar.string
    }

    /// Text with surrounding whitespace removed; `nil` when absent, null or blank.
    func nonBlankString(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = node(key), !Self.isNull(node) else { return nil }
        if case .scalar(let scalar) = node {
            // YAML 1.1 spellings, which both the seed's parser and Yams accept for booleans.
            switch scalar.string.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        throw ConfigurationError(.wrongType(expected: "true or false", found: Self.describe(node)), at: location(of: key))
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let node = node(key), !Self.isNull(node) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw ConfigurationError(.wrongType(expected: "a whole number", found: Self.describe(node)), at: location(of: key))
        }
        let text = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Int(text) else {
            if Self.isDecimalInteger(text) {
                throw ConfigurationError(
                    .outOfRange(value: text, allowed: "\(range.lowerBound)…\(range.upperBound)"), at: location(of: key))
            }
            throw ConfigurationError(.wrongType(expected: "a whole number", found: Self.describe(node)), at: location(of: key))
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                .outOfRange(value: text, allowed: "\(range.lowerBound)…\(range.upperBound)"), at: location(of: key))
        }
        return value
    }

    /// A Discord ID written either as a YAML integer or a string. The scalar's text is parsed
    /// directly: a 19-digit snowflake does not survive a trip through `Double`. `nil` when absent,
    /// null or blank (the seed's way of saying "none").
    func snowflake(_ key: String) throws(ConfigurationError) -> Snowflake? {
        guard let text = try string(key)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        if let value = Snowflake(text), text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return value
        }
        let looksRounded = Double(text) != nil
        throw ConfigurationError(
            .wrongType(
                expected: "a Discord ID (plain digits, e.g. 1180123456789012345)",
                found: "\"\(text)\"" + (looksRounded ? ", a rounded number: copy the ID from Discord again" : "")),
            at: location(of: key))
    }

    /// A list of scalars; a single scalar counts as a one-item list. Each item keeps its location.
    func stringList(_ key: String) throws(ConfigurationError) -> [(text: String, location: ConfigurationLocation)]? {
        guard let node = node(key), !Self.isNull(node) else { return nil }
        switch node {
        case .scalar(let scalar):
            return [(scalar.string, location(of: key))]
        case .sequence(let sequence):
            var items: [(String, ConfigurationLocation)] = []
            for (index, item) in sequence.enumerated() {
                let itemLocation = Self.location(of: item, keyPath: "\(path(key))[\(index)]", source: source)
                if Self.isNull(item) { continue }
                guard case .scalar(let scalar) = item else {
                    throw ConfigurationError(.wrongType(expected: "a text value", found: Self.describe(item)), at: itemLocation)
                }
                items.append((scalar.string, itemLocation))
            }
            return items
        default:
            throw ConfigurationError(.wrongType(expected: "a list", found: Self.describe(node)), at: location(of: key))
        }
    }

    // MARK: Helpers shared with the loader

    static func location(of node: Node, keyPath: String, source: String) -> ConfigurationLocation {
        ConfigurationLocation(source: source, keyPath: keyPath, line: node.mark?.line, column: node.mark?.column)
    }

    /// A plain (unquoted) empty, `~` or `null` scalar. Quoted `""` is an empty string, not null.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            return isNull(node) ? "nothing (null)" : "\"\(scalar.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func isDecimalInteger(_ text: String) -> Bool {
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Applies YAML merge keys (`<<: *anchor`), which Yams leaves in the node tree. Keys written
    /// in the mapping itself win over merged ones, as the YAML merge spec says.
    private static func flattenMerges(_ mapping: Node.Mapping) -> [(key: String, keyNode: Node, value: Node)] {
        var explicit: [(key: String, keyNode: Node, value: Node)] = []
        var merged: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? describe(keyNode)
            if key == "<<", keyNode.scalar?.style == .plain {
                let sources: [Node] = value.sequence.map(Array.init) ?? [value]
                for case .mapping(let source) in sources {
                    merged += flattenMerges(source)
                }
            } else {
                explicit.append((key, keyNode, value))
            }
        }
        for entry in merged where !explicit.contains(where: { $0.key == entry.key }) {
            explicit.append(entry)
        }
        return explicit
    }
}
