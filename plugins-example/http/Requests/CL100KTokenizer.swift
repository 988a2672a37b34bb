/// OpenAI's cl100k_base encoding (gpt-3.5-turbo, gpt-4): the text is split into pieces by
/// cl100k's pre-tokenization pattern, then each piece's UTF-8 bytes are merged by rank (byte-level
/// BPE) into tokens. Gives the token ids `tiktoken` gives (`encode_ordinary`: special-token text
/// such as `<|endoftext|>` is ordinary text).
///
/// The pattern is
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
/// implemented by ``pieceEnd(_:from:)`` as a scanner over Unicode scalars: `\p{L}` and `\p{N}` are
/// the general categories L and N, `\s` is the White_Space property (what tiktoken's regex engine
/// uses). tiktoken's current spelling of the pattern (possessive quantifiers, `\s++$`) cuts
/// trailing whitespace differently but gives the same tokens: no cl100k token spans a line break
/// followed by other whitespace.
package struct CL100KTokenizer: Sendable {
    package let ranks: BytePairRanks

    package init(ranks: BytePairRanks) {
        self.ranks = ranks
    }

    /// The token ids of `text`.
    package func encode(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { utf8 in
            var tokens: [Int] = []
            tokens.reserveCapacity(utf8.count / 3)
            var start = 0
            while start < utf8.count {
                let end = Self.pieceEnd(utf8, from: start)
                bytePairEncode(UnsafeBufferPointer(rebasing: utf8[start..<end]), into: &tokens)
                start = end
            }
            return tokens
        }
    }

    /// How many tokens `text` has.
    package func count(_ text: String) -> Int {
        encode(text).count
    }

    // MARK: - Pre-tokenization

    /// What the pattern tells apart about a scalar.
    enum Kind {
        /// `\p{L}`.
        case letter
        /// `\p{N}`.
        case number
        /// `\r` or `\n`.
        case lineBreak
        /// Any other `\s`.
        case space
        /// Everything else: punctuation, symbols, marks, emoji, controls.
        case other

        init(_ scalar: Unicode.Scalar) {
            if scalar.isASCII {
                switch scalar.value {
                case 0x0A, 0x0D: self = .lineBreak
                case 0x09, 0x0B, 0x0C, 0x20: self = .space
                case 0x30...0x39: self = .number
                case 0x41...0x5A, 0x61...0x7A: self = .letter
                default: self = .other
                }
                return
            }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                self = .letter
            case .decimalNumber, .letterNumber, .otherNumber:
                self = .number
            default:
                self = scalar.properties.isWhitespace ? .space : .other
            }
        }

        var isSpace: Bool { self == .space || self == .lineBreak }
    }

    /// The scalar that starts at byte `index` of valid UTF-8, and its length in bytes.
    static func scalar(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
        let lead = UInt32(utf8[index])
        let value: UInt32
        let length: Int
        switch lead {
        case ..<0x80: return (Unicode.Scalar(UInt8(lead)), 1)
        case ..<0xE0:
            length = 2
            value = (lead & 0x1F) << 6 | UInt32(utf8[index + 1] & 0x3F)
        case ..<0xF0:
            length = 3
            value = (lead & 0x0F) << 12 | UInt32(utf8[index + 1] & 0x3F) << 6 | UInt32(utf8[index + 2] & 0x3F)
        default:
            length = 4
            value =
                (lead & 0x07) << 18 | UInt32(utf8[index + 1] & 0x3F) << 12 | UInt32(utf8[index + 2] & 0x3F) << 6
                | UInt32(utf8[index + 3] & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// The end (a byte offset) of the piece that starts at byte `start`: the first alternative of
    /// the pattern that matches there, as a backtracking regex engine picks it.
    static func pieceEnd(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let count = utf8.count
        func kind(at index: Int) -> Kind? {
            index < count ? Kind(scalar(utf8, at: index).scalar) : nil
        }
        func end(of run: Kind, from index: Int, atMost limit: Int = .max) -> Int {
            var index = index
            var taken = 0
            while index < count, taken < limit {
                let (scalar, length) = scalar(utf8, at: index)
                guard Kind(scalar) == run else { break }
                index += length
                taken += 1
            }
            return index
        }
        let (first, firstLength) = scalar(utf8, at: start)
        let firstKind = Kind(first)
        let second = start + firstLength

        // (?i:'s|'t|'re|'ve|'m|'ll|'d): case-insensitively, so ſ (U+017F) counts as s.
        if first == "'", second < count {
            let (letter, letterLength) = scalar(utf8, at: second)
            switch letter {
            case "s", "S", "t", "T", "m", "M", "d", "D", "\u{17F}": return second + letterLength
            case "r", "R", "v", "V", "l", "L":
                let third = second + letterLength
                let follower = third < count ? utf8[third] | 0x20 : 0  // ASCII lowercase
                let expected = letter == "l" || letter == "L" ? UInt8(ascii: "l") : UInt8(ascii: "e")
                if follower == expected { return third + 1 }
            default: break
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if firstKind == .letter { return end(of: .letter, from: second) }
        if firstKind != .lineBreak, firstKind != .number, kind(at: second) == .letter {
            return end(of: .letter, from: second)
        }
        // \p{N}{1,3}
        if firstKind == .number { return end(of: .number, from: second, atMost: 2) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let punctuation: Int? =
            firstKind == .other ? start : (first == " " && kind(at: second) == .other ? second : nil)
        if let punctuation {
            let afterRun = end(of: .other, from: punctuation)
            return end(of: .lineBreak, from: afterRun)
        }
        // The first scalar is whitespace. \s*[\r\n]+ takes the run up to its last line break;
        // else \s+(?!\S) takes the whole run at the end of the text or all but its last scalar
        // before other text; else \s+ takes the one scalar.
        var index = start
        var lastStart = start
        var lastLineBreakEnd: Int?
        var scalars = 0
        while index < count {
            let (scalar, length) = scalar(utf8, at: index)
            let kind = Kind(scalar)
            guard kind.isSpace else { break }
            if kind == .lineBreak { lastLineBreakEnd = index + length }
            lastStart = index
            index += length
            scalars += 1
        }
        if let lastLineBreakEnd { return lastLineBreakEnd }
        if index == count || scalars == 1 { return index }
        return lastStart
    }

    // MARK: - Byte pair merges

    /// Appends the tokens of one piece: the piece itself when it is a token, else its bytes merged
    /// pair by pair, always the adjacent pair of lowest rank first (the leftmost on a tie), until
    /// no adjacent pair is a token. A heap keeps this O(n log n) for long pieces.
    private func bytePairEncode(_ piece: UnsafeBufferPointer<UInt8>, into tokens: inout [Int]) {
        if let whole = ranks.rank(piece) {
            tokens.append(whole)
            return
        }
        let count = piece.count
        // The parts, as a linked list over their first byte: part i is bytes i..<next[i].
        var next = Array(1...count)
        var previous = Array(-1..<(count - 1))
        var alive = [Bool](repeating: true, count: count)
        var candidates = MergeHeap()
        func rank(_ start: Int, _ end: Int) -> Int? {
            ranks.rank(UnsafeBufferPointer(rebasing: piece[start..<end]))
        }
        func consider(_ part: Int) {
            guard part >= 0, next[part] < count else { return }
            let end = next[next[part]]
            if let rank = rank(part, end) { candidates.push(.init(rank: rank, start: part, end: end)) }
        }
        for part in 0..<(count - 1) { consider(part) }
        while let merge = candidates.pop() {
            // Stale when either part has merged since: the pair no longer spans these bytes.
            guard alive[merge.start], next[merge.start] < count, next[next[merge.start]] == merge.end else { continue }
            alive[next[merge.start]] = false
            next[merge.start] = merge.end
            if merge.end < count { previous[merge.end] = merge.start }
            consider(merge.start)
            consider(previous[merge.start])
        }
        var part = 0
        while part < count {
            // Every single byte is a token of a byte-level vocabulary; -1 marks a file that lacks one.
            tokens.append(rank(part, next[part]) ?? -1)
            part = next[part]
        }
    }

    /// A binary min-heap of candidate merges, by rank and then position.
    private struct MergeHeap {
        struct Merge {
            var rank: Int
            var start: Int
            var end: Int

            func precedes(_ other: Merge) -> Bool {
                rank != other.rank ? rank < other.rank : start < other.start
            }
        }

        private var items: [Merge] = []

        mutating func push(_ merge: Merge) {
            items.append(merge)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].precedes(items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Merge? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    let right = left + 1
                    var smallest = parent
                    if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
                    if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
                    if smallest == parent { break }
                    items.swapAt(parent, smallest)
                    parent = smallest
                }
            }
            return top
        }
    }
}
