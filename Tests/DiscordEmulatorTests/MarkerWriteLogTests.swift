import DiscordWire
import Testing

@testable import DiscordEmulator

@Suite("MarkerWriteLog")
struct MarkerWriteLogTests {
    @Test func theNewestMarkerIsTheLastWellFormedOne() {
        #expect(MarkerStampClock.newestMarker(in: "Hello[t=12] world[t=345]") == 345)
        #expect(MarkerStampClock.newestMarker(in: "Hello[t=12] world [t=] [t=9 [x=7] [t=abc]") == 12)
        #expect(MarkerStampClock.newestMarker(in: "[t=7]") == 7)
        #expect(MarkerStampClock.newestMarker(in: "a [t=5] then [t=99999999999999999999999]") == 5)
        #expect(MarkerStampClock.newestMarker(in: "no marker at all") == nil)
        #expect(MarkerStampClock.newestMarker(in: "") == nil)
        #expect(MarkerStampClock.newestMarker(in: "ünïcödé [t=42] ✓") == 42)
    }

    @Test func writesBeyondTheCapacityAreCountedAsDroppedUntilCleared() {
        let log = MarkerWriteLog(capacity: 2)
        for marker in UInt64(1)...3 {
            log.record(sessionID: "s", userID: Snowflake(9), marker: marker, writtenAt: marker * 10)
        }
        #expect(log.json["dropped"]?.intValue == 1)
        #expect(log.json["sessions"]?[0]?["writes"] == [[1, 10], [2, 20]])
        log.clear()
        #expect(log.json == ["sessions": [], "dropped": 0])
        log.record(sessionID: "s", userID: Snowflake(9), marker: 4, writtenAt: 40)
        #expect(log.json["sessions"]?[0]?["writes"] == [[4, 40]])
    }

    /// Every session that gets the reply's content has each marked edit noted once, in order, with
    /// a write time after the edit's stamp and before the client had read it.
    @Test func eachMarkedEditIsNotedPerSessionBetweenItsStampAndItsArrival() async throws {
        let chunks = 3
        let emulator = try await DiscordEmulator.startForTests(
            ["coze": ["chunks": .int(Int64(chunks)), "timestamp_markers": true, "edit_interval_ms": 20]])
        let info = emulator.info
        let (bridge, bridgeSession) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        let (spare, spareSession) = try await identifiedProbe(emulator, token: info.spareBotToken, zlibStream: false)
        let rest = RESTProbe(emulator: emulator)

        _ = try await EmulatorCozeScenarioTests.post(emulator, "<@\(info.cozeBotUserID)> tell me about lighthouses")
        var readBy: [String: UInt64] = [:]
        var markersBy: [String: [UInt64]] = [:]
        for (probe, session) in [(bridge, bridgeSession), (spare, spareSession)] {
            let events = try await EmulatorCozeScenarioTests.cozeEvents(
                probe, coze: info.cozeBotUserID, isDone: EmulatorCozeScenarioTests.untilButtons)
            let replies = events.filter { $0.name != "TYPING_START" }
            readBy[session] = WallClock.unixNanoseconds()
            markersBy[session] = try replies.map { try #require(MarkerStampClock.newestMarker(in: $0.data["content"]?.stringValue ?? "")) }
        }
        #expect(markersBy[bridgeSession]?.count == chunks)

        let listed = try #require(try await rest.control(.GET, "/marker-writes").json)
        #expect(listed["dropped"]?.intValue == 0)
        let sessions = try #require(listed["sessions"]?.arrayValue)
        #expect(Set(sessions.compactMap { $0["session_id"]?.stringValue }) == [bridgeSession, spareSession])
        for session in sessions {
            let id = try #require(session["session_id"]?.stringValue)
            let user = session["user_id"]?.snowflakeValue
            #expect(user == (id == bridgeSession ? info.bridgeBotUserID : info.spareBotUserID))
            let writes = try #require(session["writes"]?.arrayValue)
            let markers = writes.compactMap { $0[0]?.intValue }.map(UInt64.init)
            let written = writes.compactMap { $0[1]?.intValue }.map(UInt64.init)
            #expect(markers == markersBy[id])
            #expect(written.count == markers.count)
            for (marker, writtenAt) in zip(markers, written) {
                #expect(marker <= writtenAt && writtenAt <= readBy[id]!)
            }
        }

        let cleared = try await rest.control(.DELETE, "/marker-writes")
        #expect(cleared.status == 200)
        #expect(try await rest.control(.GET, "/marker-writes").json == ["sessions": [], "dropped": 0])
        try await emulator.shutdown()
    }

    @Test func nothingIsNotedWithoutTimestampMarkers() async throws {
        let emulator = try await DiscordEmulator.startForTests(["coze": ["chunks": 2, "edit_interval_ms": 20]])
        let info = emulator.info
        let (bridge, _) = try await identifiedProbe(emulator, token: info.bridgeBotToken)
        _ = try await EmulatorCozeScenarioTests.post(emulator, "<@\(info.cozeBotUserID)> tell me about lighthouses")
        _ = try await EmulatorCozeScenarioTests.cozeEvents(
            bridge, coze: info.cozeBotUserID, isDone: EmulatorCozeScenarioTests.untilButtons)
        #expect(emulator.markerWrites == ["sessions": [], "dropped": 0])
        try await emulator.shutdown()
    }
}
