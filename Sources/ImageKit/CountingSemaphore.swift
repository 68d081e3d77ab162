import Glibc
import LinuxSystem

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
