import AppcSchema
import CLinux
import Glibc
import GoCompat
import ImageFetch
import ImageRender
import LinuxSystem

/// `rkt debug`: a session in a running pod with a tools image's files, joined to an
/// app's pid, network, ipc and uts namespaces, without restarting or changing the pod.
/// The session runs in a mount namespace of its own, built in C
/// (`clinux_debug_session`); nothing of it is left in the pod when it ends.
public enum PodDebug {
    /// Where the session's root comes from.
    public enum Mode: Sendable {
        /// The tools image's tree (its writes thrown away at the end), the app's root
        /// live at `/target`: dynamically linked tools work in an app without a libc.
        case toolsRoot
        /// The app's own root, live, with the tools at `toolsDirectory` (static tools only).
        case appRoot
    }

    /// The session a user asked for.
    public struct Request: Sendable {
        /// The app to debug; nil: the pod's only app.
        public var app: String?
        /// What `rkt run` takes; nil: `defaultToolsImage`, from the store.
        public var image: String?
        public var mode: Mode = .toolsRoot
        /// `--user=UID[:GID]`; nil: root.
        public var user: (uid: UInt32, gid: UInt32)?
        /// Empty: an interactive shell.
        public var command: [String] = []
        /// The caller's TERM.
        public var term: String?
        public var fetch: FetchOptions

        public init(fetch: FetchOptions) { self.fetch = fetch }
    }

    /// The tools image `rkt debug` uses without `--image`: ours, found by name in the store.
    public static let defaultToolsImage = "example.com/debug-tools"
    /// Where `--chroot` sessions find the tools.
    public static let toolsDirectory = "/.rkt-debug"
    /// Where the app's root is in a `toolsRoot` session.
    public static let targetDirectory = "/target"
    static let sysPtrace: UInt64 = 1 << 19

    /// What a session debugs.
    public enum Target: Sendable {
        /// A pod: running (a live session), or exited and not yet collected (a throwaway
        /// session on an app's files as the pod left them).
        case pod(Pod)
        /// An image, as `rkt run` takes it: a throwaway session on a fresh root of it.
        case image(String)
    }

    /// The app a session is about, wherever it comes from.
    struct Subject {
        let app: String
        let runtime: AppRuntime
        /// The running pod's init; nil for a throwaway session.
        let initPID: Int32?
        /// Throwaway sessions: the app's files, top layer first (host paths).
        let layers: [String]
        let hostname: String
        let state: PodDebugState
        let banner: String
    }

