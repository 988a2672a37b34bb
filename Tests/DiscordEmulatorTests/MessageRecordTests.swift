import DiscordWire
import Testing

@testable import DiscordEmulator

@Suite("MessageRecord mentions")
struct MessageRecordTests {
    private static func parsed(_ content: String, knownUsers: Set<Snowflake> = [Snowflake(42), Snowflake(43)])
        -> MessageRecord
    {
        var record = MessageRecord(
            id: Snowflake(1), channelID: Snowflake(2), authorID: Snowflake(3), type: MessageRecord.typeDefault,
            content: content)
        record.parseMentions(knownUsers: knownUsers)
        return record
    }

    @Test func userAndRoleMentionsAreFoundOnceEachAndUnknownUsersAreLeftOut() {
        let record = Self.parsed("<@42> hi <@!43> and <@42> again, <@&7>, <@99>, <@> and <@12x>")
        #expect(record.mentionIDs == [Snowflake(42), Snowflake(43)])
        #expect(record.mentionRoleIDs == [Snowflake(7)])
        #expect(!record.mentionEveryone)
    }

    @Test(arguments: ["hello @everyone", "@here now", "cc <@42> @here", "@@everyone"])
    func everyoneAndHereMentionEveryone(content: String) {
        #expect(Self.parsed(content).mentionEveryone)
    }

    @Test(arguments: ["", "everyone here", "@every one", "@her", "@Everyone", "<@42>"])
    func otherTextDoesNot(content: String) {
        #expect(!Self.parsed(content).mentionEveryone)
    }
}
