#if COZE_TSAN_VISIBLE_LOCKS
import Glibc

/// Stands in for `Synchronization.Mutex` inside CozeCore when built for ThreadSanitizer
/// (`scripts/sanitizers thread` defines `COZE_TSAN_VISIBLE_LOCKS`).
///
/// On Linux the standard `Mutex` locks with atomics and futex calls in an uninstrumented
/// library, so ThreadSanitizer sees no ordering between two critical sections and reports every
/// state it guards as a race (a two-thread counter under `Mutex` is enough to show it). A
/// pthread mutex is intercepted by ThreadSanitizer, so with this type in place the reports that
/// remain are real. Same spelling as the `Mutex` API CozeCore uses; never part of a normal build.
final class Mutex<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ initialValue: Value) {
        value = initialValue
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
#endif
