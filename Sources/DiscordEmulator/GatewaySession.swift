import DiscordWire

/// A gateway session: survives its connection so that RESUME can replay what was missed.
/// Owned by `EmulatorWorld` and only touched under the world's lock.
final class GatewaySession {
    /// How many dispatches are kept for replay; Discord keeps a bounded backlog too.
    static let replayCapacity = 20_000

    let id: String
    let user: EmulatedUser
    let intents: GatewayIntents
    let shard: JSONValue?
    let counters: EmulatorCounters?
    private(set) var sequence = 0
    private var replay: [(sequence: Int, payload: [UInt8])] = []
    private var replayStart = 0
    var connection: GatewayConnection?
    var disconnectedAtMilliseconds: UInt64?
    var invalidated = false

    init(id: String, user: EmulatedUser, intents: GatewayIntents, shard: JSONValue?, counters: EmulatorCounters? = nil) {
        self.id = id
        self.user = user
        self.intents = intents
        self.shard = shard
        self.counters = counters
    }

    /// Numbers a dispatch, keeps it for replay and sends it when connected; `onWritten` gets the
    /// wall-clock time (Unix ns) at which that send is written to the socket.
    func dispatch(event: String, data: [UInt8], onWritten: (@Sendable (UInt64) -> Void)? = nil) {
        sequence += 1
        counters?.recordDispatch()
        var payload: [UInt8] = []
        payload.reserveCapacity(data.count + event.utf8.count + 40)
        payload.append(contentsOf: #"{"op":0,"t":""#.utf8)
        payload.append(contentsOf: event.utf8)
        payload.append(contentsOf: #"","s":"#.utf8)
        payload.append(contentsOf: String(sequence).utf8)
        payload.append(contentsOf: #","d":"#.utf8)
        payload.append(contentsOf: data)
        payload.append(UInt8(ascii: "}"))
        replay.append((sequence, payload))
        if replay.count - replayStart > GatewaySession.replayCapacity {
            replayStart += 1
            if replayStart > GatewaySession.replayCapacity {
                replay.removeFirst(replayStart)
                replayStart = 0
            }
        }
        connection?.send(payload, onWritten: onWritten)
    }

    /// Payloads after `sequence`, or `nil` when they are no longer all kept.
    func payloads(after sequence: Int) -> [[UInt8]]? {
        guard sequence <= self.sequence else { return nil }
        let kept = replay[replayStart...]
        if let first = kept.first, first.sequence > sequence + 1 { return nil }
        return kept.filter { $0.sequence > sequence }.map(\.payload)
    }
}
