/// The running digest of a conversation's completed turns: digest(n) covers exchanges 1…n, so
/// "whose history starts with these n exchanges" becomes one indexed equality lookup instead of
/// comparing texts turn by turn.
///
/// digest(0) is 32 zero bytes; digest(n) = SHA-256(digest(n-1) ‖ frame(prompt) ‖ frame(answer)),
/// where frame(s) is the UTF-8 byte count of s as 8 little-endian bytes followed by the bytes, so
/// no two different histories share an input. SHA-256 because clients choose these texts: a
/// collision would route one client into another's conversation, so the hash has to resist
/// deliberate collisions, not just chance ones.
enum TurnHistoryDigest {
    static let empty = [UInt8](repeating: 0, count: 32)

    static func appending(_ exchange: TurnExchange, to previous: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(previous)
        frame(exchange.prompt, into: &hasher)
        frame(exchange.answer, into: &hasher)
        return hasher.finalize()
    }

    static func digest(of exchanges: some Sequence<TurnExchange>) -> [UInt8] {
        exchanges.reduce(empty) { appending($1, to: $0) }
    }

    private static func frame(_ text: String, into hasher: inout SHA256) {
        let bytes = Array(text.utf8)
        var length = UInt64(bytes.count).littleEndian
        withUnsafeBytes(of: &length) { hasher.update(Array($0)) }
        hasher.update(bytes)
    }
}

/// SHA-256 (FIPS 180-4), here because the core has no crypto dependency and only needs digests
/// of short texts.
struct SHA256 {
    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    private var pending: [UInt8] = []
    private var totalByteCount: UInt64 = 0

    mutating func update(_ bytes: [UInt8]) {
        totalByteCount &+= UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        var start = 0
        while pending.count - start >= 64 {
            compress(pending[start..<start + 64])
            start += 64
        }
        pending.removeFirst(start)
    }

    consuming func finalize() -> [UInt8] {
        let bitCount = totalByteCount &* 8
        var padding: [UInt8] = [0x80]
        let afterMarker = (pending.count + 1) % 64
        padding.append(contentsOf: repeatElement(0, count: afterMarker <= 56 ? 56 - afterMarker : 120 - afterMarker))
        for shift in stride(from: 56, through: 0, by: -8) {
            padding.append(UInt8(truncatingIfNeeded: bitCount >> UInt64(shift)))
        }
        // Padding must not count towards the message length already captured above.
        let lengthBeforePadding = totalByteCount
        update(padding)
        totalByteCount = lengthBeforePadding
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in state {
            digest.append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> UInt32($0)) })
        }
        return digest
    }

    private mutating func compress(_ block: ArraySlice<UInt8>) {
        var schedule = [UInt32](repeating: 0, count: 64)
        let base = block.startIndex
        for index in 0..<16 {
            let offset = base + index * 4
            schedule[index] = UInt32(block[offset]) << 24 | UInt32(block[offset + 1]) << 16
                | UInt32(block[offset + 2]) << 8 | UInt32(block[offset + 3])
        }
        for index in 16..<64 {
            let s0 = schedule[index - 15].rotatedRight(7) ^ schedule[index - 15].rotatedRight(18) ^ (schedule[index - 15] >> 3)
            let s1 = schedule[index - 2].rotatedRight(17) ^ schedule[index - 2].rotatedRight(19) ^ (schedule[index - 2] >> 10)
            schedule[index] = schedule[index - 16] &+ s0 &+ schedule[index - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
        for index in 0..<64 {
            let sum1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
            let choice = (e & f) ^ (~e & g)
            let temporary1 = h &+ sum1 &+ choice &+ Self.roundConstants[index] &+ schedule[index]
            let sum0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            let temporary2 = sum0 &+ majority
            (h, g, f, e, d, c, b, a) = (g, f, e, d &+ temporary1, c, b, a, temporary1 &+ temporary2)
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
        state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
    }
}

extension UInt32 {
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 {
        (self >> count) | (self << (32 - count))
    }
}