    /// Runs the session and waits for it. Returns what a shell would: the command's exit
    /// code, or 128 + the signal that ended it.
    public static func run(_ request: Request, target: Target, pods: PodStore, log: @escaping (String) -> Void) throws(PodError) -> Int32 {
        let runner = PodRunner(dataDirectory: pods.dataDirectory, debug: request.fetch.debug, log: log)
        let subject = try subject(target, request: request, pods: pods, runner: runner)
        subject.state.sweep(podInit: subject.initPID)
        let tools = try toolsImage(request, runner: runner)
        let toolsPath = tools.manifest.app?.environment.first { $0.name == "PATH" }?.value ?? AppRuntimeBuilder.defaultPath
        let runtime = subject.runtime
        let appPath = runtime.environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? AppRuntimeBuilder.defaultPath
        let path: String
        switch request.mode {
        case .toolsRoot: path = joinedPath(toolsPath, appPath)
        case .appRoot: path = joinedPath(appPath, toolsPath.split(separator: ":").map { toolsDirectory + $0 }.joined(separator: ":"))
        }
        var environment = runtime.environment.filter { !$0.hasPrefix("PATH=") && !$0.hasPrefix("TERM=") }
        environment.append("PATH=" + path)
        environment.append("TERM=" + (request.term ?? "vt100"))

        var command = request.command
        if command.isEmpty { command = ["sh"] }
        let appRoots = subject.initPID.map { [PodEnter.appRoot(app: subject.app, initPID: $0)] } ?? subject.layers
        let view = try SessionView(mode: request.mode, tools: tools.tree.rootfs, app: appRoots)
        guard let found = view.findCommand(command[0], path: path) else {
            throw .invalid("cannot run \(goQuote(command[0])) in the session: not found in its PATH (\(path))")
        }
        if request.mode == .appRoot, let loader = view.loader(of: found), !view.isExecutable(loader) {
            throw .invalid(
                "--chroot needs static tools: \(goQuote(found)) needs \(goQuote(loader)), which is not in the app's root; run it without --chroot (the tools image's root, the app's at \(targetDirectory))"
            )
        }

        let session = try subject.state.open(app: subject.app, mode: request.mode)
        defer { session.close() }
        if request.mode == .toolsRoot {
            // gdb looks for the app's binaries and libraries under /target.
            try session.addToolsFile("etc/gdb/gdbinit.d/rkt-debug.gdb", "set sysroot \(targetDirectory)\n")
        }
        let interactive = request.command.isEmpty && isatty(0) == 1
        var master: Int32 = -1, slave: Int32 = -1
        if interactive, let initPID = subject.initPID {
            let code = clinux_open_pty(PodEnter.appRoot(app: subject.app, initPID: initPID) + "/dev/pts/ptmx", &master, &slave)
            guard code == 0 else { throw .invalid("opening a terminal in the app's /dev/pts: \(errnoText(code))") }
        }
        defer {
            if master >= 0 { Glibc.close(master) }
            if slave >= 0 { Glibc.close(slave) }
        }
        log(subject.banner)

        let (uid, gid) = request.user ?? (0, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        let texts = [
            Pod.appRootInPod(subject.app), tools.tree.rootfs, session.upper, session.work, toolsDirectory,
            request.mode == .toolsRoot ? "/" : runtime.workingDirectory, session.targetUpper, session.targetWork,
            session.mountPoint, subject.hostname,
        ]
        let strings = texts.map { strdup($0) }
        var layers: [UnsafePointer<CChar>?] = subject.layers.map { UnsafePointer(strdup($0)) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
            for p in strings { free(p) }
            for p in layers { free(UnsafeMutablePointer(mutating: p)) }
        }
        var failedStep: Int32 = 0
        let status: Int32 = argv.withUnsafeMutableBufferPointer { argvBuffer in
            envp.withUnsafeMutableBufferPointer { envBuffer in
                layers.withUnsafeMutableBufferPointer { layerBuffer in
                    var spec = clinux_debug_spec()
                    spec.pid = subject.initPID ?? 0
                    spec.approot = UnsafePointer(strings[0])
                    spec.mode = request.mode == .toolsRoot ? Int32(CLINUX_DEBUG_TOOLS_ROOT) : Int32(CLINUX_DEBUG_APP_ROOT)
                    spec.tools_tree = UnsafePointer(strings[1])
                    spec.tools_upper = UnsafePointer(strings[2])
                    spec.tools_work = UnsafePointer(strings[3])
                    spec.tools_dir = UnsafePointer(strings[4])
                    spec.cwd = UnsafePointer(strings[5])
                    spec.target_layers = UnsafePointer(layerBuffer.baseAddress)
                    spec.target_upper = UnsafePointer(strings[6])
                    spec.target_work = UnsafePointer(strings[7])
                    spec.mount_point = UnsafePointer(strings[8])
                    spec.hostname = UnsafePointer(strings[9])
                    spec.argv = UnsafePointer(argvBuffer.baseAddress)
                    spec.envp = UnsafePointer(envBuffer.baseAddress)
                    spec.uid = uid
                    spec.gid = gid
                    spec.ngroups = 0
                    spec.caps = runtime.capabilities | sysPtrace
                    spec.pty_master = master
                    spec.pty_slave = slave
                    spec.make_pty = interactive && subject.initPID == nil ? 1 : 0
                    spec.record_fd = session.recordFD
                    OpenFileLimit.restore()
                    return clinux_debug_session(&spec, &failedStep)
                }
            }
        }
        if status < 0 {
            let hint =
                request.mode == .appRoot && failedStep == Int32(CLINUX_DEBUG_STEP_EXEC) && -status == ENOENT
                ? " (--chroot needs static tools: a link or loader it needs is not in the app's root; run it without --chroot)" : ""
            throw .invalid("\(stepText(failedStep, command: command[0])): \(errnoText(-status))\(hint)")
        }
        return WaitStatus(raw: status).shellCode
    }

    /// The app, its settings and its files, for each kind of target.
    static func subject(_ target: Target, request: Request, pods: PodStore, runner: PodRunner) throws(PodError) -> Subject {
        switch target {
        case .pod(let pod):
            let app = try appName(request.app, in: pod)
            let runtime = try Stage1Launcher.runtime(of: pod, app: app)
            let state = try PodDebugState(pod: pod)
            switch pod.state {
            case .running:
                return Subject(
                    app: app, runtime: runtime, initPID: try PodEnter.initPID(of: pod, pods: pods), layers: [],
                    hostname: "", state: state,
                    banner: "debug: session in app \(goQuote(app)) of pod \(goQuote(pod.uuid)): "
                        + (request.mode == .toolsRoot
                            ? "the tools' root, the app's at \(targetDirectory) (live); the session's own changes are thrown away at its end"
                            : "the app's root (live), the tools at \(toolsDirectory)"))
            case .exited, .exitedGarbage:
                // The app's files as it left them: its overlay's upper directory over its trees.
                let layers = [pod.path + "/" + PodPath.overlay(app).upper] + (try pods.appTrees(of: pod, app: app))
                return Subject(
                    app: app, runtime: runtime, initPID: nil, layers: layers, hostname: "rkt-" + pod.uuid, state: state,
                    banner:
                        "debug: throwaway session on app \(goQuote(app)) as exited pod \(goQuote(pod.uuid)) left it: the app is not run, and every change is thrown away when the session ends"
                )
            default:
                throw .invalid("pod \(goQuote(pod.uuid)) is \(pod.state.rawValue): only a running pod, or one that ran and has not been collected, can be debugged")
            }
        case .image(let reference):
            let (manifest, tree) = try runner.renderedImage(reference, fetch: request.fetch)
            let name = request.app ?? String(manifest.name.value.split(separator: "/").last ?? "app")
            let app = manifest.app ?? App(user: "0", group: "0")
            let runtime = try AppRuntimeBuilder(rootfs: tree.rootfs).build(
                name: name, app: app, mounts: [], environment: EnvironmentOverrides(), allCapabilities: false)
            return Subject(
                app: name, runtime: runtime, initPID: nil, layers: [tree.rootfs], hostname: "rkt-debug",
                state: try PodDebugState(directory: pods.dataDirectory + "/debug"),
                banner:
                    "debug: throwaway session on a fresh root of image \(goQuote(manifest.name.value)): the app is not run, and every change is thrown away when the session ends")
        }
    }

    /// `--image`, or our tools image from the store.
    static func toolsImage(_ request: Request, runner: PodRunner) throws(PodError) -> (manifest: ImageManifest, tree: RenderedTree) {
        if let image = request.image { return try runner.renderedImage(image, fetch: request.fetch) }
        var options = request.fetch
        options.pullPolicy = .never
        do throws(PodError) {
            return try runner.renderedImage(defaultToolsImage, fetch: options)
        } catch {
            throw .invalid(
                "no tools image: \(goQuote(defaultToolsImage)) is not in the store; fetch it (make images builds it: rkt --insecure-options=image fetch out/images/debug-tools.aci) or pass --image=IMAGE"
            )
        }
    }

    /// An open session, as `rkt status` lists it.
    public struct OpenSession: Sendable {
        public let id: String
        public let app: String
        /// The host pid of the session's reaper (in the pod's pid namespace).
        public let pid: String
    }

    /// When `pod` was first debugged (nanoseconds since the epoch), and its open sessions.
    public static func status(of pod: Pod) -> (debuggedAt: Int64?, sessions: [OpenSession]) {
        guard let state = PodDebugState.existing(pod) else { return (nil, []) }
        let sessions = pod.state == .running ? state.openSessions().map { OpenSession(id: $0.id, app: $0.app, pid: $0.pid) } : []
        return (state.debuggedAt, sessions)
    }

    /// Clears what throwaway sessions on images left when their `rkt debug` was killed
    /// (`rkt gc` calls it; a pod's sessions go with the pod).
    public static func sweepImageSessions(dataDirectory: String) {
        guard access(dataDirectory + "/debug", F_OK) == 0, let state = try? PodDebugState(directory: dataDirectory + "/debug") else { return }
        state.sweep(podInit: nil)
    }

    /// The app to debug: `name`, or the pod's only app.
    static func appName(_ name: String?, in pod: Pod) throws(PodError) -> String {
        let names = pod.appNames()
        guard let name else {
            guard names.count == 1 else {
                throw .invalid("pod \(goQuote(pod.uuid)) has several apps (\(names.joined(separator: ", "))): choose one with --app=NAME")
            }
            return names[0]
        }
        guard names.contains(name) else { throw .invalid("pod \(goQuote(pod.uuid)) has no app \(goQuote(name))") }
        return name
    }

    /// `first`'s directories, then those of `second` not among them.
    static func joinedPath(_ first: String, _ second: String) -> String {
        var seen = Set(first.split(separator: ":"))
        let extra = second.split(separator: ":").filter { seen.insert($0).inserted }
        return ([first] + extra.map(String.init)).joined(separator: ":")
    }

    static func stepText(_ step: Int32, command: String) -> String {
        switch step {
        case Int32(CLINUX_DEBUG_STEP_TOOLS): return "mounting the tools image"
        case Int32(CLINUX_DEBUG_STEP_NAMESPACES): return "joining the pod's namespaces"
        case Int32(CLINUX_DEBUG_STEP_ROOT): return "building the session's root"
        case Int32(CLINUX_DEBUG_STEP_TERMINAL): return "taking the terminal"
        case Int32(CLINUX_DEBUG_STEP_CHDIR): return "changing directory"
        case Int32(CLINUX_DEBUG_STEP_CREDENTIALS): return "setting the session's credentials"
        case Int32(CLINUX_DEBUG_STEP_EXEC): return "executing \(goQuote(command))"
        default: return "starting the session"
        }
    }
}

/// The session's root as seen from here, before the session exists: for finding its
/// commands and what they need. Paths are resolved inside the tools' tree or the app's
/// root (CRootPath), as the session's mounts will place them.
struct SessionView {
    let mode: PodDebug.Mode
    let tools: RootDirectory
    /// The app's files: its root, or the layers of a throwaway session, top first.
    let app: [RootDirectory]

