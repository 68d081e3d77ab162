import AppcSchema
import CSeccomp
import Glibc
import GoCompat
import LinuxSystem

/// An app's seccomp filter as rkt's stage1 derived it from the app's isolators
/// (`stage1/init/common/seccomp.go`), and the classic BPF program that enforces it.
///
/// - No seccomp isolator: rkt's default filter, `@rkt/default-blacklist` removed.
/// - `os/linux/seccomp-remove-set`: the listed calls are refused, every other allowed;
///   `@appc.io/empty` as the set means rkt's default whitelist retained instead.
/// - `os/linux/seccomp-retain-set`: only the listed calls are allowed; `@appc.io/all`
///   in the set means no filter at all.
/// - A refused call kills the process with SIGSYS, or fails with the isolator's `errno`.
public struct SeccompFilter: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable {
        /// The calls are refused (a blacklist).
        case remove
        /// Only the calls are allowed (a whitelist).
        case retain

        /// The name of the isolator that sets a filter of this mode.
        public var isolatorName: String { self == .retain ? IsolatorName.seccompRetainSet : IsolatorName.seccompRemoveSet }

        /// The value of that isolator for `set`.
        public func isolatorValue(_ set: SeccompSet) -> IsolatorValue {
            self == .retain ? .seccompRetainSet(set) : .seccompRemoveSet(set)
        }
    }

    public var mode: Mode
    /// The set as the isolator wrote it (group names unexpanded).
    public var set: [String]
    /// The calls, groups expanded, in order, without repeats.
    public var syscalls: [String]
    /// The errno name a refused call returns; empty: the process is killed by SIGSYS.
    public var errno: String

    public init(mode: Mode, set: [String], syscalls: [String], errno: String) {
        self.mode = mode
        self.set = set
        self.syscalls = syscalls
        self.errno = errno
    }

    /// The isolator that sets this filter (rkt's default spelled out as the remove set it is).
    public var isolator: Isolator? {
        guard let identifier = try? ACIdentifier(mode.isolatorName) else { return nil }
        return try? Isolator(name: identifier, value: mode.isolatorValue(SeccompSet(set: set, errno: errno)))
    }

    /// rkt's filter for apps without a seccomp isolator.
    public static let rktDefault = SeccompFilter(mode: .remove, set: ["@rkt/default-blacklist"], syscalls: SyscallGroups.rktBlacklist, errno: "")

    /// Calls a retain set always allows, as systemd's SystemCallFilter (which rkt's stage1
    /// used) did: the app could not even be started, or end, without them.
    static let alwaysAllowed = ["execve", "exit", "exit_group", "rt_sigreturn"]

    /// Calls younger than rkt's lists that the C library tries first and replaces with an
    /// older call when the kernel says ENOSYS. A retain set that does not name them
    /// refuses them with ENOSYS rather than its own action, so that programs built
    /// against today's glibc start at all (glibc registers rseq in every process).
    static let fallbackCalls = [
        "rseq", "clone3", "statx", "faccessat2", "close_range", "openat2", "epoll_pwait2", "fchmodat2",
        "futex_waitv", "pidfd_open", "pidfd_send_signal", "mount_setattr",
    ]

    /// The filter of app `app` with `isolators` (the app's, command-line overrides
    /// applied), or nil when the app runs unfiltered (`@appc.io/all` retained).
    public static func forApp(_ app: String, isolators: [Isolator]) throws(SeccompError) -> SeccompFilter? {
        let sets = isolators.compactMap { isolator -> (Mode, SeccompSet)? in
            switch isolator.value {
            case .seccompRemoveSet(let set)?: return (.remove, set)
            case .seccompRetainSet(let set)?: return (.retain, set)
            default: return nil
            }
        }
        guard let (mode, set) = sets.first else { return rktDefault }
        if sets.count > 1 {
            throw sets.contains(where: { $0.0 != mode }) ? .bothSets(app: app) : .tooMany(app: app)
        }
        func fail(_ problem: SeccompError.Problem) -> SeccompError { .invalid(app: app, isolator: mode.isolatorName, problem) }
        if !set.errno.isEmpty, ErrnoName.value(of: set.errno) == nil { throw fail(.unknownErrno(set.errno)) }
        var calls: [String] = []
        var seen: Set<String> = []
        for entry in set.set {
            if entry.hasPrefix("@") {
                switch entry {
                case "@appc.io/all":
                    if mode == .retain { return nil }
                    // Removing every call: nothing could run, not even the app's exec.
                    throw fail(.unusableGroup(entry))
                case "@appc.io/empty":
                    if mode == .remove {
                        return SeccompFilter(mode: .retain, set: ["@rkt/default-whitelist"], syscalls: SyscallGroups.rktWhitelist, errno: set.errno)
                    }
                    continue
                default:
                    guard let group = SyscallGroups.calls(entry) else { throw fail(.unknownGroup(entry)) }
                    for call in group where seen.insert(call).inserted { calls.append(call) }
                }
            } else {
                guard seccomp_syscall_resolve_name(entry) != __NR_SCMP_ERROR else { throw fail(.unknownSyscall(entry)) }
                if seen.insert(entry).inserted { calls.append(entry) }
            }
        }
        return SeccompFilter(mode: mode, set: set.set, syscalls: calls, errno: set.errno)
    }

    /// The program for this machine's architecture: `struct sock_filter` entries, 8 bytes
    /// each, as `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)` takes them.
    public func program() throws(SeccompError) -> [UInt8] {
        let refuse = errno.isEmpty ? SCMP_ACT_KILL_PROCESS : cseccomp_act_errno(UInt16(ErrnoName.value(of: errno) ?? EPERM))
        let allow = SCMP_ACT_ALLOW
        guard let context = seccomp_init(mode == .retain ? refuse : allow) else { throw .library("seccomp_init", ENOMEM) }
        defer { seccomp_release(context) }
        func add(_ call: String, _ action: UInt32) throws(SeccompError) {
            let number = seccomp_syscall_resolve_name(call)
            // Names of other architectures' calls (chown32, _llseek) have no rule here.
            guard number != __NR_SCMP_ERROR else { throw .library("seccomp_syscall_resolve_name \(call)", EINVAL) }
            let result = seccomp_rule_add_array(context, action, number, 0, nil)
            if result < 0, result != -EDOM { throw .library("seccomp_rule_add \(call)", -result) }
        }
        switch mode {
        case .remove:
            for call in syscalls { try add(call, refuse) }
        case .retain:
            for call in syscalls { try add(call, allow) }
            for call in Self.alwaysAllowed where !syscalls.contains(call) { try add(call, allow) }
            let enosys = cseccomp_act_errno(UInt16(ENOSYS))
            if enosys != refuse {
                for call in Self.fallbackCalls where !syscalls.contains(call) && seccomp_syscall_resolve_name(call) >= 0 {
                    try add(call, enosys)
                }
            }
        }
        return try Self.export(context)
    }

    /// libseccomp writes the program to a descriptor: a pipe, read back whole (a program
    /// the kernel takes at most 4096 entries, 32 KiB, within a pipe's buffer).
    private static func export(_ context: scmp_filter_ctx) throws(SeccompError) -> [UInt8] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .library("pipe", Glibc.errno) }
        defer { close(fds[0]) }
        // A program past the pipe's 64 KiB fails to write rather than blocking forever.
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        let result = seccomp_export_bpf(context, fds[1])
        close(fds[1])
        guard result == 0 else { throw .library("seccomp_export_bpf", -result) }
        var program: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0, Glibc.errno == EINTR { continue }
            guard count >= 0 else { throw .library("read", Glibc.errno) }
            if count == 0 { break }
            program += buffer[0..<count]
        }
        guard !program.isEmpty, program.count % 8 == 0, program.count <= 4096 * 8 else { throw .tooLarge(entries: program.count / 8) }
        return program
    }
}

