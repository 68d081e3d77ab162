import Glibc
import LinuxSystem

/// The cgroup limits of an app, from its `resource/*` and `os/linux/cpu-shares` isolators.
/// As in rkt's stage1, the last isolator of a kind wins.
public struct AppResources: Codable, Sendable, Equatable {
    /// `resource/memory` limit, bytes: the app is OOM-killed past it.
    public var memoryLimit: Int64?
    /// `resource/memory` request, bytes: reclaimed from last under pressure.
    public var memoryRequest: Int64?
    /// `resource/cpu` limit, millicores: a CFS quota.
    public var cpuLimit: Int64?
    /// `resource/cpu` request, millicores: a share of contended CPU.
    public var cpuRequest: Int64?
    /// `os/linux/cpu-shares` (cgroup v1 cpu.shares; a weight on v2); wins over a CPU request.
    public var cpuShares: Int?

    public init() {}

    public var isEmpty: Bool { self == AppResources() }
    var usesMemory: Bool { memoryLimit != nil || memoryRequest != nil }
    var usesCPU: Bool { cpuLimit != nil || cpuRequest != nil || cpuShares != nil }

    /// The smallest memory limit taken: rkt refused anything under 4 KiB (one page) as
    /// "most likely a mistake" (`--memory=16m`, milli-bytes, for 16M).
    public static let minimumMemory: Int64 = 4096
    /// The smallest CPU limit: the kernel's smallest CFS quota is 1 ms per 100 ms period.
    public static let minimumCPU: Int64 = 10
    /// The CFS period, microseconds (the kernel's default, and systemd's).
    public static let cpuPeriod: Int64 = 100_000

    /// cgroup v1 `cpu.shares`: the isolator's, else the request's (1024 per core).
    var shares: Int64? { cpuShares.map(Int64.init) ?? cpuRequest.map { max(2, $0 * 1024 / 1000) } }
}

/// A pod's cgroups: rkt's layout without systemd-machined, in every hierarchy pods use:
///
///     OWN/machine-rkt\x2dUUID.scope/               the pod (OWN: rkt's own cgroup)
///         init.scope/                              the pod's init
///         system.slice/APP.service/                each app, with its limits
///
/// Every directory is named in the pod's record file (`cgroups` in the pod directory)
/// before it is made, so that `rkt rm` and `rkt gc` remove all of them even after a
/// run killed half-way.
public struct PodCgroups: Sendable, Equatable {
    public let host: CgroupHost
    public let uuid: String
    public let apps: [String]

    public init(uuid: String, apps: [String], host: CgroupHost) {
        self.uuid = uuid
        self.apps = apps
        self.host = host
    }

    /// `machine-rkt\x2dUUID.scope`: systemd's escaping of the machine name `rkt-UUID`.
    public static func scopeName(uuid: String) -> String {
        "machine-rkt\\x2d" + uuid.split(separator: "-", omittingEmptySubsequences: false).joined(separator: "\\x2d") + ".scope"
    }

    func podDirectory(_ hierarchy: CgroupHierarchy) -> String {
        hierarchy.ownDirectory + "/" + Self.scopeName(uuid: uuid)
    }

    /// The init's cgroup in each hierarchy.
    public var initDirectories: [String] { host.hierarchies.map { podDirectory($0) + "/init.scope" } }

    /// App `name`'s cgroup in each hierarchy.
    public func appDirectories(_ name: String) -> [String] {
        host.hierarchies.map { podDirectory($0) + "/system.slice/" + name + ".service" }
    }

    /// What app `name` sees under /sys/fs/cgroup: its own cgroup of each hierarchy, by the
    /// name the hierarchy has there (empty: the unified one, /sys/fs/cgroup itself), and
    /// the other names of a hierarchy mounted with several controllers (`cpu` for
    /// `cpu,cpuacct`), as links.
    public func appView(_ name: String) -> [(directory: String, name: String, aliases: [String])] {
        zip(host.hierarchies, appDirectories(name)).map { hierarchy, directory in
            (directory, hierarchy.name, hierarchy.unified ? [] : hierarchy.controllers.filter { $0 != hierarchy.name })
        }
    }

