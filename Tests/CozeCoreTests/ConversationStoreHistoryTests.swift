import DiscordWire
import Testing

@testable import CozeCore

@Suite("ConversationStore: turns and history matching")
struct ConversationStoreHistoryTests {
    let directory: StoreTestDirectory
    let store: ConversationStore

    init() throws {
        directory = try StoreTestDirectory()
        store = try ConversationStore(path: directory.databasePath, clock: StoreTestClock().function)
    }

    private func done(_ prompt: String, _ answer: String, at time: UInt64 = 10) -> ConversationTurn {
        ConversationTurn(prompt: prompt, answer: answer, startedAtMilliseconds: time, finishedAtMilliseconds: time + 1, outcome: .done)
    }

    private func record(_ turns: [ConversationTurn], in name: String, key: String = "default", channel: UInt64) throws -> Conversation {
        let conversation = try store.createConversation(.sample(key: key, name: name, channel: channel))
        for turn in turns {
            try store.recordTurn(turn, in: conversation.id)
        }
        return try #require(try store.conversation(id: conversation.id))
    }

    @Test func turnsAreStoredInOrderWithEveryField() throws {
        let conversation = try store.createConversation(.sample(name: "c", channel: 1))
        let first = ConversationTurn(
            prompt: "draw a cat", answer: "Here it is",
            imageURLs: ["https://cdn.example/cat.png", "https://cdn.example/cat2.png"],
            suggestions: ["Draw a dog", "Make it bigger"],
            startedAtMilliseconds: 100, finishedAtMilliseconds: 250, outcome: .done
        )
        let failed = ConversationTurn(prompt: "again", answer: "", startedAtMilliseconds: 300, finishedAtMilliseconds: 310, outcome: .error(code: "quota_exceeded"))
        let second = done("thanks", "You're welcome", at: 400)
        #expect(try store.recordTurn(first, in: conversation.id) == RecordedTurn(sequence: 1, completedIndex: 1, turn: first))
        #expect(try store.recordTurn(failed, in: conversation.id) == RecordedTurn(sequence: 2, completedIndex: nil, turn: failed))
        #expect(try store.recordTurn(second, in: conversation.id) == RecordedTurn(sequence: 3, completedIndex: 2, turn: second))
        #expect(try store.turns(of: conversation.id) == [
            RecordedTurn(sequence: 1, completedIndex: 1, turn: first),
            RecordedTurn(sequence: 2, completedIndex: nil, turn: failed),
            RecordedTurn(sequence: 3, completedIndex: 2, turn: second),
        ])
        #expect(try store.conversation(id: conversation.id)?.completedTurnCount == 2)
    }

    @Test func historyPrefixFindsTheConversationsThatStartWithIt() throws {
        let exact = try record([done("p1", "a1"), done("p2", "a2")], in: "exact", channel: 1)
        let diverged = try record([done("p1", "a1"), done("p2", "other")], in: "diverged", channel: 2)
        let longer = try record([done("p1", "a1"), done("p2", "a2"), done("p3", "a3")], in: "longer", channel: 3)
        _ = try record([done("p1", "a1"), done("p2", "a2")], in: "exact", key: "team", channel: 4)
        _ = try record([done("p0", "a0"), done("p1", "a1")], in: "shifted", channel: 5)

        let one = try store.conversations(accessKey: "default", whoseHistoryStartsWith: [TurnExchange(prompt: "p1", answer: "a1")])
        #expect(Set(one.map(\.conversation.id)) == [exact.id, diverged.id, longer.id])
        #expect(one.allSatisfy { $0.matchedTurnCount == 1 && !$0.isExactContinuation })

        let two = try store.conversations(
            accessKey: "default",
            whoseHistoryStartsWith: [TurnExchange(prompt: "p1", answer: "a1"), TurnExchange(prompt: "p2", answer: "a2")]
        )
        // The exact continuation first, then the longer one.
        #expect(two.map(\.conversation.name) == ["exact", "longer"])
        #expect(two.map(\.isExactContinuation) == [true, false])

        let team = try store.conversations(
            accessKey: "team",
            whoseHistoryStartsWith: [TurnExchange(prompt: "p1", answer: "a1"), TurnExchange(prompt: "p2", answer: "a2")]
        )
        #expect(team.map(\.conversation.channelID) == [Snowflake(4)])

        #expect(try store.conversations(accessKey: "default", whoseHistoryStartsWith: [TurnExchange(prompt: "p2", answer: "a2")]).isEmpty)
        #expect(try store.conversations(accessKey: "nobody", whoseHistoryStartsWith: [TurnExchange(prompt: "p1", answer: "a1")]).isEmpty)
    }

    @Test func failedTurnsDoNotBreakTheHistory() throws {
        let failed = ConversationTurn(prompt: "p2", answer: "", startedAtMilliseconds: 1, finishedAtMilliseconds: 2, outcome: .error(code: "timeout"))
        let conversation = try record([done("p1", "a1"), failed, done("p2", "a2")], in: "retried", channel: 1)
        let matches = try store.conversations(
            accessKey: "default",
            whoseHistoryStartsWith: [TurnExchange(prompt: "p1", answer: "a1"), TurnExchange(prompt: "p2", answer: "a2")]
        )
        #expect(matches == [TurnHistoryMatch(conversation: conversation, matchedTurnCount: 2)])
        #expect(matches.first?.isExactContinuation == true)
    }

    @Test func historyFollowsARenameAndEndsWithADelete() throws {
        let conversation = try record([done("p1", "a1")], in: "before", channel: 1)
        try store.renameConversation(accessKey: "default", from: "before", to: "after")
        let query = [TurnExchange(prompt: "p1", answer: "a1")]
        #expect(try store.conversations(accessKey: "default", whoseHistoryStartsWith: query).map(\.conversation.name) == ["after"])
        try store.deleteConversation(id: conversation.id)
        #expect(try store.conversations(accessKey: "default", whoseHistoryStartsWith: query).isEmpty)
    }

    @Test func anEmptyHistoryMatchesEveryConversationOfTheKey() throws {
        let fresh = try record([], in: "fresh", channel: 1)
        _ = try record([done("p", "a")], in: "used", channel: 2)
        let matches = try store.conversations(accessKey: "default", whoseHistoryStartsWith: [])
        #expect(Set(matches.map(\.conversation.name)) == ["fresh", "used"])
        #expect(matches.first?.conversation.id == fresh.id)
        #expect(matches.map(\.isExactContinuation) == [true, false])
    }

    @Test func theLookupUsesTheDigestIndex() throws {
        let raw = try SQLiteDatabase(path: directory.databasePath)
        let plan = try raw.query(
            """
            EXPLAIN QUERY PLAN SELECT c.id FROM turns t JOIN conversations c ON c.id = t.conversation_id
            WHERE t.history_digest = ? AND t.completed_index = ? AND c.access_key = ?
            """,
            [.blob([1, 2, 3]), .integer(1), .text("k")]
        ) { $0.text(3) }
        #expect(plan.contains { $0.contains("turns_by_history_digest") })
    }
}

