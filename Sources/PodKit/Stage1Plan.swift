import Glibc
import ImageKit

/// How a pod runs, chosen at `run`/`run-prepared` time (kept in `runtime-config`).
public struct RuntimeOptions: Codable, Sendable {
    public enum Network: String, Codable, Sendable {
        /// The host's network namespace (rkt's `--net=host`; also what `default` means here).
        case host
        /// A private network namespace with only loopback.
        case none
    }
    public var network: Network = .host
    public var hostname: String = ""
    public var interactive: Bool = false
    public var debug: Bool = false
    public init() {}
}

/// The plan the C stage1 executes (`stage1/plan`): NUL-terminated tokens, records as
/// described in `Sources/rkt-stage1`. Every decision (which mounts, which devices, the
/// apps' credentials) is made here; stage1 only performs it.
public struct Stage1Plan {
    private(set) var tokens: [String] = []

    // MS_* flags from <sys/mount.h>.
    static let rdonly: UInt = 1, nosuid: UInt = 2, nodev: UInt = 4, noexec: UInt = 8
    static let remount: UInt = 32, bind: UInt = 4096, rec: UInt = 16384, strictatime: UInt = 1 << 24

    public enum MakeTarget: String { case directory = "d", file = "f", none = "-" }
    public enum Stdin: String { case null, inherit, console }

    mutating func record(_ keyword: String, _ values: [String]) {
        tokens.append(keyword)
        tokens.append(contentsOf: values)
    }

    mutating func mount(_ source: String, _ target: String, _ type: String, _ flags: UInt, _ data: String = "",
                        make: MakeTarget = .directory) {
        record("mount", [source, target, type, String(flags), data, make.rawValue])
    }

    /// The bytes of the plan file.
    public var bytes: [UInt8] { tokens.flatMap { Array($0.utf8) + [0] } }

    /// The plan for `pod` with `apps`, run with `options`. `trees` maps an app name to the
    /// rendered rootfs its overlay uses as lower layer; `volumes` a volume name to its host
    /// source (and read-only, recursive flags).
    public static func make(pod: Pod, apps: [AppRuntime], trees: [String: String], volumes: [String: VolumeSource],
                            options: RuntimeOptions, consoleApp: String?, stdin: Stdin) throws(PodError) -> Stage1Plan {
        var plan = Stage1Plan()
        let root = pod.stage1Rootfs
        plan.record("version", ["1"])
        plan.record("root", [root])
        plan.record("hostname", [options.hostname.isEmpty ? "rkt-" + pod.uuid : options.hostname])
        plan.record("net", [options.network.rawValue])
        plan.mount(root, root, "", bind, make: .none)
        plan.mount("proc", root + "/proc", "proc", nosuid | nodev | noexec)
        for app in apps {
            guard let tree = trees[app.name] else { throw .invalid("no rendered tree for app \(goQuote(app.name))") }
            let target = pod.appRootfs(app.name)
            let overlay = pod.path + "/overlay/" + app.name
            let data = "lowerdir=\(overlayEscape(tree)),upperdir=\(overlayEscape(overlay + "/upper")),workdir=\(overlayEscape(overlay + "/work"))"
            plan.mount("overlay", target, "overlay", 0, data)
            // As rkt's stage0: an image with /etc but no mtab gets /etc/mtab -> ../proc/self/mounts.
            var info = stat()
            if stat(tree + "/etc", &info) == 0, info.st_mode & S_IFMT == S_IFDIR, lstat(tree + "/etc/mtab", &info) != 0 {
                plan.record("symlink", ["../proc/self/mounts", target + "/etc/mtab"])
            }
            plan.mount("proc", target + "/proc", "proc", nosuid | nodev | noexec)
            plan.mount("sysfs", target + "/sys", "sysfs", rdonly | nosuid | nodev | noexec)
            plan.addDevices(at: target + "/dev")
            plan.mount("tmpfs", target + "/tmp", "tmpfs", nosuid | nodev, "mode=1777")
            for mount in app.mounts {
                guard let volume = volumes[mount.volume] else {
                    throw .invalid("no volume for mount point \(goQuote(mount.volume)) of app \(goQuote(app.name)) (add --volume=\(mount.volume),kind=host,source=PATH)")
                }
                var info = stat()
                guard stat(volume.source, &info) == 0 else {
                    throw .invalid("volume \(goQuote(mount.volume)): source \(goQuote(volume.source)): \(errnoText(errno))")
                }
                let isDirectory = info.st_mode & S_IFMT == S_IFDIR
                plan.mount(volume.source, target + mount.path, "", bind | (volume.recursive ? rec : 0),
                           make: isDirectory ? .directory : .file)
                if volume.readOnly || mount.readOnly {
                    plan.mount("", target + mount.path, "", remount | bind | rdonly, make: .none)
                }
            }
            if app.readOnlyRootfs { plan.mount("", target, "", remount | rdonly, make: .none) }
        }
        for app in apps {
            plan.record("app", [app.name])
            plan.record("approot", [Pod.appRootInPod(app.name)])
            plan.record("cwd", [app.workingDirectory])
            plan.record("exec", [String(app.exec.count)] + app.exec)
            plan.record("env", [String(app.environment.count)] + app.environment)
            plan.record("user", [String(app.uid), String(app.gid), String(app.supplementaryGIDs.count)] + app.supplementaryGIDs.map(String.init))
            plan.record("caps", [String(app.capabilities, radix: 16)])
            plan.record("stdin", [(consoleApp == app.name ? Stdin.console : stdin).rawValue])
        }
        plan.record("end", [])
        return plan
    }

    /// appc's device set (appc-spec.md §7.4) on a fresh tmpfs, with the pod's own devpts.
    mutating func addDevices(at dev: String) {
        mount("tmpfs", dev, "tmpfs", Self.nosuid | Self.strictatime, "mode=755")
        for (name, major, minor) in [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)] {
            record("mknod", [dev + "/" + name, "20666", String(major), String(minor)])
        }
        mount("devpts", dev + "/pts", "devpts", Self.nosuid | Self.noexec, "newinstance,ptmxmode=0666,mode=0620")
        record("symlink", ["pts/ptmx", dev + "/ptmx"])
        record("symlink", ["/proc/self/fd", dev + "/fd"])
        record("symlink", ["/proc/self/fd/0", dev + "/stdin"])
        record("symlink", ["/proc/self/fd/1", dev + "/stdout"])
        record("symlink", ["/proc/self/fd/2", dev + "/stderr"])
        mount("/dev/null", dev + "/console", "", Self.bind, make: .file)
        mount("tmpfs", dev + "/shm", "tmpfs", Self.nosuid | Self.nodev, "mode=1777")
    }

    /// Overlay mount options split on `,` and `:`; a backslash escapes them.
    static func overlayEscape(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == "\\" || c == "," || c == ":" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// A host volume as the pod uses it.
public struct VolumeSource: Sendable {
    public var source: String
    public var readOnly: Bool
    public var recursive: Bool
    public init(source: String, readOnly: Bool, recursive: Bool) {
        self.source = source
        self.readOnly = readOnly
        self.recursive = recursive
    }
}
