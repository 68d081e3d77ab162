import CLinux
import Glibc
import GoCompat
import LinuxSystem

/// `rkt enter`'s mechanism: a command run inside a running pod as a process of one of
/// its apps (its namespaces, root, credentials, capability bounding set and
/// no_new_privs), with this process's stdin, stdout and stderr. The joining is done in
/// C between fork and exec (`clinux_pod_enter`), where a single-threaded process can
/// call setns; this is its one Swift caller.
public enum PodEnter {
    /// The step at which entering failed, as `clinux_pod_enter` reports it.
    public enum Step: Int32, Sendable {
        case spawn, namespaces, chroot, chdir, credentials, exec, seccomp

        init(reported value: Int32) {
            switch value {
            case Int32(CLINUX_ENTER_STEP_NAMESPACES): self = .namespaces
            case Int32(CLINUX_ENTER_STEP_CHROOT): self = .chroot
            case Int32(CLINUX_ENTER_STEP_CHDIR): self = .chdir
            case Int32(CLINUX_ENTER_STEP_CREDENTIALS): self = .credentials
            case Int32(CLINUX_ENTER_STEP_EXEC): self = .exec
            case Int32(CLINUX_ENTER_STEP_SECCOMP): self = .seccomp
            default: self = .spawn
            }
        }

        /// What was being done, for the message (`executing "sh": no such file or directory`).
        func text(command: String) -> String {
            switch self {
            case .spawn: return "entering the pod"
            case .namespaces: return "joining the pod's namespaces"
            case .chroot: return "chroot into the app"
            case .chdir: return "changing directory"
            case .credentials: return "setting the app's credentials"
            case .exec: return "executing \(goQuote(command))"
            case .seccomp: return "installing the app's seccomp filter"
            }
        }
    }

    /// The pod init's pid, waiting (100 ms steps) while the pod runs but has not written it yet.
    public static func initPID(of pod: Pod, pods: PodStore) throws(PodError) -> Int32 {
        var current = pod
        while true {
            if let pid = current.initPID { return pid }
            usleep(100_000)
            guard let reloaded = pods.load(pod.uuid, folder: .run), reloaded.state == .running else {
                throw .notRunning(pod.uuid)
            }
            current = reloaded
        }
    }

    /// The app's root as seen from the host through the pod init (`/proc/PID/root/...`).
    public static func appRoot(app: String, initPID: Int32) -> String {
        "/proc/\(initPID)/root" + Pod.appRootInPod(app)
    }

    /// Whether `name` resolves to an executable inside the app root the way execvp will.
    public static func findCommand(_ name: String, appRoot: String, path: String) -> Bool {
        let candidates =
            name.contains("/")
            ? [name.hasPrefix("/") ? name : "/" + name]
            : path.split(separator: ":").map { String($0) + "/" + name }
        return candidates.contains { access(appRoot + $0, X_OK) == 0 }
    }

    /// Runs `command` in app `runtime` of the pod whose init is `initPID`, with exactly
    /// `environment` and under the app's seccomp filter `seccomp` (its program; nil:
    /// none), and waits for it. Returns what a shell would: the exit code, or
    /// 128 + the signal that ended it.
    public static func run(
        _ command: [String], app runtime: AppRuntime, initPID: Int32,
        environment: [String], seccomp: [UInt8]? = nil
    ) throws(PodError) -> Int32 {
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        let root = strdup(Pod.appRootInPod(runtime.name)), cwd = strdup(runtime.workingDirectory)
        defer {
            free(root)
            free(cwd)
        }
        var groups = runtime.supplementaryGIDs.map { UInt32($0) }
        var failedStep: Int32 = 0
        let program = seccomp ?? []
        let status: Int32 = argv.withUnsafeMutableBufferPointer { argvBuffer in
            envp.withUnsafeMutableBufferPointer { envBuffer in
                groups.withUnsafeMutableBufferPointer { groupBuffer in
                    program.withUnsafeBytes { programBuffer in
                        var spec = clinux_enter_spec()
                        spec.pid = initPID
                        spec.approot = UnsafePointer(root)
                        spec.cwd = UnsafePointer(cwd)
                        spec.argv = UnsafePointer(argvBuffer.baseAddress)
                        spec.envp = UnsafePointer(envBuffer.baseAddress)
                        spec.uid = runtime.uid
                        spec.gid = runtime.gid
                        spec.ngroups = groupBuffer.count
                        spec.groups = UnsafePointer(groupBuffer.baseAddress)
                        spec.caps = runtime.capabilities
                        spec.seccomp = seccomp == nil ? nil : programBuffer.baseAddress
                        spec.seccomp_size = programBuffer.count
                        OpenFileLimit.restore()  // the command gets the user's limit, not rkt's raised one
                        return clinux_pod_enter(&spec, &failedStep)
                    }
                }
            }
        }
        if status < 0 {
            throw .invalid("\(Step(reported: failedStep).text(command: command.first ?? "")): \(errnoText(-status))")
        }
        return WaitStatus(raw: status).shellCode
    }
}
