import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The addresses allowed to call the API: single addresses and CIDR blocks, IPv4 and IPv6.
///
/// Addresses are compared as numbers, not text: `::1` and `0:0:0:0:0:0:0:1` are the same, and an
/// IPv4 caller seen on a dual-stack socket as `::ffff:a.b.c.d` matches its IPv4 entry.
struct IPAllowList: Sendable, CustomStringConvertible {
    /// One entry: the network's bytes (4 or 16) and its prefix length in bits.
    struct Block: Hashable, Sendable, CustomStringConvertible {
        var bytes: [UInt8]
        var prefixLength: Int
        var description: String

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var bits = prefixLength
            for index in bytes.indices where bits > 0 {
                let take = min(8, bits)
                let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
                if address[index] & mask != bytes[index] & mask { return false }
                bits -= take
            }
            return true
        }
    }

    var blocks: [Block]
    /// Entries that are not addresses (host names, typos): skipped, reported in the log.
    var ignored: [String]

    /// Parses entries such as `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    init(parsing entries: [String]) throws(HTTPPluginSettings.Invalid) {
        blocks = []
        ignored = []
        for entry in entries {
            let text = entry.trimmingCharacters(in: .whitespaces)
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let first = parts.first, let bytes = Self.parse(first) else {
                ignored.append(entry)
                continue
            }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...bytes.count * 8).contains(bits) else {
                    throw HTTPPluginSettings.Invalid(
                        description: "IP white list entry \"\(entry)\": the prefix length must be 0-\(bytes.count * 8).")
                }
                prefix = bits
            }
            // `::ffff:10.0.0.0/104` is the IPv4 block 10.0.0.0/8.
            let mapped = Self.isMapped(bytes)
            blocks.append(
                Block(bytes: Self.unmapped(bytes), prefixLength: mapped ? max(0, prefix - 96) : prefix, description: text))
        }
    }

    /// Whether `address` (text, as NIO gives it) is allowed.
    func allows(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        let plain = Self.unmapped(bytes)
        return blocks.contains { $0.contains(plain) }
    }

    var description: String { blocks.map(\.description).joined(separator: ", ") }

    /// The bytes of an IPv4 or IPv6 address in text form (a `%zone` suffix is dropped).
    static func parse(_ text: String) -> [UInt8]? {
        let address = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Whether 16 bytes are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
    static func isMapped(_ bytes: [UInt8]) -> Bool {
        bytes.count == 16 && bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address; others unchanged.
    static func unmapped(_ bytes: [UInt8]) -> [UInt8] {
        isMapped(bytes) ? Array(bytes[12..<16]) : bytes
    }
}
