import Glibc

/// The soft limit on open files: raised at start to the hard limit (what Go's runtime
/// does), and put back before this process execs something else (stage1, an app, a
/// command entered into a pod), which must start with the limit the user gave.
public enum OpenFileLimit {
    nonisolated(unsafe) private static var original: rlimit?

    public static func raise() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        original = limit
        limit.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 { original = nil }
    }

    public static func restore() {
        guard var limit = original else { return }
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
