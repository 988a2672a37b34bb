import DiscordWire
import Synchronization
import Testing

@testable import CozeCore

/// The follower that takes a turn's dispatches straight from the gateway client's task: what it
/// holds back, in what order it emits, and when it stops.
@Suite struct TurnFollowerTests {
    typealias P = TurnPayloads
    static let reply = Snowflake(10_001)

    /// What the follower emitted and asked of the turn's task.
    final class Recorder: Sendable {
        private let log = Mutex<(events: [TurnEvent], wakes: [TurnFollower.Wake])>(([], []))
        func emit(_ event: TurnEvent) { log.withLock { $0.events.append(event) } }
        func wake(_ wake: TurnFollower.Wake) { log.withLock { $0.wakes.append(wake) } }
        var events: [TurnEvent] { log.withLock { $0.events } }
        var wakes: [String] { log.withLock { $0.wakes.map { "\($0)" } } }
    }

    static func follower(_ recorder: Recorder) -> TurnFollower {
        TurnFollower(
            limits: TurnFollower.Limits(
                started: .now, idle: .seconds(30), overall: .seconds(120), firstReply: .seconds(60),
                failureIdle: .seconds(10)),
            botIdentity: "test", emit: { recorder.emit($0) }, wake: { recorder.wake($0) }, tick: {})
    }

    static var tracker: ReplyTracker {
        ReplyTracker(promptMessageID: P.prompt, channelID: P.channel, cozeBotUserID: P.coze, promptAuthoredByBot: false)
    }

    static func edit(_ content: String, create: Bool = false, buttons: [String] = []) -> DiscordGatewayEvent {
        .dispatch(
            name: create ? "MESSAGE_CREATE" : "MESSAGE_UPDATE", sequence: 1,
            data: P.message(
                id: reply, content: content, replyTo: P.prompt, edited: !create, components: P.buttons(buttons)))
    }

    @Test func anAnswerThatComesBeforeThePromptIDIsKnownIsHeldThenReplayedInOrder() {
        let recorder = Recorder()
        let follower = Self.follower(recorder)
        follower.receive(Self.edit("Hello", create: true))
        follower.receive(Self.edit("Hello there"))
        #expect(recorder.events.isEmpty, "nothing can be recognised before the prompt's id")
        follower.begin(Self.tracker)
        #expect(recorder.events == [.delta("Hello"), .delta(" there")])
        #expect(recorder.wakes.isEmpty, "the turn's task is not woken while the reply streams")
        // From now on each dispatch is emitted as it arrives, on the caller's thread.
        follower.receive(Self.edit("Hello there, friend"))
        #expect(recorder.events.last == .delta(", friend"))
        _ = follower.finish()
    }

    @Test func afterANewSessionDispatchesWaitForTheCatchUpSoNothingOlderOverwritesThem() {
        let recorder = Recorder()
        let follower = Self.follower(recorder)
        follower.begin(Self.tracker)
        follower.receive(Self.edit("One", create: true))
        follower.receive(.ready(DiscordGatewayReady(data: ["session_id": "s2", "user": ["id": "1"]])))
        #expect(recorder.wakes == ["catchUp"])
        // Sent after the new session began: newer than what REST will return.
        follower.receive(Self.edit("One two three"))
        #expect(recorder.events == [.delta("One")], "held during the catch-up")
        follower.caughtUp(
            [P.message(id: Self.reply, content: "One two", replyTo: P.prompt, edited: true)], at: .now)
        #expect(recorder.events == [.delta("One"), .delta(" two"), .delta(" three")])
        _ = follower.finish()
    }

    @Test func theTerminalEventIsKeptNotEmittedAndNothingFollowsIt() {
        let recorder = Recorder()
        let follower = Self.follower(recorder)
        follower.begin(Self.tracker)
        follower.receive(Self.edit("Done.", create: true))
        follower.receive(Self.edit("Done.", buttons: ["More?"]))
        #expect(recorder.events == [.delta("Done."), .suggestions(["More?"])])
        #expect(recorder.wakes == ["ended"])
        follower.receive(Self.edit("Done. And a late edit."))
        #expect(recorder.events.count == 2, "nothing after the end")
        let (terminal, tracker) = follower.finish()
        guard case .done(let result) = terminal else {
            Issue.record("expected .done, got \(terminal)")
            return
        }
        #expect(result.text == "Done.")
        #expect(tracker?.isFinished == true)
    }

    @Test func aTurnWithoutAnEndFinishesAsCancelled() {
        let recorder = Recorder()
        let follower = Self.follower(recorder)
        follower.begin(Self.tracker)
        follower.receive(Self.edit("Half an ans", create: true))
        let (terminal, _) = follower.finish()
        #expect(terminal == .failed(.cancelled))
    }

    @Test func aStoppedGatewayEndsTheTurnNamingTheBot() {
        let recorder = Recorder()
        let follower = Self.follower(recorder)
        follower.begin(Self.tracker)
        follower.receive(.stopped(nil))
        #expect(recorder.wakes == ["ended"])
        let (terminal, _) = follower.finish()
        guard case .failed(let error) = terminal else {
            Issue.record("expected .failed, got \(terminal)")
            return
        }
        #expect("\(error)".contains("the gateway of bot test stopped"))
    }
}
