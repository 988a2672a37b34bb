import DiscordWire
import Testing

@Suite struct SnowflakeTests {
    @Test func carriesItsCreationTime() {
        let generator = SnowflakeGenerator(clock: { 1_767_225_600_123 })
        let id = generator.next()
        #expect(id.unixMilliseconds == 1_767_225_600_123)
        #expect(Snowflake(id.description) == id)
    }

    @Test func strictlyIncreasesWithinOneMillisecond() {
        let generator = SnowflakeGenerator(clock: { 1_767_225_600_000 })
        var previous = generator.next()
        for _ in 0..<10_000 {
            let next = generator.next()
            #expect(next > previous)
            previous = next
        }
    }

    @Test func discordTimestampFormat() {
        // Expected values computed independently with Python's datetime.
        #expect(WallClock.discordTimestamp(unixMilliseconds: 1_499_793_427_299) == "2017-07-11T17:17:07.299000+00:00")
        #expect(WallClock.discordTimestamp(unixMilliseconds: 0) == "1970-01-01T00:00:00.000000+00:00")
        #expect(WallClock.discordTimestamp(unixMilliseconds: 1_709_208_000_000) == "2024-02-29T12:00:00.000000+00:00")
    }
}
