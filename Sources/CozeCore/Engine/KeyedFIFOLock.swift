import Synchronization

/// Mutual exclusion per string key, granted strictly in the order places were taken.
///
/// The engine serialises turns of one conversation (and creations of one name, and channel
/// evictions of one guild) with it. A place in line is taken synchronously (``enqueue(_:)``), so
/// the order is the order of the callers' requests even when the tasks that then wait
/// (``wait(_:)``) start in another order — which is what makes "turns of one conversation run in
/// the order they were requested" true. Idle keys cost nothing.
final class KeyedFIFOLock: Sendable {
    /// A place in the line of one key.
    struct Ticket: Sendable, Hashable {
        let key: String
        let number: Int
    }

    private struct Line {
        /// Ticket numbers in order; the first holds the key.
        var numbers: [Int] = []
        var waiting: [Int: CheckedContinuation<Bool, Never>] = [:]
    }

    private struct State {
        var lines: [String: Line] = [:]
        var nextNumber = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// Takes a place in `key`'s line now.
    func enqueue(_ key: String) -> Ticket {
        state.withLock { state in
            state.nextNumber += 1
            state.lines[key, default: Line()].numbers.append(state.nextNumber)
            return Ticket(key: key, number: state.nextNumber)
        }
    }

    /// Waits until `ticket` is first in line. Returns `false` (and gives the place up) once the
    /// lock was closed by ``close()``, so that waiters of a shutting-down engine do not hang.
    func wait(_ ticket: Ticket) async -> Bool {
        let granted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let immediate: Bool? = state.withLock { state in
                if state.closed { return false }
                guard let line = state.lines[ticket.key], line.numbers.contains(ticket.number) else { return false }
                if line.numbers.first == ticket.number { return true }
                state.lines[ticket.key]!.waiting[ticket.number] = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        if !granted { leave(ticket) }
        return granted
    }

    /// ``enqueue(_:)`` then ``wait(_:)``.
    func acquire(_ key: String) async -> Ticket? {
        let ticket = enqueue(key)
        return await wait(ticket) ? ticket : nil
    }

    /// Takes `key` only if its line is empty.
    func tryAcquire(_ key: String) -> Ticket? {
        state.withLock { state in
            guard !state.closed, state.lines[key]?.numbers.isEmpty ?? true else { return nil }
            state.nextNumber += 1
            state.lines[key] = Line(numbers: [state.nextNumber])
            return Ticket(key: key, number: state.nextNumber)
        }
    }

    /// Gives up `ticket`'s place (held or not); the next in line gets the key.
    func release(_ ticket: Ticket) { leave(ticket) }

    private func leave(_ ticket: Ticket) {
        let next: CheckedContinuation<Bool, Never>? = state.withLock { state in
            guard var line = state.lines[ticket.key], let index = line.numbers.firstIndex(of: ticket.number) else {
                return nil
            }
            line.numbers.remove(at: index)
            line.waiting[ticket.number] = nil
            if line.numbers.isEmpty {
                state.lines[ticket.key] = nil
                return nil
            }
            var resumed: CheckedContinuation<Bool, Never>?
            if index == 0, let head = line.numbers.first {
                resumed = line.waiting.removeValue(forKey: head)
            }
            state.lines[ticket.key] = line
            return resumed
        }
        next?.resume(returning: true)
    }

    /// Fails every current and future waiter (engine shutdown).
    func close() {
        let waiters: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            state.closed = true
            var all: [CheckedContinuation<Bool, Never>] = []
            for key in state.lines.keys {
                all += state.lines[key]!.waiting.values
                state.lines[key]!.waiting = [:]
            }
            return all
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }
}
