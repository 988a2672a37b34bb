#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds markdown image links, `![alt](url)`, in message text.
///
/// Only complete links count: while Coze streams, a link cut off before its closing parenthesis
/// is not reported (the next edit completes it). Only `http`/`https` URLs are images a consumer
/// can fetch; anything else (relative paths, `attachment://`) is skipped.
enum MarkdownImages {
    /// The images in `text`, in order, each URL once.
    static func find(in text: String) -> [TurnImage] {
        // Runs on every edit of every answer, and almost none holds an image.
        guard mayHoldLink(text) else { return [] }
        var result: [TurnImage] = []
        var seen: Set<String> = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index + 1 < scalars.count {
            guard scalars[index] == "!", scalars[index + 1] == "[" else {
                index += 1
                continue
            }
            if let (image, end) = link(in: scalars, at: index + 2) {
                if seen.insert(image.url).inserted { result.append(image) }
                index = end
            } else {
                index += 2
            }
        }
        return result
    }

    /// Whether `text` has a `![` anywhere: `memchr` over its bytes, before any scalar is decoded.
    private static func mayHoldLink(_ text: String) -> Bool {
        let found = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard var cursor = bytes.baseAddress else { return false }
            let end = cursor + bytes.count
            while cursor < end, let bang = memchr(cursor, Int32(UInt8(ascii: "!")), end - cursor) {
                let next = UnsafePointer(bang.assumingMemoryBound(to: UInt8.self)) + 1
                if next < end, next.pointee == UInt8(ascii: "[") { return true }
                cursor = next
            }
            return false
        }
        return found ?? text.contains("![")
    }

    /// Parses `alt](url "title")` starting after `![`; the image and the index after `)`.
    private static func link(in scalars: [Unicode.Scalar], at start: Int) -> (TurnImage, Int)? {
        // Alt text: up to the matching `]` (balanced brackets), on one paragraph.
        var index = start
        var depth = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\" {
                index += 2
                continue
            }
            if scalar == "[" { depth += 1 }
            if scalar == "]" {
                if depth == 0 { break }
                depth -= 1
            }
            index += 1
        }
        guard index + 1 < scalars.count, scalars[index] == "]", scalars[index + 1] == "(" else { return nil }
        let alt = String(String.UnicodeScalarView(scalars[start..<index]))
        index += 2
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }

        let url: String
        if index < scalars.count, scalars[index] == "<" {
            // `<url>` form: anything but `>` and line breaks.
            let urlStart = index + 1
            index = urlStart
            while index < scalars.count, scalars[index] != ">", scalars[index] != "\n" { index += 1 }
            guard index < scalars.count, scalars[index] == ">" else { return nil }
            url = String(String.UnicodeScalarView(scalars[urlStart..<index]))
            index += 1
        } else {
            // Bare form: up to whitespace or the `)` that balances the link's `(`, so URLs such as
            // `…/Image_(1).png` survive.
            let urlStart = index
            var parentheses = 0
            while index < scalars.count {
                let scalar = scalars[index]
                if scalar.properties.isWhitespace { break }
                if scalar == "(" { parentheses += 1 }
                if scalar == ")" {
                    if parentheses == 0 { break }
                    parentheses -= 1
                }
                index += 1
            }
            url = String(String.UnicodeScalarView(scalars[urlStart..<index]))
        }
        // Optional title: `"…"`, `'…'` or `(…)`, then the closing parenthesis.
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        if index < scalars.count, let close = titleCloser(scalars[index]) {
            index += 1
            while index < scalars.count, scalars[index] != close { index += 1 }
            guard index < scalars.count else { return nil }
            index += 1
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        }
        guard index < scalars.count, scalars[index] == ")" else { return nil }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8 else { return nil }
        let name = ReplyTracker.lastPathComponent(url)
        let image = TurnImage(
            url: url, source: .markdown,
            filename: ReplyTracker.imageExtensions.contains(ReplyTracker.fileExtension(name)) ? name : nil,
            altText: alt.isEmpty ? nil : alt)
        return (image, index + 1)
    }

    private static func titleCloser(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        switch scalar {
        case "\"": return "\""
        case "'": return "'"
        case "(": return ")"
        default: return nil
        }
    }
}
