import Glibc

/// A pthread mutex and condition variable: what a pipeline's hand-overs wait on. Unlike
/// DispatchSemaphore or NSCondition it may be destroyed in any state, which a pipeline
/// stopped half-way needs.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Runs `body` holding the lock; `body` may `wait()`.
    public func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a `wake`, releasing the lock meanwhile (call inside `locked`).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes the waiters (call inside `locked`).
    public func wake(all: Bool = true) {
        if all { pthread_cond_broadcast(condition) } else { pthread_cond_signal(condition) }
    }
}
