import GoCompat
import Glibc
import ImageKit

/// An unnamed file (`O_TMPFILE`) for reading and writing: it disappears with its last
/// descriptor, so a process killed half-way leaves nothing behind.
final class ScratchFile {
    let fd: Int32

    /// Creates the file in `directory` (which must exist).
    init(directory: String) throws(FetchError) {
        var fd = Glibc.open(directory, 0o20000000 | O_DIRECTORY | O_RDWR | O_CLOEXEC, 0o600)
        if fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
            // No O_TMPFILE on this file system: a named file, unlinked at once.
            var template = Array((directory + "/.fetch-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress.map { mkstemp($0) } ?? -1
            }
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                let name = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                unlink(name)
            }
        }
        guard fd >= 0 else { throw FetchError("open \(directory): \(errnoText(errno))") }
        self.fd = fd
    }

    deinit { close(fd) }

    /// A path that opens this file anew (from offset 0) in this process.
    var procPath: String { "/proc/self/fd/\(fd)" }

    /// The current size in bytes.
    var size: Int64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Appends `bytes` at the current position.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FetchError) {
        var done = 0
        while done < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FetchError("write: \(errnoText(errno))")
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8]) throws(FetchError) {
        var failure: FetchError?
        bytes.withUnsafeBytes { raw in
            do throws(FetchError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Empties the file and rewinds it.
    func truncate() {
        _ = ftruncate(fd, 0)
        lseek(fd, 0, SEEK_SET)
    }

    /// The whole content (refusing more than `limit` bytes).
    func contents(limit: Int) throws(FetchError) -> [UInt8] {
        guard size <= Int64(limit) else { throw FetchError("file is larger than \(limit) bytes") }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FetchError("read: \(errnoText(errno))")
            }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
            offset += off_t(n)
        }
    }
}

/// What a finished child process left.
struct ProcessOutput {
    var status: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

enum Subprocess {
    /// Runs `argv` (the first element looked up in PATH) with stdin from /dev/null and
    /// stdout/stderr captured in unnamed files. `passFD`, when given, becomes the
    /// child's descriptor 3. Returns the exit status (128+signal when killed).
    static func run(_ argv: [String], passFD: Int32? = nil, scratch: String = "/tmp") throws(FetchError) -> ProcessOutput {
        guard let program = argv.first, let executable = findExecutable(program) else {
            throw FetchError("exec: \(goQuote(argv.first ?? "")): executable file not found in $PATH")
        }
        let out = try ScratchFile(directory: scratch)
        let err = try ScratchFile(directory: scratch)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out.fd, 1)
        posix_spawn_file_actions_adddup2(&actions, err.fd, 2)
        if let passFD { posix_spawn_file_actions_adddup2(&actions, passFD, 3) }

        // Threads of Dispatch's pools block signals, and a spawned child would inherit that
        // mask: give the child an empty mask and default dispositions.
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
        guard rc == 0 else { throw FetchError("fork/exec \(executable): \(errnoText(rc))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw FetchError("wait: \(errnoText(errno))") }
        }
        let code: Int32
        if status & 0x7f == 0 { code = (status >> 8) & 0xff } else { code = 128 + (status & 0x7f) }
        return ProcessOutput(status: code, stdout: try out.contents(limit: 16 << 20), stderr: try err.contents(limit: 16 << 20))
    }

    /// The full path of `name` found in PATH (or `name` itself when it has a slash).
    static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

enum Paths {
    /// Go's `filepath.Abs`.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return GoPath.clean(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let cwd = getcwd(&buffer, buffer.count) != nil ? stringFromCBuffer(buffer) : "/"
        return GoPath.clean(cwd + "/" + path)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir -p` with mode 0755 (Go's `os.MkdirAll`).
    static func makeDirectories(_ path: String) throws(FetchError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw FetchError("mkdir \(current): \(errnoText(errno))")
            }
        }
    }

    /// A whole small file, with Go's `open P: ...` error text.
    static func read(_ path: String, limit: Int = 16 << 20) throws(FetchError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path, limit: limit)
        } catch {
            throw FetchError(error.description)
        }
    }

    /// Writes `bytes` to `path` with `mode` (Go's `ioutil.WriteFile`: create or truncate).
    static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(FetchError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FetchError("open \(path): \(errnoText(errno))") }
        defer { close(fd) }
        try writeAll(fd: fd, bytes, path: path)
    }

    /// Directory entries (not `.`/`..`), sorted by bytes as Go's `filepath.Walk` visits them.
    static func entries(_ path: String) -> [String] {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        return ((try? DirectoryWalk.names(in: fd, path: path)) ?? []).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A fresh private directory (mode 0700) under `parent`.
    static func makeTemporaryDirectory(in parent: String) throws(FetchError) -> String {
        var template = Array((parent + "/.fetch-XXXXXX").utf8CString)
        let ok = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        guard ok else { throw FetchError("mkdtemp \(parent): \(errnoText(errno))") }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes a directory tree (best effort).
    static func removeTree(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            unlink(path)
            return
        }
        try? DirectoryWalk.run(fd, rootPath: path, failure: { $0 }, visit: { (entry) throws(SystemError) -> Bool in
            if !entry.isDirectory { DirectoryWalk.withCName(entry.name) { _ = unlinkat(entry.parent, $0, 0) } }
            return entry.isDirectory
        }, leave: { (entry, _) throws(SystemError) in
            DirectoryWalk.withCName(entry.name) { _ = unlinkat(entry.parent, $0, AT_REMOVEDIR) }
        })
        close(fd)
        rmdir(path)
    }
}

/// True when `fd` is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Writes all of `bytes` to `fd`.
func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws(FetchError) {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return Glibc.write(fd, base + done, raw.count - done)
        }
        if n < 0 {
            if errno == EINTR { continue }
            throw FetchError("write \(path): \(errnoText(errno))")
        }
        done += n
    }
}

/// The text of a NUL-terminated C buffer.
func stringFromCBuffer(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