/// Why an app's seccomp filter cannot be made.
public enum SeccompError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with one isolator's value.
    public enum Problem: Equatable, Sendable {
        case unknownSyscall(String)
        case unknownGroup(String)
        case unusableGroup(String)
        case unknownErrno(String)
    }

    case invalid(app: String, isolator: String, Problem)
    /// Both a remove set and a retain set.
    case bothSets(app: String)
    /// Two sets of one kind (appc allows one per app).
    case tooMany(app: String)
    case tooLarge(entries: Int)
    /// libseccomp or the kernel refused: the call and the errno value.
    case library(String, Int32)

    public var description: String {
        switch self {
        case .invalid(let app, let isolator, let problem):
            let what: String
            switch problem {
            case .unknownSyscall(let name): what = "unknown syscall \(goQuote(name))"
            case .unknownGroup(let name):
                what =
                    "unknown syscall group \(goQuote(name)) (known: @appc.io/all, @appc.io/empty, @rkt/default-blacklist, @rkt/default-whitelist, @docker/default-blacklist, @docker/default-whitelist)"
            case .unusableGroup(let name): what = "\(name) cannot be removed: the app could not run"
            case .unknownErrno(let name): what = "unknown errno \(goQuote(name)) (see man 3 errno)"
            }
            return "app \(goQuote(app)): \(isolator): \(what)"
        case .bothSets(let app):
            return "app \(goQuote(app)): both \(IsolatorName.seccompRemoveSet) and \(IsolatorName.seccompRetainSet) are set; an app takes one"
        case .tooMany(let app):
            return "app \(goQuote(app)): too many seccomp isolators specified"
        case .tooLarge(let entries):
            return "seccomp filter of \(entries) instructions is too large for the kernel (at most 4096)"
        case .library(let call, let code):
            return "seccomp: \(call): \(errnoText(code))"
        }
    }
}
