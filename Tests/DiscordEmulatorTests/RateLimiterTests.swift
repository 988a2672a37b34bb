import Foundation
import Testing

@testable import DiscordEmulator

private let token = "Bot test-token"
private let start = 1_700_000_000.0

private func number(_ decision: RateLimitDecision, _ header: String) -> Double? {
    decision.header(header).flatMap(Double.init)
}

private func retryAfter(_ decision: RateLimitDecision) -> Double? {
    if case .limited(let retryAfter, _, _) = decision { return retryAfter }
    return nil
}

private func isGlobal(_ decision: RateLimitDecision) -> Bool? {
    if case .limited(_, let global, _) = decision { return global }
    return nil
}

@Suite("RateLimiter")
struct RateLimiterTests {
    @Test func fiveCreatesPassThenSixthIsLimited() {
        let limiter = RateLimiter()
        for index in 0..<5 {
            let decision = limiter.check(
                token: token, method: "POST", path: "/channels/123/messages", now: start + Double(index) * 0.1)
            #expect(decision.isAllowed)
            #expect(decision.header("X-RateLimit-Remaining") == String(4 - index))
            #expect(decision.header("X-RateLimit-Limit") == "5")
        }
        let sixth = limiter.check(token: token, method: "POST", path: "/channels/123/messages", now: start + 1)
        #expect(!sixth.isAllowed)
        #expect(isGlobal(sixth) == false)
        // The window opened at `start` and lasts 5 s: 4 s remain.
        #expect(abs((retryAfter(sixth) ?? 0) - 4.0) < 0.002)
        #expect(sixth.header("Retry-After") == "4")
        #expect(sixth.header("X-RateLimit-Remaining") == "0")
        #expect(sixth.header("X-RateLimit-Scope") == "user")
        #expect(sixth.header("X-RateLimit-Global") == nil)
        #expect(abs((number(sixth, "X-RateLimit-Reset-After") ?? 0) - 4.0) < 0.002)
    }

