import Glibc

/// A pthread mutex and condition variable: what a pipeline's hand-overs wait on. Unlike
/// DispatchSemaphore or NSCondition it may be destroyed in any state, which a pipeline
/// stopped half-way needs.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
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
    func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a `wake`, releasing the lock meanwhile (call inside `locked`).
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes the waiters (call inside `locked`).
    func wake(all: Bool = true) {
        if all { pthread_cond_broadcast(condition) } else { pthread_cond_signal(condition) }
    }
}

/// A counting semaphore that may be destroyed with any count.
final class CountingSemaphore: @unchecked Sendable {
    private let lock = ConditionLock()
    private var count: Int

    init(_ count: Int) {
        self.count = count
    }

    func wait() {
        lock.locked {
            while count == 0 { lock.wait() }
            count -= 1
        }
    }

    func signal() {
        lock.locked {
            count += 1
            lock.wake(all: false)
        }
    }
}