    init(mode: PodDebug.Mode, tools: String, app: [String]) throws(PodError) {
        self.mode = mode
        do throws(SystemError) {
            self.tools = try RootDirectory(path: tools)
            self.app = try app.map { (path) throws(SystemError) in try RootDirectory(path: path) }
        } catch {
            throw .system(error)
        }
    }

    /// The directory a session path is in, and the path inside it (for the app's
    /// layers, the top one that has it).
    func locate(_ path: String) -> (RootDirectory, String) {
        func inApp(_ inner: String) -> (RootDirectory, String) {
            (app.first { $0.exists(inner) } ?? app[0], inner)
        }
        switch mode {
        case .toolsRoot:
            let prefix = PodDebug.targetDirectory + "/"
            return path.hasPrefix(prefix) ? inApp(String(path.dropFirst(prefix.count - 1))) : (tools, path)
        case .appRoot:
            let prefix = PodDebug.toolsDirectory + "/"
            return path.hasPrefix(prefix) ? (tools, String(path.dropFirst(prefix.count - 1))) : inApp(path)
        }
    }

    /// Whether the session path `path` is an executable regular file.
    func isExecutable(_ path: String) -> Bool {
        let (root, inner) = locate(path)
        guard let info = try? root.status(inner) else { return false }
        return info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o111 != 0
    }

