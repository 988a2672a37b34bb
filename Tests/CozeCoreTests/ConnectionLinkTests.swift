import DiscordWire
import Testing

@testable import CozeCore

/// Which payloads the gateway connection's event loop handles itself, and which it leaves to the
/// client's task (see `DiscordGatewayClient.dispatchOnEventLoop`).
@Suite struct ConnectionLinkTests {
    private let dispatch = GatewayOpcode.dispatch.rawValue
    private let heartbeatAck = GatewayOpcode.heartbeatAck.rawValue

    private func readyLink() -> ConnectionLink {
        let link = ConnectionLink(sequence: 1)
        link.markReady()
        return link
    }

    @Test func aHeartbeatACKDoesNotSendLaterDispatchesToTheTask() {
        let link = readyLink()
        #expect(link.beginBeat())
        #expect(link.takeOnEventLoop(opcode: heartbeatAck, dispatchSequence: nil) == .heartbeatAcknowledged)
        // Acknowledged: the next beat may go, and it is no zombie.
        #expect(link.beginBeat())
        #expect(!link.isZombie)
        // Nothing was queued for the task, so the next edit is still handled on the loop.
        #expect(link.takeOnEventLoop(opcode: dispatch, dispatchSequence: 2) == .dispatch(.accepted(gap: false)))
    }

    @Test func whileAPayloadWaitsForTheTaskEveryDispatchFollowsItThere() {
        let link = readyLink()
        // A heartbeat request (op 1) is the task's: it sends a beat.
        #expect(link.takeOnEventLoop(opcode: GatewayOpcode.heartbeat.rawValue, dispatchSequence: nil) == .task)
        #expect(link.takeOnEventLoop(opcode: dispatch, dispatchSequence: 2) == .task)
        // An ACK meanwhile is still noted at once; it has no place in the dispatches' order.
        #expect(link.takeOnEventLoop(opcode: heartbeatAck, dispatchSequence: nil) == .heartbeatAcknowledged)
        // The task handles the heartbeat request; dispatch 2 still waits for it.
        link.queuedPayloadHandled()
        #expect(link.takeOnEventLoop(opcode: dispatch, dispatchSequence: 3) == .task)
        // The task handles dispatches 2 and 3, advancing the sequence as it goes.
        #expect(link.advance(to: 2) == .accepted(gap: false))
        link.queuedPayloadHandled()
        #expect(link.advance(to: 3) == .accepted(gap: false))
        link.queuedPayloadHandled()
        // Nothing waits any more: the loop takes dispatches again, in sequence.
        #expect(link.takeOnEventLoop(opcode: dispatch, dispatchSequence: 4) == .dispatch(.accepted(gap: false)))
    }

    @Test func dispatchesBeforeTheSessionIsEstablishedGoToTheTask() {
        let link = ConnectionLink(sequence: nil)
        #expect(link.takeOnEventLoop(opcode: dispatch, dispatchSequence: 1) == .task)
    }
}
