import Foundation

/// The vocabulary of a byte-level BPE encoding as a `.tiktoken` file lists it: one token a line,
/// its bytes in base64, a space and its rank (which is also the token's id; a lower rank merges
/// first). cl100k_base has 100,256 of them.
///
/// Lookups of a byte range allocate nothing: every token's bytes sit in one buffer, found through
/// an open-addressing hash table.
package struct BytePairRanks: Sendable {
    /// Why a rank file cannot be used.
    package struct Invalid: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    /// Every token's bytes, one after the other.
    private let storage: [UInt8]
    /// Where entry `i`'s bytes start in `storage`; `offsets[count]` is the end.
    private let offsets: [Int32]
    private let ranks: [Int32]
    /// Entry index + 1 for each slot of the hash table, 0 where the slot is free.
    private let slots: [Int32]
    private let mask: Int

    /// How many tokens there are.
    package var count: Int { ranks.count }

    /// Reads a `.tiktoken` file.
    package init(contentsOf path: String) throws(Invalid) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Invalid(description: "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            try self.init(tiktokenText: Array(data))
        } catch {
            throw Invalid(description: "\(path): \(error.description)")
        }
    }

    /// Parses the text of a `.tiktoken` file.
    package init(tiktokenText text: [UInt8]) throws(Invalid) {
        var storage: [UInt8] = []
        var offsets: [Int32] = [0]
        var ranks: [Int32] = []
        storage.reserveCapacity(text.count / 2)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < text.count {
            lineNumber += 1
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            defer { lineStart = lineEnd + 1 }
            let line = text[lineStart..<lineEnd]
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            guard let space = line.firstIndex(of: UInt8(ascii: " ")),
                Self.appendBase64(line[lineStart..<space], to: &storage),
                let rank = Self.decimal(line[(space + 1)...])
            else {
                throw Invalid(description: "line \(lineNumber) is not `base64 rank`")
            }
            offsets.append(Int32(storage.count))
            ranks.append(rank)
        }
        guard !ranks.isEmpty else { throw Invalid(description: "no tokens") }
        guard storage.count < Int32.max else { throw Invalid(description: "too large") }
        self.storage = storage
        self.offsets = offsets
        self.ranks = ranks
        var capacity = 1
        while capacity < ranks.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [Int32](repeating: 0, count: capacity)
        for entry in ranks.indices {
            let found = storage.withUnsafeBufferPointer { all in
                Self.probe(slots, mask: mask, for: Self.slice(all, offsets, entry), all, offsets)
            }
            guard case .free(let slot) = found else {
                throw Invalid(description: "token \(ranks[entry]) is listed twice")
            }
            slots[slot] = Int32(entry + 1)
        }
        self.slots = slots
        self.mask = mask
    }

    /// The rank of exactly these bytes, or nil when they are no token.
    func rank(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        storage.withUnsafeBufferPointer { all in
            if case .found(let entry) = Self.probe(slots, mask: mask, for: bytes, all, offsets) {
                return Int(ranks[entry])
            }
            return nil
        }
    }

    private enum Probe {
        case found(Int)
        case free(Int)
    }

    /// Linear probing from the bytes' hash: the entry holding them, or the free slot they belong in.
    private static func probe(
        _ slots: [Int32], mask: Int, for bytes: UnsafeBufferPointer<UInt8>, _ all: UnsafeBufferPointer<UInt8>,
        _ offsets: [Int32]
    ) -> Probe {
        var slot = hash(bytes) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { return .free(slot) }
            let candidate = slice(all, offsets, entry)
            if candidate.count == bytes.count, candidate.elementsEqual(bytes) { return .found(entry) }
            slot = (slot + 1) & mask
        }
    }

    private static func slice(_ all: UnsafeBufferPointer<UInt8>, _ offsets: [Int32], _ entry: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: all[Int(offsets[entry])..<Int(offsets[entry + 1])])
    }

    /// FNV-1a.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }

    /// Decodes standard base64 (with `=` padding) onto `output`; false when it is not base64.
    private static func appendBase64(_ text: ArraySlice<UInt8>, to output: inout [UInt8]) -> Bool {
        guard !text.isEmpty, text.count % 4 == 0 else { return false }
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for character in text {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return false
            }
            guard padding == 0 else { return false }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2
    }

    private static func decimal(_ text: ArraySlice<UInt8>) -> Int32? {
        let digits = text.filter { $0 != UInt8(ascii: "\r") }
        guard !digits.isEmpty, digits.count < 10 else { return nil }
        var value: Int32 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int32(digit - UInt8(ascii: "0"))
        }
        return value
    }
}
