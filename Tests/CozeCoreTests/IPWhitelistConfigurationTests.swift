import Testing

@testable import CozeCore

/// Whitelist entries are parsed addresses and CIDR blocks, not strings.
@Suite("IP whitelist configuration")
struct IPWhitelistConfigurationTests {
    @Test(arguments: [
        ("127.0.0.1", [127, 0, 0, 1]),
        ("::1", [UInt8](repeating: 0, count: 15) + [1]),
        ("0:0:0:0:0:0:0:1", [UInt8](repeating: 0, count: 15) + [1]),
        ("::ffff:10.1.2.3", [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 1, 2, 3]),
        ("2001:db8::8:800:200c:417a", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a]),
    ] as [(String, [UInt8])])
    func parsesAddresses(text: String, bytes: [UInt8]) throws {
        #expect(IPAddress(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: ["localhost", "256.0.0.1", "1.2.3", "1.2.3.4.5", ":::", "1::2::3", "fe80::1%eth0", "12345::", ""])
    func rejectsNonAddresses(text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func cidrMatching() throws {
        let v4 = try #require(try IPWhitelistEntry(parsing: "10.20.0.0/14"))
        #expect(v4.description == "10.20.0.0/14")
        #expect(v4.contains(try #require(IPAddress(parsing: "10.23.255.255"))))
        #expect(!v4.contains(try #require(IPAddress(parsing: "10.24.0.0"))))
        #expect(!v4.contains(try #require(IPAddress(parsing: "::1"))))

        let everything = try #require(try IPWhitelistEntry(parsing: "0.0.0.0/0"))
        #expect(everything.contains(try #require(IPAddress(parsing: "8.8.8.8"))))

        let mapped = try #require(try IPWhitelistEntry(parsing: "::ffff:192.168.0.0/112"))
        #expect(mapped.description == "192.168.0.0/16")
        #expect(mapped.contains(try #require(IPAddress(parsing: "192.168.4.4"))))

        let v6 = try #require(try IPWhitelistEntry(parsing: "fd00::/8"))
        #expect(v6.contains(try #require(IPAddress(parsing: "fdab::1"))))
        #expect(!v6.contains(try #require(IPAddress(parsing: "fe80::1"))))
    }

    @Test func badPrefixesThrow() {
        #expect(throws: IPWhitelistEntry.Problem.badPrefix(maximum: 32)) { try IPWhitelistEntry(parsing: "10.0.0.0/33") }
        #expect(throws: IPWhitelistEntry.Problem.badPrefix(maximum: 128)) { try IPWhitelistEntry(parsing: "::/abc") }
        #expect(throws: IPWhitelistEntry.Problem.badPrefix(maximum: 32)) { try IPWhitelistEntry(parsing: "10.0.0.0/") }
    }

    @Test func disabledWhitelistAllowsEveryone() throws {
        let whitelist = IPWhitelist(isEnabled: false, entries: [])
        #expect(whitelist.allows(try #require(IPAddress(parsing: "203.0.113.9"))))
        #expect(!IPWhitelist(isEnabled: true, entries: []).allows(try #require(IPAddress(parsing: "127.0.0.1"))))
    }
}