    /// Where execvp will find `name` in the session (a session path).
    func findCommand(_ name: String, path: String) -> String? {
        let candidates = name.contains("/") ? [name.hasPrefix("/") ? name : "/" + name] : path.split(separator: ":").map { $0 + "/" + name }
        return candidates.first(where: isExecutable)
    }

    /// What the kernel needs to run the session path `path`: an ELF file's program
    /// interpreter (PT_INTERP), a script's `#!` interpreter; nil for a static binary.
    func loader(of path: String) -> String? {
        let (root, inner) = locate(path)
        guard let handle = try? root.open(inner) else { return nil }
        defer { close(handle) }
        guard let file = try? RootDirectory.reopen(handle, flags: O_RDONLY, path: path) else { return nil }
        defer { close(file) }
        var header = [UInt8](repeating: 0, count: 64)
        let n = pread(file, &header, 64, 0)
        if n > 2, header[0] == 0x23, header[1] == 0x21 {  // "#!"
            let line = header[2..<n].prefix { $0 != 0x0a }
            return String(decoding: line, as: UTF8.self).split(separator: " ").first.map(String.init)
        }
        return n == 64 ? Self.interpreter(elf: file, header: header) : nil
    }

    /// PT_INTERP of a little-endian 64-bit ELF file, if it has one.
    static func interpreter(elf file: Int32, header: [UInt8]) -> String? {
        guard header[0...3] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2, header[5] == 1 else { return nil }
        func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
        func u64(_ b: [UInt8], _ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
        let phoff = u64(header, 0x20), phentsize = u16(header, 0x36), phnum = u16(header, 0x38)
        guard phentsize >= 56, phnum < 4096, phoff >= 0 else { return nil }
        var entry = [UInt8](repeating: 0, count: 56)
        for index in 0..<phnum {
            guard pread(file, &entry, 56, off_t(phoff + index * phentsize)) == 56 else { return nil }
            guard u16(entry, 0) == 3 else { continue }  // PT_INTERP
            let offset = u64(entry, 0x08), size = min(max(u64(entry, 0x20), 0), 4096)
            var text = [UInt8](repeating: 0, count: size)
            guard pread(file, &text, size, off_t(offset)) == size else { return nil }
            return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
        }
        return nil
    }
}
