import AppcSchema
import Cgroups
import FoundationEssentials
import Glibc
import GoCompat
import ImageKit
import LinuxSystem
import Seccomp

/// Everything stage1 needs to start one app, and `rkt enter` to join it: computed once
/// at prepare time from the image, the pod manifest and the command line, and kept in
/// `appsinfo/APP/runtime.json` (the environment also in rkt's `stage1/rootfs/rkt/env/APP`).
public struct AppRuntime: Codable, Sendable, Equatable {
    public var name: String
    /// argv; `exec[0]` absolute inside the app root, symlinks not resolved.
    public var exec: [String]
    /// `KEY=VALUE`, in rkt's env-file order.
    public var environment: [String]
    public var uid: UInt32
    public var gid: UInt32
    public var supplementaryGIDs: [UInt32]
    public var workingDirectory: String
    /// Capability bounding set, bit n = capability n.
    public var capabilities: UInt64
    /// Mount points of the app that get volumes: (volume name, path inside the app).
    public var mounts: [AppMount]
    public var readOnlyRootfs: Bool
    /// The `os/linux/no-new-privileges` isolator (rkt sets no_new_privs only then).
    public var noNewPrivileges: Bool
    /// The `os/linux/oom-score-adj` isolator or `--oom-score-adj`.
    public var oomScoreAdj: Int?
    /// appc event handlers, run as root in the app's root: before the app, after it ended.
    public var preStart: [String]?
    public var postStop: [String]?
    /// The app's seccomp filter; nil: none (`@appc.io/all` retained). Enforced unless the
    /// pod runs with `--insecure-options=seccomp`. (Optional also for pods prepared before.)
    public var seccomp: SeccompFilter?
    /// The app's cgroup limits, from its `resource/*` and `os/linux/cpu-shares` isolators.
    public var resources: AppResources?

    /// The `rkt/env/APP` file: one `KEY=VALUE` per line.
    public var environmentFile: String { environment.map { $0 + "\n" }.joined() }

    /// The seccomp program the app runs under (nil: none): its filter's, unless `enabled`
    /// is false (`--insecure-options=seccomp`).
    public func seccompProgram(enabled: Bool) throws(PodError) -> [UInt8]? {
        guard enabled, let seccomp else { return nil }
        do throws(SeccompError) {
            return try seccomp.program()
        } catch {
            throw .invalid(error.description)
        }
    }

    /// Whether the app gets no_new_privs: its isolator's say, or, as rkt's stage1 forced
    /// it, whenever a seccomp filter applies to an app that is not root.
    public func noNewPrivileges(seccomp enabled: Bool) -> Bool {
        noNewPrivileges || (enabled && seccomp != nil && uid != 0)
    }
}

/// A volume mounted into an app.
public struct AppMount: Codable, Sendable, Equatable {
    public var volume: String
    /// Path inside the app root, symlinks resolved inside the root.
    public var path: String
    public var readOnly: Bool
}

/// Environment settings given on the command line (rkt's precedence, lowest first:
/// inherited host environment, image, `--set-env-file`, `--set-env`).
public struct EnvironmentOverrides: Sendable {
    public var inherit: Bool = false
    public var fromFiles: [(String, String)] = []
    public var set: [(String, String)] = []
    public init() {}
}

/// appc's default capability bounding set (appc-spec.md §3.1): 14 capabilities.
public enum Capabilities {
    /// Linux capability names in number order (`CAP_CHOWN` = 0 ...).
    public static let names = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    public static let defaultSet: [String] = [
        "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_KILL", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP",
        "CAP_SYS_CHROOT",
    ]

    /// Every capability the names table knows.
    public static var all: UInt64 { (UInt64(1) << UInt64(names.count)) - 1 }