@Suite("Store: turn history digest")
struct StoreTurnHistoryDigestTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private func sha256(_ text: String) -> String {
        var hasher = SHA256()
        hasher.update(Array(text.utf8))
        return hex(hasher.finalize())
    }

    @Test func sha256MatchesTheFIPSVectors() {
        #expect(sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the length no longer fits the first block.
        #expect(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(sha256(String(repeating: "a", count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256IsTheSameWhateverTheChunking() {
        let text = Array(String(repeating: "0123456789", count: 30).utf8)
        var whole = SHA256()
        whole.update(text)
        var pieces = SHA256()
        for chunk in stride(from: 0, to: text.count, by: 7) {
            pieces.update(Array(text[chunk..<min(chunk + 7, text.count)]))
        }
        #expect(whole.finalize() == pieces.finalize())
    }

    @Test func framingKeepsShiftedTextApart() {
        let left = TurnHistoryDigest.digest(of: [TurnExchange(prompt: "ab", answer: "c")])
        let right = TurnHistoryDigest.digest(of: [TurnExchange(prompt: "a", answer: "bc")])
        #expect(left != right)
        #expect(left.count == 32)
        #expect(TurnHistoryDigest.digest(of: []) == TurnHistoryDigest.empty)
        let chained = TurnHistoryDigest.appending(TurnExchange(prompt: "x", answer: "y"), to: left)
        #expect(chained == TurnHistoryDigest.digest(of: [TurnExchange(prompt: "ab", answer: "c"), TurnExchange(prompt: "x", answer: "y")]))
    }
}
