import Glibc
import GoCompat

/// Running a helper program (gpgv, gpg) to completion: the one process launcher.
public enum Subprocess {
    /// What a finished child left.
    public struct Output: Sendable {
        public var status: WaitStatus
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// The exit code, or 128 + the signal that killed it.
        public var code: Int32 { status.shellCode }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Why a program could not be run.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not found in PATH (Go's `exec: "gpgv": executable file not found in $PATH`).
        case notFound(String)
        /// A system call failed starting it, waiting for it or reading its output.
        case system(SystemError)

        public var description: String {
            switch self {
            case let .notFound(name): return "exec: \(goQuote(name)): executable file not found in $PATH"
            case let .system(error): return error.description
            }
        }
    }

    /// The most output kept from a child, per stream.
    public static let outputLimit = 16 << 20

    /// Runs `argv` (the first element looked up in PATH) with stdin from /dev/null and
    /// stdout/stderr captured in unnamed files under `scratch`. `passFD`, when given,
    /// becomes the child's descriptor 3. The child starts with no signal blocked and
    /// default dispositions, whatever this thread had.
    public static func run(_ argv: [String], passFD: Int32? = nil, scratch: String = "/tmp") throws(Failure) -> Output {
        guard let program = argv.first, let executable = findExecutable(program) else {
            throw .notFound(argv.first ?? "")
        }
        do throws(SystemError) {
            let out = try TemporaryFile(directory: scratch)
            let err = try TemporaryFile(directory: scratch)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, out.fd, 1)
            posix_spawn_file_actions_adddup2(&actions, err.fd, 2)
            if let passFD { posix_spawn_file_actions_adddup2(&actions, passFD, 3) }

            // Threads of Dispatch's pools block signals, and a spawned child would inherit
            // that mask: give the child an empty mask and default dispositions.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for p in cArgs { free(p) } }
            var pid: pid_t = 0
            let rc = executable.withCString { path in
                cArgs.withUnsafeBufferPointer { args -> Int32 in
                    guard let base = args.baseAddress else { return EINVAL }
                    return posix_spawn(&pid, path, &actions, &attributes, base, environ)
                }
            }
            guard rc == 0 else { throw SystemError("fork/exec", executable, code: rc) }
            let status = try Syscall.wait(pid)
            return Output(status: status, stdout: try out.contents(limit: outputLimit), stderr: try err.contents(limit: outputLimit))
        } catch {
            throw .system(error)
        }
    }

    /// The full path of `name` found in PATH (or `name` itself when it has a slash).
    public static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