    /// The mask of `list`; an unknown name is an error naming it.
    public static func mask(_ list: [String]) throws(PodError) -> UInt64 {
        var mask: UInt64 = 0
        for name in list {
            let upper = name.uppercased()
            let full = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
            guard let bit = names.firstIndex(of: full) else { throw .invalid("unknown capability \(goQuote(name))") }
            mask |= UInt64(1) << UInt64(bit)
        }
        return mask
    }

    /// The names in `mask`, in number order.
    public static func list(_ mask: UInt64) -> [String] {
        names.indices.filter { mask & (UInt64(1) << UInt64($0)) != 0 }.map { names[$0] }
    }
}

/// Computes an app's runtime settings from its rendered root file system.
public struct AppRuntimeBuilder {
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The rendered rootfs (read-only tree) the app will see; every path in it is
    /// resolved inside it (a link in the image never leads to the host's files).
    let root: RootDirectory

    public init(rootfs: String) throws(PodError) {
        root = try RootDirectory.image(rootfs)
    }

    /// The runtime of `app` (the pod manifest's app, overrides already applied).
    public func build(
        name: String, app: App, mounts: [Mount], environment overrides: EnvironmentOverrides,
        allCapabilities: Bool
    ) throws(PodError) -> AppRuntime {
        guard let exec = app.exec, !exec.isEmpty else {
            throw .invalid("image for app \(goQuote(name)) has an empty \"exec\" (try --exec=BINARY)")
        }
        if let field = app.fieldWithNULByte { throw .nulByte(app: name, field: field) }
        for mount in mounts where mount.path.utf8.contains(0) {
            throw .nulByte(app: name, field: "mount \(goQuote(mount.volume.value)) path")
        }
        let user = try resolveUser(app.user, app: name)
        let gid = try resolveGroup(app.group, app: name)
        let environment = composeEnvironment(app: name, app.environment, user: user, overrides: overrides)
        // The command line and env files are other ways in (--set-env-file).
        for variable in environment where variable.utf8.contains(0) {
            let key = variable.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            throw .nulByte(app: name, field: "environment variable \(goQuote(String(key)))")
        }
        let path = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? Self.defaultPath
        var argv = exec
        argv[0] = try resolveExecutable(exec[0], path: path)
        let cwd = app.workingDirectory.isEmpty ? "/" : app.workingDirectory
        // The command line's settings are isolators by now (PodPreparer.applyOverrides).
        var caps = try Capabilities.mask(Capabilities.defaultSet)
        var noNewPrivileges = false
        var oomScoreAdj: Int?
        var resources = AppResources()
        for isolator in app.isolators {
            switch isolator.value {
            case .capabilitiesRetainSet(let set): caps = try Capabilities.mask(set)
            case .capabilitiesRemoveSet(let set): caps &= ~(try Capabilities.mask(set))
            case .noNewPrivileges(let flag): noNewPrivileges = flag
            case .oomScoreAdj(let value): oomScoreAdj = value
            case .memory(let limits):
                resources.memoryLimit = try Self.amount(limits.limit, scale: 0, app: name, isolator: isolator, minimum: AppResources.minimumMemory) ?? resources.memoryLimit
                resources.memoryRequest = try Self.amount(limits.request, scale: 0, app: name, isolator: isolator) ?? resources.memoryRequest
            case .cpu(let limits):
                resources.cpuLimit = try Self.amount(limits.limit, scale: 3, app: name, isolator: isolator, minimum: AppResources.minimumCPU) ?? resources.cpuLimit
                resources.cpuRequest = try Self.amount(limits.request, scale: 3, app: name, isolator: isolator) ?? resources.cpuRequest
            case .cpuShares(let shares): resources.cpuShares = shares
            default: break
            }
        }
        if allCapabilities { caps = Capabilities.all }
        let seccomp: SeccompFilter?
        do throws(SeccompError) {
            seccomp = try SeccompFilter.forApp(name, isolators: app.isolators)
        } catch {
            throw .invalid(error.description)
        }
        // appc: a mount (volume at a path) serves the mount point at the same path; a mount
        // point without one takes the volume of its own name (made empty if the pod has none).
        var appMounts: [AppMount] = []
        for mountPoint in app.mountPoints where !mounts.contains(where: { $0.path == mountPoint.path }) {
            appMounts.append(
                AppMount(
                    volume: mountPoint.name.value, path: try resolveInRoot(mountPoint.path, app: name),
                    readOnly: mountPoint.readOnly))
        }
        for mount in mounts {
            // rkt: the mount point of the volume's name gives the default (the volume's own readOnly wins).
            let readOnly = app.mountPoints.first { $0.name.value == mount.volume.value }?.readOnly ?? false
            appMounts.append(
                AppMount(
                    volume: mount.volume.value, path: try resolveInRoot(mount.path, app: name),
                    readOnly: readOnly))
        }
        func handler(_ name: String) throws(PodError) -> [String]? {
            guard var command = app.eventHandlers.first(where: { $0.name == name })?.exec, !command.isEmpty else { return nil }
            command[0] = try resolveExecutable(command[0], path: path)
            return command
        }
        return AppRuntime(
            name: name, exec: argv, environment: environment, uid: user.uid, gid: gid,
            supplementaryGIDs: app.supplementaryGIDs.map { UInt32(truncatingIfNeeded: $0) },
            workingDirectory: cwd, capabilities: caps, mounts: appMounts, readOnlyRootfs: false,
            noNewPrivileges: noNewPrivileges, oomScoreAdj: oomScoreAdj,
            preStart: try handler("pre-start"), postStop: try handler("post-stop"), seccomp: seccomp,
            resources: resources.isEmpty ? nil : resources)
    }

