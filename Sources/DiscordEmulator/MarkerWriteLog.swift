import DiscordWire
import NIOConcurrencyHelpers

/// When each marked edit was written to each gateway connection, for `timestamp_markers`.
///
/// A marker is stamped when the simulated Coze bot makes its edit. The world then encodes the
/// dispatch, each connection's loop compresses it, and the connections are written one after
/// another. A benchmark of what a gateway client adds starts its clock at that client's write,
/// which this log keeps: per session, the edit's newest marker and the wall-clock time at which
/// its frame, encoded and compressed, is handed to the socket.
final class MarkerWriteLog: Sendable {
    /// Writes kept until the log is cleared; later ones are counted as dropped, so a benchmark
    /// left running cannot grow the emulator without bound.
    let capacity: Int

    private struct Session {
        var userID: Snowflake
        var writes: [(marker: UInt64, writtenAt: UInt64)] = []
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var order: [String] = []
        var count = 0
        var dropped = 0
    }

    private let state = NIOLockedValueBox(State())

    init(capacity: Int = 1_000_000) {
        self.capacity = capacity
    }

    /// Notes that the edit marked `marker` was written to `sessionID`'s socket at `writtenAt`
    /// (Unix nanoseconds).
    func record(sessionID: String, userID: Snowflake, marker: UInt64, writtenAt: UInt64) {
        state.withLockedValue { state in
            guard state.count < capacity else {
                state.dropped += 1
                return
            }
            state.count += 1
            if state.sessions[sessionID] == nil {
                state.sessions[sessionID] = Session(userID: userID)
                state.order.append(sessionID)
            }
            state.sessions[sessionID]!.writes.append((marker, writtenAt))
        }
    }

    /// Forgets every write so far.
    func clear() {
        state.withLockedValue { $0 = State() }
    }

    /// `{sessions: [{session_id, user_id, writes: [[marker, written_ns], …]}], dropped}`, sessions
    /// in the order of their first write and writes in the order they happened.
    var json: JSONValue {
        state.withLockedValue { state in
            let sessions: [JSONValue] = state.order.map { id in
                let session = state.sessions[id]!
                return [
                    "session_id": .string(id), "user_id": JSONValue(session.userID),
                    "writes": .array(session.writes.map { [.int(Int64(clamping: $0.marker)), .int(Int64(clamping: $0.writtenAt))] }),
                ]
            }
            return ["sessions": .array(sessions), "dropped": JSONValue(state.dropped)]
        }
    }
}