    @Test func limitedRequestsDoNotConsumeAndWindowRefills() {
        let limiter = RateLimiter()
        for _ in 0..<5 {
            #expect(limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        }
        for step in 1...10 {
            let decision = limiter.check(
                token: token, method: "POST", path: "/channels/1/messages", now: start + Double(step) * 0.4)
            #expect(!decision.isAllowed)
        }
        // Retry-After is rounded up to whole seconds.
        let late = limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start + 4.9)
        #expect(late.header("Retry-After") == "1")
        #expect(abs((retryAfter(late) ?? 0) - 0.1) < 0.002)
        // After the window the bucket refills completely.
        let after = limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start + 5.0)
        #expect(after.isAllowed)
        #expect(after.header("X-RateLimit-Remaining") == "4")
        #expect(after.header("X-RateLimit-Reset-After") == "5.000")
    }

    @Test func differentChannelsAreIndependentBuckets() {
        let limiter = RateLimiter()
        for _ in 0..<5 {
            #expect(limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        }
        #expect(!limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        let other = limiter.check(token: token, method: "POST", path: "/channels/2/messages", now: start)
        #expect(other.isAllowed)
        #expect(other.header("X-RateLimit-Remaining") == "4")
        // The bucket hash names the family, not the channel.
        let first = limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start)
        #expect(first.header("X-RateLimit-Bucket") == other.header("X-RateLimit-Bucket"))
        #expect(other.header("X-RateLimit-Bucket")?.count == 16)
        #expect(other.header("X-RateLimit-Bucket")?.allSatisfy(\.isHexDigit) == true)
    }

    @Test func differentTokensAreIndependent() {
        let limiter = RateLimiter()
        for _ in 0..<5 {
            #expect(limiter.check(token: "a", method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        }
        #expect(!limiter.check(token: "a", method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        #expect(limiter.check(token: "b", method: "POST", path: "/channels/1/messages", now: start).isAllowed)
    }

    @Test func patchAndPostOfOneChannelAreSeparateFamilies() {
        let limiter = RateLimiter()
        for _ in 0..<5 {
            #expect(limiter.check(token: token, method: "POST", path: "/channels/7/messages", now: start).isAllowed)
        }
        #expect(!limiter.check(token: token, method: "POST", path: "/channels/7/messages", now: start).isAllowed)
        let edit = limiter.check(token: token, method: "PATCH", path: "/channels/7/messages/8", now: start)
        #expect(edit.isAllowed)
        #expect(edit.header("X-RateLimit-Remaining") == "4")
        let post = limiter.check(token: token, method: "POST", path: "/channels/7/messages", now: start)
        #expect(edit.header("X-RateLimit-Bucket") != post.header("X-RateLimit-Bucket"))
        // PATCH and DELETE of messages share the edit family and the channel's bucket.
        let delete = limiter.check(token: token, method: "DELETE", path: "/channels/7/messages/9", now: start)
        #expect(delete.header("X-RateLimit-Remaining") == "3")
        #expect(delete.header("X-RateLimit-Bucket") == edit.header("X-RateLimit-Bucket"))
    }

    @Test func globalLimitTripsAt51AcrossChannels() {
        let limiter = RateLimiter()
        for index in 0..<50 {
            let decision = limiter.check(
                token: token, method: "POST", path: "/channels/\(index)/messages", now: start + Double(index) * 0.001)
            #expect(decision.isAllowed)
        }
        let fiftyFirst = limiter.check(token: token, method: "POST", path: "/channels/999/messages", now: start + 0.5)
        #expect(!fiftyFirst.isAllowed)
        #expect(isGlobal(fiftyFirst) == true)
        #expect(abs((retryAfter(fiftyFirst) ?? 0) - 0.5) < 0.002)
        #expect(fiftyFirst.header("X-RateLimit-Global") == "true")
        #expect(fiftyFirst.header("X-RateLimit-Scope") == "global")
        #expect(fiftyFirst.header("Retry-After") == "1")
        // Another token is unaffected; after the second the same token may send again.
        #expect(limiter.check(token: "other", method: "GET", path: "/channels/1", now: start + 0.5).isAllowed)
        let later = limiter.check(token: token, method: "POST", path: "/channels/999/messages", now: start + 1.0)
        #expect(later.isAllowed)
        // The global 429 did not consume channel 999's window.
        #expect(later.header("X-RateLimit-Remaining") == "4")
    }

    @Test func interactionCallbacksAreExemptFromTheGlobalLimit() {
        var settings = RateLimitSettings()
        settings.globalPerSecond = 1
        let limiter = RateLimiter(settings: settings)
        #expect(limiter.check(token: token, method: "GET", path: "/gateway/bot", now: start).isAllowed)
        #expect(!limiter.check(token: token, method: "GET", path: "/gateway/bot", now: start).isAllowed)
        #expect(limiter.check(token: token, method: "POST", path: "/interactions/1/tok/callback", now: start).isAllowed)
    }

    @Test func headersAreConsistent() throws {
        let limiter = RateLimiter()
        var previousRemaining = 5
        for index in 0..<5 {
            let now = start + 0.123 + Double(index) * 0.25
            let decision = limiter.check(token: token, method: "PATCH", path: "/channels/5", now: now)
            let reset = try #require(number(decision, "X-RateLimit-Reset"))
            let resetAfter = try #require(number(decision, "X-RateLimit-Reset-After"))
            #expect(abs((reset - now) - resetAfter) < 0.0015)
            // Reset is a fixed instant for the whole window.
            #expect(abs(reset - (start + 0.123 + 5)) < 0.0015)
            let remaining = try #require(decision.header("X-RateLimit-Remaining").flatMap(Int.init))
            #expect(remaining == previousRemaining - 1)
            previousRemaining = remaining
            #expect(decision.header("X-RateLimit-Scope") == "user")
            #expect(decision.header("Retry-After") == nil)
            // Three decimals.
            #expect(decision.header("X-RateLimit-Reset")?.split(separator: ".").last?.count == 3)
            #expect(decision.header("X-RateLimit-Reset-After")?.split(separator: ".").last?.count == 3)
        }
        let names = limiter.check(token: token, method: "GET", path: "/channels/6", now: start).headers.map(\.0)
        #expect(Set(names) == [
            "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After",
            "X-RateLimit-Bucket", "X-RateLimit-Scope",
        ])
    }

    @Test func bucketHashIsPerFamilyAndConstant() {
        let limiter = RateLimiter()
        let a = limiter.check(token: token, method: "GET", path: "/guilds/1/channels", now: start)
        let b = limiter.check(token: "x", method: "POST", path: "/guilds/2/channels", now: start)
        #expect(a.header("X-RateLimit-Bucket") == b.header("X-RateLimit-Bucket"))
        #expect(a.header("X-RateLimit-Bucket") == RouteFamily.guildChannels.bucketHash)
        #expect(Set(RouteFamily.allCases.map(\.bucketHash)).count == RouteFamily.allCases.count)
        #expect(RouteFamily.messageCreate.bucketHash == RouteFamily.messageCreate.bucketHash)
    }

    @Test func usersMeAllowsTwoPerSecond() {
        let limiter = RateLimiter()
        #expect(limiter.check(token: token, method: "GET", path: "/users/@me", now: start).isAllowed)
        #expect(limiter.check(token: token, method: "GET", path: "/users/@me", now: start + 0.1).isAllowed)
        let third = limiter.check(token: token, method: "GET", path: "/users/@me", now: start + 0.2)
        #expect(!third.isAllowed)
        #expect(abs((retryAfter(third) ?? 0) - 0.8) < 0.002)
        #expect(limiter.check(token: token, method: "GET", path: "/users/@me", now: start + 1.0).isAllowed)
    }

    @Test func disabledAllowsEverythingWithoutHeaders() {
        var settings = RateLimitSettings()
        settings.enabled = false
        let limiter = RateLimiter(settings: settings)
        for _ in 0..<200 {
            let decision = limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start)
            #expect(decision.isAllowed)
            #expect(decision.headers.isEmpty)
        }
    }

    @Test func updateReplacesSettingsAtRunTime() {
        let limiter = RateLimiter()
        for _ in 0..<5 {
            #expect(limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        }
        #expect(!limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        var settings = RateLimitSettings()
        settings.messageCreate = RateLimitWindow(limit: 10, windowMs: 2000)
        limiter.update(settings: settings)
        #expect(limiter.settings.messageCreate.limit == 10)
        let decision = limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start)
        #expect(decision.isAllowed)
        #expect(decision.header("X-RateLimit-Limit") == "10")
        #expect(decision.header("X-RateLimit-Reset-After") == "2.000")
        settings.enabled = false
        limiter.update(settings: settings)
        #expect(limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).headers.isEmpty)
    }

    @Test func forcedRateLimits() {
        var settings = RateLimitSettings()
        settings.enabled = false
        let limiter = RateLimiter(settings: settings)
        limiter.forceRateLimits(count: 2, retryAfter: 1.5, global: false)
        #expect(limiter.pendingForcedRateLimits == 2)
        let first = limiter.check(token: token, method: "GET", path: "/channels/1", now: start)
        #expect(retryAfter(first) == 1.5)
        #expect(isGlobal(first) == false)
        #expect(first.header("Retry-After") == "2")
        #expect(first.header("X-RateLimit-Scope") == "user")
        #expect(first.header("X-RateLimit-Global") == nil)
        #expect(first.header("X-RateLimit-Reset-After") == "1.500")
        #expect(!limiter.check(token: "other", method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        #expect(limiter.check(token: token, method: "GET", path: "/channels/1", now: start).isAllowed)
        #expect(limiter.pendingForcedRateLimits == 0)

        limiter.forceRateLimits(count: 1, retryAfter: 0.25, global: true)
        let global = limiter.check(token: token, method: "GET", path: "/users/@me", now: start)
        #expect(isGlobal(global) == true)
        #expect(retryAfter(global) == 0.25)
        #expect(global.header("X-RateLimit-Global") == "true")
        #expect(global.header("X-RateLimit-Scope") == "global")
        #expect(global.header("Retry-After") == "1")
        #expect(limiter.check(token: token, method: "GET", path: "/users/@me", now: start).isAllowed)

        limiter.forceRateLimits(count: 5, retryAfter: 1, global: false)
        limiter.clearForcedRateLimits()
        #expect(limiter.check(token: token, method: "GET", path: "/users/@me", now: start).isAllowed)
    }

    @Test func forcedRateLimitsDoNotConsumeWindows() {
        let limiter = RateLimiter()
        limiter.forceRateLimits(count: 3, retryAfter: 1, global: false)
        for _ in 0..<3 {
            #expect(!limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed)
        }
        let decision = limiter.check(token: token, method: "POST", path: "/channels/1/messages", now: start)
        #expect(decision.header("X-RateLimit-Remaining") == "4")
    }

    @Test func wallClockOverloadWorks() throws {
        let limiter = RateLimiter()
        let before = Date().timeIntervalSince1970
        let decision = limiter.check(token: token, method: "GET", path: "/users/@me")
        let reset = try #require(number(decision, "X-RateLimit-Reset"))
        #expect(reset > before + 0.9 && reset < before + 1.5)
        #expect(abs(limiter.currentTime() - Date().timeIntervalSince1970) < 0.5)
    }

    @Test func concurrentChecksAreSafe() async {
        let limiter = RateLimiter()
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var count = 0
                    for _ in 0..<100 where limiter.check(
                        token: token, method: "POST", path: "/channels/1/messages", now: start).isAllowed {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 5)
    }

    // MARK: - Classification

    @Test(arguments: [
        ("POST", "/channels/123/messages", RouteFamily.messageCreate, "channels/123"),
        ("post", "channels/123/messages/", .messageCreate, "channels/123"),
        ("POST", "/api/v10/channels/123/messages?x=1", .messageCreate, "channels/123"),
        ("PATCH", "/channels/1/messages/2", .messageEdit, "channels/1"),
        ("DELETE", "/channels/1/messages/2", .messageEdit, "channels/1"),
        ("GET", "/channels/1/messages/2", .default, "channels/1"),
        ("GET", "/channels/1/messages", .default, "channels/1"),
        ("GET", "/channels/1", .channel, "channels/1"),
        ("PATCH", "/channels/1", .channel, "channels/1"),
        ("DELETE", "/channels/1", .channel, "channels/1"),
        ("GET", "/guilds/9/channels", .guildChannels, "guilds/9"),
        ("POST", "/guilds/9/channels", .guildChannels, "guilds/9"),
        ("PATCH", "/guilds/9/channels", .default, "guilds/9"),
        ("GET", "/guilds/9", .default, "guilds/9"),
        ("GET", "/users/@me", .usersMe, ""),
        ("PATCH", "/users/@me", .default, ""),
        ("DELETE", "/users/@me/guilds/5", .default, "guilds/5"),
        ("POST", "/webhooks/4/tok", .default, "webhooks/4/tok"),
        ("GET", "/webhooks/4", .default, "webhooks/4"),
        ("PATCH", "/webhooks/4/tok/messages/@original", .default, "webhooks/4/tok"),
        ("GET", "/gateway/bot", .default, ""),
        ("PUT", "/channels/1/messages/2/reactions/%F0%9F%91%8D/@me", .default, "channels/1"),
    ])
    func classification(method: String, path: String, family: RouteFamily, major: String) {
        let result = RouteFamily.classify(method: method, path: path)
        #expect(result.family == family)
        #expect(result.majorParameter == major)
    }

    // MARK: - Settings

    @Test func settingsDefaults() {
        let settings = RateLimitSettings()
        #expect(settings.enabled)
        #expect(settings.globalPerSecond == 50)
        #expect(settings.messageCreate == RateLimitWindow(limit: 5, windowMs: 5000))
        #expect(settings.messageEdit == RateLimitWindow(limit: 5, windowMs: 5000))
        #expect(settings.channel == RateLimitWindow(limit: 5, windowMs: 5000))
        #expect(settings.guildChannels == RateLimitWindow(limit: 5, windowMs: 5000))
        #expect(settings.usersMe == RateLimitWindow(limit: 2, windowMs: 1000))
        #expect(settings.default == RateLimitWindow(limit: 50, windowMs: 1000))
    }

    @Test func settingsDecodeSnakeCaseWithMissingKeys() throws {
        let json = #"{"global_per_second": 10, "users_me": {"limit": 3}, "message_create": {"window_ms": 100}}"#
        let settings = try JSONDecoder().decode(RateLimitSettings.self, from: Data(json.utf8))
        #expect(settings.enabled)
        #expect(settings.globalPerSecond == 10)
        #expect(settings.usersMe == RateLimitWindow(limit: 3, windowMs: 1000))
        #expect(settings.messageCreate == RateLimitWindow(limit: 5, windowMs: 100))
        #expect(settings.default == RateLimitWindow(limit: 50, windowMs: 1000))
        let empty = try JSONDecoder().decode(RateLimitSettings.self, from: Data("{}".utf8))
        #expect(empty == RateLimitSettings())
        let disabled = try JSONDecoder().decode(RateLimitSettings.self, from: Data(#"{"enabled":false}"#.utf8))
        #expect(!disabled.enabled)
    }

    @Test func settingsRoundTripAndMerge() throws {
        var settings = RateLimitSettings()
        settings.channel = RateLimitWindow(limit: 1, windowMs: 10)
        settings.default = RateLimitWindow(limit: 7, windowMs: 70)
        let encoded = try JSONEncoder().encode(settings)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(text.contains("\"global_per_second\""))
        #expect(text.contains("\"window_ms\""))
        #expect(text.contains("\"guild_channels\""))
        #expect(try JSONDecoder().decode(RateLimitSettings.self, from: encoded) == settings)

        // A partial object merges over the existing settings.
        struct MergedOverCustom: Decodable {
            var settings: RateLimitSettings
            init(from decoder: any Decoder) throws {
                settings = RateLimitSettings()
                settings.channel = RateLimitWindow(limit: 1, windowMs: 10)
                try settings.merge(from: decoder)
            }
        }
        let live = try JSONDecoder().decode(MergedOverCustom.self, from: Data(#"{"channel": {"window_ms": 99}}"#.utf8))
            .settings
        #expect(live.channel == RateLimitWindow(limit: 1, windowMs: 99))
        #expect(live.messageCreate == RateLimitWindow(limit: 5, windowMs: 5000))
    }

    @Test func formatsMilliseconds() {
        #expect(RateLimiter.formatMilliseconds(0) == "0.000")
        #expect(RateLimiter.formatMilliseconds(1_234) == "1.234")
        #expect(RateLimiter.formatMilliseconds(1_700_000_005_007) == "1700000005.007")
    }
}