    /// A `resource/*` quantity scaled (0: units, 3: milli-units), checked: not negative,
    /// and for a limit at least `minimum`.
    static func amount(
        _ quantity: ResourceQuantity?, scale: Int, app: String, isolator: Isolator, minimum: Int64? = nil
    ) throws(PodError) -> Int64? {
        guard let quantity else { return nil }
        let value = quantity.scaled(scale)
        let unit = scale == 0 ? "bytes" : "millicores"
        let kind = minimum == nil ? "request" : "limit"
        if value < 0 {
            throw .invalid("app \(goQuote(app)): \(isolator.name.value): \(kind) \(quantity.text) is negative")
        }
        if let minimum, value < minimum {
            let hint = scale == 0 ? "such as --memory=16M" : "such as --cpu=100m"
            throw .invalid(
                "app \(goQuote(app)): \(isolator.name.value): limit \(quantity.text) (\(value) \(unit)) is too low; the least is \(minimum) \(unit) (try a reasonable value, \(hint))"
            )
        }
        return value
    }

    // MARK: Environment

    /// rkt's env file: defaults (SHELL, USER, LOGNAME, HOME, PATH), then `AC_APP_NAME`, then
    /// the rest; a later source replaces a variable in place.
    func composeEnvironment(
        app name: String, _ image: [EnvironmentVariable], user: ResolvedUser,
        overrides: EnvironmentOverrides
    ) -> [String] {
        var keys: [String] = []
        var values: [String: String] = [:]
        func set(_ key: String, _ value: String) {
            if values[key] == nil { keys.append(key) }
            values[key] = value
        }
        set("SHELL", "/bin/sh")
        set("USER", user.name)
        set("LOGNAME", user.name)
        set("HOME", user.home)
        set("PATH", Self.defaultPath)
        set("AC_APP_NAME", name)
        if overrides.inherit {
            for (key, value) in ProcessInfo.processInfo.environment.sorted(by: { $0.key < $1.key }) { set(key, value) }
        }
        for variable in image { set(variable.name, variable.value) }
        for (key, value) in overrides.fromFiles { set(key, value) }
        for (key, value) in overrides.set { set(key, value) }
        set("AC_APP_NAME", name)
        return keys.map { $0 + "=" + (values[$0] ?? "") }
    }

