/// How the simulated Coze bot answers one prompt. Chosen by a `[scenario:NAME]` marker in the prompt,
/// else by `coze.default_scenario`. The behaviour of each case is described in docs/emulator.md.
public enum CozeScenario: String, CaseIterable, Sendable, Codable {
    case plain
    case long
    case imageEmbed = "image-embed"
    case imageAttachment = "image-attachment"
    case imageMarkdown = "image-markdown"
    case noSuggestions = "no-suggestions"
    case rewrite
    case quota
    case slow
    case silent

    /// The scenario named by the first well-formed `[scenario:NAME]` marker in `prompt` whose NAME
    /// is known; `nil` when there is none (unknown names are skipped, so they fall back to the default).
    public static func marked(in prompt: String) -> CozeScenario? {
        for name in CozePromptText.markerNames(in: prompt) {
            if let scenario = CozeScenario(rawValue: name) { return scenario }
        }
        return nil
    }
}

/// Text-level rules shared by scenario selection and the answer generator.
enum CozePromptText {
    private static let markerOpening = Array("[scenario:".utf8)

    /// The NAMEs of every `[scenario:NAME]` marker, NAME being one or more of `a-z`, `0-9`, `-`, `_`.
    static func markerNames(in text: String) -> [String] {
        markerRanges(in: Array(text.utf8)).map(\.name)
    }

    /// `text` without mentions (`<@N>`, `<@!N>`) and scenario markers, whitespace runs collapsed to
    /// one space and trimmed. What the bot "reads" as the question, and what it remembers.
    static func stripped(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var index = 0
        let markers = markerRanges(in: bytes)
        var markerIndex = 0
        while index < bytes.count {
            if markerIndex < markers.count, markers[markerIndex].range.lowerBound == index {
                index = markers[markerIndex].range.upperBound
                markerIndex += 1
                kept.append(0x20)
                continue
            }
            if let end = mentionEnd(in: bytes, at: index) {
                index = end
                kept.append(0x20)
                continue
            }
            kept.append(bytes[index])
            index += 1
        }
        let words = String(decoding: kept, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        return words.joined(separator: " ")
    }

    /// End (exclusive) of a user mention starting at `start`, if there is one.
    private static func mentionEnd(in bytes: [UInt8], at start: Int) -> Int? {
        guard start + 3 < bytes.count, bytes[start] == UInt8(ascii: "<"), bytes[start + 1] == UInt8(ascii: "@") else {
            return nil
        }
        var index = start + 2
        if bytes[index] == UInt8(ascii: "!") { index += 1 }
        let digitsStart = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        guard index > digitsStart, index < bytes.count, bytes[index] == UInt8(ascii: ">") else { return nil }
        return index + 1
    }

    private static func markerRanges(in bytes: [UInt8]) -> [(range: Range<Int>, name: String)] {
        var found: [(range: Range<Int>, name: String)] = []
        var index = 0
        while index + markerOpening.count < bytes.count {
            guard bytes[index..<(index + markerOpening.count)].elementsEqual(markerOpening) else {
                index += 1
                continue
            }
            var end = index + markerOpening.count
            while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
            if end > index + markerOpening.count, end < bytes.count, bytes[end] == UInt8(ascii: "]") {
                let name = String(decoding: bytes[(index + markerOpening.count)..<end], as: UTF8.self)
                found.append((index..<(end + 1), name))
                index = end + 1
            } else {
                index += 1
            }
        }
        return found
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
