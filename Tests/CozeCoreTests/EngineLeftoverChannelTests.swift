import DiscordEmulator
import DiscordWire
import Foundation
import Testing

@testable import CozeCore

/// A process killed between Discord creating a conversation's channel and the store recording it
/// leaves a channel no conversation points at (found by the `kill -9` test: 2 of 128 channels in
/// one run). The pending record written before each creation lets the next start delete it.
@Suite("Engine: channels left by a crash")
struct EngineLeftoverChannelTests {
    @Test func creatingAConversationLeavesNoPendingRecord() async throws {
        let harness = try await EngineHarness.start()
        _ = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "kept")
        #expect(try harness.bridge.store.pendingChannels().isEmpty)
        try await harness.stop()
    }

    @Test func theNextStartDeletesAChannelDiscordMadeButTheStoreNeverRecorded() async throws {
        let harness = try await EngineHarness.start()
        let info = harness.info
        let bot = try #require(harness.bridge.bots.first)
        let store = harness.bridge.store
        let kept = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "kept")
        // An older channel of the same name as a crashed creation: made before the record, so not
        // the crash's.
        let older = try await bot.listenerREST.createGuildChannel(
            guildID: info.guildID, name: "lost", parentID: info.categoryID)
        try await Task.sleep(for: .milliseconds(1100))
        // What a crash leaves: the record, and the channel Discord made for it.
        _ = try store.addPendingChannel(
            botIdentity: bot.identity, guildID: info.guildID, parentID: info.categoryID, name: "lost", kind: .channel)
        let orphan = try await bot.listenerREST.createGuildChannel(
            guildID: info.guildID, name: "lost", parentID: info.categoryID)
        // A record whose channel did get stored (the crash came after the insert) must spare it.
        _ = try store.addPendingChannel(
            botIdentity: bot.identity, guildID: info.guildID, parentID: info.categoryID, name: "kept", kind: .channel)
        await harness.bridge.shutdown()

        let restarted = try await harness.restartedBridge()
        let orphanID = try #require(orphan["id"]?.snowflakeValue)
        let gone = await eventuallyTrue(timeout: .seconds(20)) { (try? store.pendingChannels().isEmpty) == true }
        #expect(gone)
        let remaining = Set(try await harness.inspector.guildChannels(guildID: info.guildID).compactMap { $0["id"]?.snowflakeValue })
        #expect(!remaining.contains(orphanID))
        #expect(remaining.contains(kept.channelID))
        #expect(remaining.contains(try #require(older["id"]?.snowflakeValue)))
        #expect(try await restarted.send(accessKey: EngineHarness.key, conversation: "kept", prompt: "still here").text
            == harness.answer("still here"))
        await restarted.shutdown()
        try await harness.stop()
    }

    @Test func aLeftoverThreadAndItsEmptyParentAreDeletedAStoredThreadsParentIsKept() async throws {
        let harness = try await EngineHarness.start(
            conversations: ConversationConfiguration(channelCapStrategy: .threads, maxChannelsPerGuild: 1))
        let info = harness.info
        let bot = try #require(harness.bridge.bots.first)
        let store = harness.bridge.store
        // The first conversation is a channel (cap 1), the second a thread in a new parent.
        _ = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "first")
        let threaded = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "second")
        guard case .thread(let storedParent) = threaded.kind else {
            Issue.record("the second conversation is not a thread: \(threaded.kind)")
            try await harness.stop()
            return
        }
        #expect(try store.pendingChannels().isEmpty)
        // A crash while making a thread in the stored thread's parent, and one right after making
        // a new, still empty parent.
        _ = try store.addPendingChannel(
            botIdentity: bot.identity, guildID: info.guildID, parentID: storedParent, name: "lost-thread", kind: .thread)
        let thread = try await bot.listenerREST.createThread(
            channelID: storedParent, name: "lost-thread", type: 11, autoArchiveMinutes: 10080)
        _ = try store.addPendingChannel(
            botIdentity: bot.identity, guildID: info.guildID, parentID: info.categoryID, name: "cozebridge-threads-9",
            kind: .channel)
        let emptyParent = try await bot.listenerREST.createGuildChannel(
            guildID: info.guildID, name: "cozebridge-threads-9", parentID: info.categoryID)
        await harness.bridge.shutdown()

        let restarted = try await harness.restartedBridge()
        #expect(await eventuallyTrue(timeout: .seconds(20)) { (try? store.pendingChannels().isEmpty) == true })
        let channels = Set(try await harness.inspector.guildChannels(guildID: info.guildID).compactMap { $0["id"]?.snowflakeValue })
        #expect(!channels.contains(try #require(emptyParent["id"]?.snowflakeValue)))
        #expect(channels.contains(storedParent))
        await #expect(throws: DiscordHTTPError.self) {
            try await harness.inspector.channel(try #require(thread["id"]?.snowflakeValue))
        }
        #expect(try await harness.inspector.channel(threaded.channelID)["id"]?.snowflakeValue == threaded.channelID)
        await restarted.shutdown()
        try await harness.stop()
    }

    /// A creation whose answer never came (here a timeout) may still have made the channel at
    /// Discord; the recheck deletes it while the bridge runs, and the conversation can then be
    /// created again.
    @Test func aChannelMadeForACreationThatTimedOutIsDeletedWithoutARestart() async throws {
        let harness = try await EngineHarness.start(
            options: EngineHarness.options(requestTimeout: .milliseconds(300), pendingChannelRecheck: .milliseconds(800)))
        let store = harness.bridge.store
        func channelsNamed(_ name: String) async throws -> [Snowflake] { try await Self.channels(named: name, in: harness) }
        harness.emulator.setLatency(milliseconds: 1000)
        await #expect(throws: CozeBridgeError.self) {
            _ = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "slow")
        }
        harness.emulator.clearFaults()
        // Discord made it; the bridge never heard its id.
        let orphans = try await channelsNamed("slow")
        #expect(orphans.count == 1)
        #expect(try store.pendingChannels().count == 1)

        #expect(await eventuallyTrue(timeout: .seconds(10)) { (try? store.pendingChannels().isEmpty) == true })
        #expect(try await channelsNamed("slow").isEmpty)
        let created = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "slow")
        #expect(try await channelsNamed("slow") == [created.channelID])
        try await harness.stop()
    }

    /// The recheck of a failed parent creation spares a parent of the same name made later this
    /// run that holds no stored thread yet: only this process knows it.
    @Test func aRecheckSparesAThreadParentOfThisRunThatHoldsNoThreadYet() async throws {
        let harness = try await EngineHarness.start(
            conversations: ConversationConfiguration(channelCapStrategy: .threads, maxChannelsPerGuild: 1),
            options: EngineHarness.options(pendingChannelRecheck: .milliseconds(200)))
        let info = harness.info
        let bot = try #require(harness.bridge.bots.first)
        let store = harness.bridge.store
        // The guild's one conversation channel: conversations after it are threads.
        _ = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "first")
        // An earlier attempt at the first parent that failed, then the parent made after it.
        let failed = try store.addPendingChannel(
            botIdentity: bot.identity, guildID: info.guildID, parentID: info.categoryID, name: "cozebridge-threads-1",
            kind: .channel)
        let parent = try await harness.bridge.threadParent(for: bot)
        harness.bridge.recheckLater(failed)

        #expect(await eventuallyTrue(timeout: .seconds(10)) { (try? store.pendingChannels().contains { $0.id == failed }) == false })
        #expect(try await harness.inspector.channel(parent)["id"]?.snowflakeValue == parent)
        let threaded = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "threaded")
        #expect(threaded.kind == .thread(parentChannelID: parent))
        try await harness.stop()
    }

    /// Discord carried out a channel creation but answered 502, and the REST client sent it
    /// again: two channels of that name, one of them stored. The recheck deletes the other.
    @Test func theCopyOfAChannelCreatedTwiceByARetryIsDeleted() async throws {
        let harness = try await EngineHarness.start(options: EngineHarness.options(pendingChannelRecheck: .milliseconds(500)))
        let store = harness.bridge.store
        harness.emulator.failNextRequests(count: 1, status: 502, afterProcessing: true)
        let created = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "twice")
        #expect(try await Self.channels(named: "twice", in: harness).count == 2)

        #expect(await eventuallyTrue(timeout: .seconds(10)) { (try? store.pendingChannels().isEmpty) == true })
        #expect(try await Self.channels(named: "twice", in: harness) == [created.channelID])
        #expect(try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "twice", prompt: "still here").text
            == harness.answer("still here"))
        try await harness.stop()
    }

    /// A thread parent's creation that Discord carried out but answered 502 was sent again: two
    /// parents of that name. The parent's record lasts until a thread is stored in it, and is then
    /// rechecked: the unused parent is deleted, the live one kept.
    @Test func theCopyOfAThreadParentCreatedTwiceByARetryIsDeleted() async throws {
        let harness = try await EngineHarness.start(
            conversations: ConversationConfiguration(channelCapStrategy: .threads, maxChannelsPerGuild: 1),
            options: EngineHarness.options(pendingChannelRecheck: .milliseconds(300)))
        let bot = try #require(harness.bridge.bots.first)
        let store = harness.bridge.store
        let parentName = "cozebridge-threads-1"
        _ = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "first")
        harness.emulator.failNextRequests(count: 1, status: 502, afterProcessing: true)
        let parent = try await harness.bridge.threadParent(for: bot)
        #expect(try await Self.channels(named: parentName, in: harness).count == 2)
        // No thread in it yet: the record stays, so a crash now would let the next start clean up.
        try await Task.sleep(for: .milliseconds(600))
        #expect(try store.pendingChannels().map(\.name) == [parentName])

        let threaded = try await harness.bridge.createConversation(accessKey: EngineHarness.key, name: "threaded")
        #expect(threaded.kind == .thread(parentChannelID: parent))
        #expect(await eventuallyTrue(timeout: .seconds(10)) { (try? store.pendingChannels().isEmpty) == true })
        #expect(try await Self.channels(named: parentName, in: harness) == [parent])
        #expect(try await harness.bridge.send(accessKey: EngineHarness.key, conversation: "threaded", prompt: "still here").text
            == harness.answer("still here"))
        try await harness.stop()
    }

    /// The ids of the guild's channels called `name`, as the emulator's owner sees them.
    static func channels(named name: String, in harness: EngineHarness) async throws -> [Snowflake] {
        try await harness.inspector.guildChannels(guildID: harness.info.guildID)
            .filter { $0["name"]?.stringValue == name }.compactMap { $0["id"]?.snowflakeValue }
    }
}