    // MARK: Users and groups

    struct ResolvedUser {
        var uid: UInt32
        var name: String
        var home: String
    }

    /// appc's user field: a number, a name from the image's `/etc/passwd`, or an absolute
    /// path whose owner is the user.
    func resolveUser(_ text: String, app: String) throws(PodError) -> ResolvedUser {
        let passwd = readDatabase("/etc/passwd")
        if let uid = UInt32(text) {
            if let entry = passwd.first(where: { $0.count > 5 && $0[2] == text }) {
                return ResolvedUser(uid: uid, name: entry[0], home: entry[5])
            }
            return uid == 0 ? ResolvedUser(uid: 0, name: "root", home: "/root") : ResolvedUser(uid: uid, name: text, home: "/")
        }
        if text.hasPrefix("/") {
            let info: stat
            do {
                info = try root.status(text)
            } catch {
                throw .invalid("app \(goQuote(app)): user: cannot stat \(goQuote(text)) in the image: \(errnoText(error.code))")
            }
            return try resolveUser(String(info.st_uid), app: app)
        }
        guard let entry = passwd.first(where: { $0.count > 5 && $0[0] == text }), let uid = UInt32(entry[2]) else {
            if text == "root" { return ResolvedUser(uid: 0, name: "root", home: "/root") }
            throw .invalid("app \(goQuote(app)): unknown user \(goQuote(text)): no such entry in the image's /etc/passwd")
        }
        return ResolvedUser(uid: uid, name: text, home: entry[5])
    }

    /// appc's group field: a number, a name from the image's `/etc/group`, or a path.
    func resolveGroup(_ text: String, app: String) throws(PodError) -> UInt32 {
        if let gid = UInt32(text) { return gid }
        if text.hasPrefix("/") {
            do {
                return try root.status(text).st_gid
            } catch {
                throw .invalid("app \(goQuote(app)): group: cannot stat \(goQuote(text)) in the image: \(errnoText(error.code))")
            }
        }
        guard let entry = readDatabase("/etc/group").first(where: { $0.count > 2 && $0[0] == text }),
            let gid = UInt32(entry[2])
        else {
            if text == "root" { return 0 }
            throw .invalid("app \(goQuote(app)): unknown group \(goQuote(text)): no such entry in the image's /etc/group")
        }
        return gid
    }

    private func readDatabase(_ path: String) -> [[String]] {
        guard let bytes = try? root.readFile(path, limit: 4 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            .map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }

    // MARK: Paths inside the root

    /// The executable `name` as an absolute path inside the app: absolute names must exist,
    /// others are looked up in `path` (the app's PATH), as rkt does.
    func resolveExecutable(_ name: String, path: String) throws(PodError) -> String {
        let candidates =
            name.hasPrefix("/")
            ? [name]
            : (name.contains("/") ? ["/" + name] : path.split(separator: ":").map { String($0) + "/" + name })
        for candidate in candidates {
            if let info = try? root.status(candidate), info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o111 != 0 {
                return candidate
            }
        }
        throw .invalid("can't execute \(goQuote(name)): no such file or directory")
    }

    /// `path` with every symbolic link resolved inside the root (links cannot escape it);
    /// components that do not exist are kept as they are. A path through a link loop or a
    /// procfs link is refused.
    public func resolveInRoot(_ path: String, app: String) throws(PodError) -> String {
        do {
            return try root.resolve(path)
        } catch {
            throw .invalid("app \(goQuote(app)): cannot resolve \(goQuote(path)) in the image: \(errnoText(error.code))")
        }
    }
}

extension RootDirectory {
    /// An image's rendered tree, for looking paths up inside it.
    static func image(_ path: String) throws(PodError) -> RootDirectory {
        do {
            return try RootDirectory(path: path)
        } catch {
            throw .system(SystemError(error.operation, error.path, code: error.code))
        }
    }
}
