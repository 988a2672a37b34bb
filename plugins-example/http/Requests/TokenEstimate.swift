/// An estimate of how many cl100k_base tokens a text has, for `usage` when the plugin has no rank
/// file for ``CL100KTokenizer``: it counts the pieces cl100k_base's pre-tokenizer makes (words with
/// their leading space, digit groups of up to three, punctuation runs, line breaks) and splits long
/// words, which is close for English text but not exact.
package enum TokenEstimate {
    /// The estimated token count of `text`.
    package static func count(_ text: String) -> Int {
        var tokens = 0
        var wordLength = 0
        var digits = 0
        var previous: Kind = .space
        func endWord() {
            if wordLength > 0 { tokens += (wordLength + 5) / 6 }
            wordLength = 0
        }
        for scalar in text.unicodeScalars {
            let kind = Kind(scalar)
            if kind != .letter { endWord() }
            if kind != .digit, digits > 0 {
                tokens += (digits + 2) / 3
                digits = 0
            }
            switch kind {
            case .letter: wordLength += 1
            case .digit: digits += 1
            case .newline: if previous != .newline { tokens += 1 }
            case .space: break
            case .punctuation: if previous != .punctuation { tokens += 1 }
            case .other: tokens += scalar.value > 0x2E80 ? 1 : 2
            }
            previous = kind
        }
        endWord()
        if digits > 0 { tokens += (digits + 2) / 3 }
        return tokens
    }

    private enum Kind {
        case letter, digit, space, newline, punctuation, other

        init(_ scalar: Unicode.Scalar) {
            switch scalar {
            case "\n", "\r": self = .newline
            case " ", "\t": self = .space
            case "0"..."9": self = .digit
            case "a"..."z", "A"..."Z": self = .letter
            default:
                if scalar.isASCII {
                    self = .punctuation
                } else if scalar.properties.isAlphabetic, scalar.value < 0x2E80 {
                    self = .letter
                } else {
                    self = .other
                }
            }
        }
    }
}
