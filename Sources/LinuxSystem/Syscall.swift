import Glibc

/// System calls retried on EINTR in one place, and what their results mean.
public enum Syscall {
    /// Calls `body` again for as long as it fails with EINTR (returns -1, errno EINTR).
    @inlinable
    public static func retrying<T: SignedInteger>(_ body: () -> T) -> T {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// Waits for child `pid` to end (waitpid(2), retried on EINTR).
    public static func wait(_ pid: pid_t) throws(SystemError) -> WaitStatus {
        var status: Int32 = 0
        guard retrying({ waitpid(pid, &status, 0) }) >= 0 else { throw SystemError("wait", "pid \(pid)") }
        return WaitStatus(raw: status)
    }
}

/// A child's wait status, decoded (the W* macros Swift cannot import).
public struct WaitStatus: Sendable, Equatable {
    public let raw: Int32

    public init(raw: Int32) { self.raw = raw }

    /// The exit code when the process exited.
    public var exitCode: Int32? { raw & 0x7f == 0 ? (raw >> 8) & 0xff : nil }
    /// The signal that killed the process.
    public var signal: Int32? { raw & 0x7f != 0 && raw & 0x7f != 0x7f ? raw & 0x7f : nil }

    /// What a shell reports: the exit code, or 128 + the signal.
    public var shellCode: Int32 { exitCode ?? 128 + (signal ?? 0) }
}

/// The wall clock.
public enum WallClock {
    /// Now, in nanoseconds since the epoch (CLOCK_REALTIME).
    public static func nanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now.nanoseconds
    }

    /// Now, in whole seconds since the epoch (as rkt's download records keep it).
    public static func seconds() -> Double {
        Double(nanoseconds() / 1_000_000_000)
    }
}

extension timespec {
    /// The time in nanoseconds (since the epoch, for file and wall-clock times).
    public var nanoseconds: Int64 { Int64(tv_sec) * 1_000_000_000 + Int64(tv_nsec) }
}
