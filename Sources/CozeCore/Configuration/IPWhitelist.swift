import Foundation

/// Which remote addresses may call the API (`API_IP_WhiteList`, `API_IP_WhiteList_IPs`).
///
/// The seed compared the remote address as a string, so `::1` and `0:0:0:0:0:0:0:1` differed and
/// there was no way to allow a network. Entries here are parsed addresses and may be CIDR blocks.
public struct IPWhitelist: Sendable, Hashable {
    /// Whether the list is enforced (`API_IP_WhiteList`). When `false` everyone is allowed.
    public var isEnabled: Bool
    /// Allowed addresses and networks (`API_IP_WhiteList_IPs`).
    public var entries: [IPWhitelistEntry]

    public init(isEnabled: Bool = false, entries: [IPWhitelistEntry] = []) {
        self.isEnabled = isEnabled
        self.entries = entries
    }

    /// Whether a caller at `address` may use the API.
    public func allows(_ address: IPAddress) -> Bool {
        guard isEnabled else { return true }
        return entries.contains { $0.contains(address) }
    }
}

/// One allowed address (`127.0.0.1`, `::1`) or network (`10.0.0.0/8`, `fd00::/8`).
public struct IPWhitelistEntry: Sendable, Hashable, CustomStringConvertible {
    /// The network address, with the bits past ``prefixLength`` cleared.
    public var network: IPAddress
    /// Leading bits that must match: 32 (IPv4) or 128 (IPv6) for a single address.
    public var prefixLength: Int

    /// Parses `address` or `address/prefix`. `nil` when the address part is not an IP address.
    /// Throws ``Problem/badPrefix`` when the address is fine but the prefix is not, because
    /// that entry was clearly meant as CIDR and silently dropping it would lock users out.
    public init?(parsing text: String) throws(Problem) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parsing: String(parts[0])) else { return nil }
        var prefix = address.bitWidth
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parts[1].allSatisfy(\.isASCIIDigit),
                (0...address.bitWidth).contains(parsed)
            else { throw .badPrefix(maximum: address.bitWidth) }
            prefix = parsed
        }
        self.init(network: address, prefixLength: prefix)
    }

    /// An entry for `network/prefixLength`; `prefixLength` is clamped to the address width.
    public init(network: IPAddress, prefixLength: Int) {
        var network = network
        var prefix = max(0, min(prefixLength, network.bitWidth))
        // Stored as IPv4 so it matches callers however their socket reports them.
        if let v4 = network.unmappedIPv4, prefix >= 96 {
            network = v4
            prefix -= 96
        }
        self.network = network.masked(toPrefix: prefix)
        self.prefixLength = prefix
    }

    /// Why an entry that looks like CIDR was refused.
    public enum Problem: Error, Sendable, Hashable {
        /// The part after `/` is not a number from 0 to `maximum`.
        case badPrefix(maximum: Int)
    }

    /// Whether `address` lies in this network. An IPv4 address reached over IPv6 as
    /// `::ffff:a.b.c.d` counts as that IPv4 address, since dual-stack sockets report it that way.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmappedIPv4 ?? address
        guard candidate.bytes.count == network.bytes.count else { return false }
        return candidate.masked(toPrefix: prefixLength) == network
    }

    public var description: String {
        prefixLength == network.bitWidth ? network.description : "\(network)/\(prefixLength)"
    }
}

/// An IPv4 or IPv6 address as its raw bytes (4 or 16), so different spellings compare equal.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an optional trailing IPv4).
    /// Zone suffixes (`%eth0`) and host names are not addresses and give `nil`.
    public init?(parsing text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    /// Wraps raw bytes; `nil` unless there are exactly 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// 32 or 128.
    public var bitWidth: Int { bytes.count * 8 }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
    public var unmappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff
        else { return nil }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    func masked(toPrefix prefix: Int) -> IPAddress {
        var result = bytes
        for index in result.indices {
            let bitsKept = max(0, min(8, prefix - index * 8))
            result[index] &= bitsKept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsKept))
        }
        return IPAddress(unchecked: result)
    }

    private init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        // Full form without zero compression: unambiguous and good enough for log lines.
        return stride(from: 0, to: 16, by: 2)
            .map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), let value = UInt8(part)
            else { return nil }
            result.append(value)
        }
        return result
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }

        func groups(_ part: String, allowTrailingIPv4: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            var result: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowTrailingIPv4, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    result += v4
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                        let value = UInt16(piece, radix: 16)
                    else { return nil }
                    result += [UInt8(value >> 8), UInt8(value & 0xff)]
                }
            }
            return result
        }

        if halves.count == 1 {
            guard let all = groups(halves[0], allowTrailingIPv4: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowTrailingIPv4: false),
            let tail = groups(halves[1], allowTrailingIPv4: true),
            head.count + tail.count <= 14
        else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