    /// Every directory, parents first.
    var directories: [String] {
        var directories: [String] = []
        for hierarchy in host.hierarchies {
            let pod = podDirectory(hierarchy)
            directories += [pod, pod + "/init.scope", pod + "/system.slice"]
            for app in apps { directories.append(pod + "/system.slice/" + app + ".service") }
        }
        return directories
    }

    /// Checks that the host has the controllers `limits` need: the first app and isolator
    /// that needs a missing one is named.
    public func check(_ limits: [String: AppResources]) throws(CgroupError) {
        for app in apps {
            guard let resources = limits[app] else { continue }
            if resources.usesMemory, host.hierarchy(with: "memory") == nil {
                throw .missingController(app: app, isolator: "resource/memory", controller: "memory", unified: host.unified)
            }
            if resources.usesCPU, host.hierarchy(with: "cpu") == nil {
                let isolator = resources.cpuShares != nil && resources.cpuLimit == nil ? "os/linux/cpu-shares" : "resource/cpu"
                throw .missingController(app: app, isolator: isolator, controller: "cpu", unified: host.unified)
            }
        }
    }

    /// Makes the pod's cgroups and writes the apps' `limits`, after naming every
    /// directory in `record`. On failure what was made is removed again.
    public func create(limits: [String: AppResources], record: String) throws(CgroupError) {
        try check(limits)
        do {
            try AtomicFile.write(record, Array(directories.map { $0 + "\n" }.joined().utf8))
        } catch {
            throw .system(error)
        }
        do throws(CgroupError) {
            for directory in directories where mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw .system(SystemError("mkdir", directory))
            }
            if host.unified { try enableControllers(limits) }
            for app in apps {
                guard let resources = limits[app], !resources.isEmpty else { continue }
                for (hierarchy, directory) in zip(host.hierarchies, appDirectories(app)) {
                    try write(resources, into: directory, of: hierarchy)
                }
            }
        } catch {
            try? Self.remove(record: record, uuid: uuid)
            throw error
        }
    }

    /// v2: a controller works in a cgroup only when every parent hands it down
    /// (`cgroup.subtree_control`), from rkt's own cgroup to `system.slice`.
    private func enableControllers(_ limits: [String: AppResources]) throws(CgroupError) {
        guard let hierarchy = host.hierarchies.first else { return }
        var wanted: [String] = []
        if limits.values.contains(where: \.usesMemory) { wanted.append("memory") }
        if limits.values.contains(where: \.usesCPU) { wanted.append("cpu") }
        guard !wanted.isEmpty else { return }
        let pod = podDirectory(hierarchy)
        for directory in [hierarchy.ownDirectory, pod, pod + "/system.slice"] {
            let current = (try? Files.readFile(directory + "/cgroup.subtree_control", limit: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            for controller in wanted where !current.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains(Substring(controller)) {
                do {
                    try Files.writeFile(directory + "/cgroup.subtree_control", Array("+\(controller)".utf8))
                } catch {
                    throw .enable(controller: controller, directory: directory, code: error.code)
                }
            }
        }
    }

    /// The files of one app's cgroup in `hierarchy` that carry `resources`.
    static func settings(_ resources: AppResources, unified: Bool, controllers: [String]) -> [(file: String, value: String)] {
        var settings: [(String, String)] = []
        let memory = unified || controllers.contains("memory"), cpu = unified || controllers.contains("cpu")
        if memory, unified {
            if let limit = resources.memoryLimit {
                // No swap past the limit either: the limit holds.
                settings += [("memory.max", String(limit)), ("memory.swap.max", "0")]
            }
            if let request = resources.memoryRequest { settings.append(("memory.low", String(request))) }
        } else if memory {
            if let limit = resources.memoryLimit {
                settings += [("memory.limit_in_bytes", String(limit)), ("memory.memsw.limit_in_bytes", String(limit))]
            }
            if let request = resources.memoryRequest { settings.append(("memory.soft_limit_in_bytes", String(request))) }
        }
        if cpu {
            let quota = resources.cpuLimit.map { String($0 * AppResources.cpuPeriod / 1000) }
            if unified {
                if let quota { settings.append(("cpu.max", "\(quota) \(AppResources.cpuPeriod)")) }
                // cgroup v2's weight for v1 shares (the kernel documentation's mapping).
                if let shares = resources.shares {
                    let clamped: Int64 = min(max(shares, 2), 262_144)
                    let weight: Int64 = 1 + (clamped - 2) * 9999 / 262_142
                    settings.append(("cpu.weight", String(weight)))
                }
            } else {
                if let quota { settings += [("cpu.cfs_period_us", String(AppResources.cpuPeriod)), ("cpu.cfs_quota_us", quota)] }
                if let shares = resources.shares { settings.append(("cpu.shares", String(shares))) }
            }
        }
        return settings
    }

    private func write(_ resources: AppResources, into directory: String, of hierarchy: CgroupHierarchy) throws(CgroupError) {
        for (file, value) in Self.settings(resources, unified: hierarchy.unified, controllers: hierarchy.controllers) {
            let path = directory + "/" + file
            // Swap accounting is a kernel option: without it there is no swap limit to set.
            if file == "memory.memsw.limit_in_bytes" || file == "memory.swap.max", access(path, F_OK) != 0 { continue }
            do {
                try Files.writeFile(path, Array(value.utf8))
            } catch {
                throw .limit(file: path, value: value, code: error.code)
            }
        }
    }

    /// Removes the cgroups named in `record` (children first) and then the record:
    /// a process still in one (a pod whose stage1 was killed) is killed first. Only
    /// directories of pod `uuid`'s scope are touched, whatever the record says.
    public static func remove(record: String, uuid: String) throws(CgroupError) {
        let bytes: [UInt8]
        do {
            bytes = try Files.readFile(record, limit: 1 << 20)
        } catch {
            if error.code == ENOENT { return }
            throw .system(error)
        }
        let scope = "/" + scopeName(uuid: uuid)
        let directories = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("/") && ($0.hasSuffix(scope) || $0.contains(scope + "/")) && !$0.contains("/../") }
        for directory in directories.reversed() {
            try removeDirectory(directory)
        }
        if unlink(record) != 0, errno != ENOENT { throw .system(SystemError("remove", record)) }
    }

    /// rmdir of a cgroup, killing what is left in it; a cgroup is empty only once its
    /// processes are reaped, so it is retried for a while.
    private static func removeDirectory(_ directory: String) throws(CgroupError) {
        for attempt in 0..<200 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            guard errno == EBUSY else { throw .system(SystemError("remove", directory)) }
            if attempt % 10 == 0, let procs = try? Files.readFile(directory + "/cgroup.procs", limit: 1 << 20) {
                for pid in String(decoding: procs, as: UTF8.self).split(separator: "\n").compactMap({ Int32($0) }) where pid > 1 {
                    kill(pid, SIGKILL)
                }
            }
            usleep(10_000)
        }
        throw .system(SystemError("remove", directory, code: EBUSY))
    }
}

/// Why a pod's cgroups could not be made or removed.
public enum CgroupError: Error, Equatable, CustomStringConvertible {
    case missingController(app: String, isolator: String, controller: String, unified: Bool)
    case enable(controller: String, directory: String, code: Int32)
    case limit(file: String, value: String, code: Int32)
    case system(SystemError)

    public var description: String {
        switch self {
        case let .missingController(app, isolator, controller, unified):
            let place = unified ? "the cgroup v2 hierarchy here does not hand it to rkt's cgroup" : "no cgroup hierarchy has it mounted"
            return "app \"\(app)\": \(isolator): this host has no \(controller) cgroup controller for pods (\(place))"
        case let .enable(controller, directory, code):
            let hint =
                code == EBUSY
                ? " (the cgroup has processes of its own: run rkt from a cgroup that has none, e.g. with systemd-run --scope)" : ""
            return "cannot enable the \(controller) controller in \(directory): \(errnoText(code))\(hint)"
        case let .limit(file, value, code):
            return "cannot write \(value) to \(file): \(errnoText(code))"
        case let .system(error):
            return error.description
        }
    }
}
