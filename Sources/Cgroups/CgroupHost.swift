import Glibc
import LinuxSystem

/// One cgroup hierarchy of this host as pods use it: a cgroup v1 hierarchy (one or more
/// controllers mounted together) or the unified v2 one.
public struct CgroupHierarchy: Sendable, Equatable, Codable {
    /// Where it is mounted: `/sys/fs/cgroup/memory` (v1), `/sys/fs/cgroup` (v2).
    public var mountPoint: String
    /// The controllers it has: from the mount options (v1), or those this process's cgroup
    /// can hand to children (v2, its `cgroup.controllers`).
    public var controllers: [String]
    /// This process's cgroup in it (`/proc/self/cgroup`), relative to the mount's root.
    public var ownPath: String
    public var unified: Bool

    public init(mountPoint: String, controllers: [String], ownPath: String, unified: Bool) {
        self.mountPoint = mountPoint
        self.controllers = controllers
        self.ownPath = ownPath
        self.unified = unified
    }

    /// This process's cgroup directory.
    public var ownDirectory: String { ownPath == "/" ? mountPoint : mountPoint + ownPath }

    /// The name the hierarchy has under /sys/fs/cgroup (the mount point's last part; empty
    /// for the unified hierarchy, which is /sys/fs/cgroup itself to an app).
    public var name: String {
        unified ? "" : String(mountPoint.split(separator: "/").last ?? "")
    }
}

/// The cgroup hierarchies pods use on this host: the v1 hierarchies of the controllers
/// rkt's stage1 set limits and accounting with (cpu, cpuacct, memory, pids), or, on a
/// host without them, the unified v2 hierarchy. `probe` decides at run time.
public struct CgroupHost: Sendable, Equatable {
    public var hierarchies: [CgroupHierarchy]

    public init(hierarchies: [CgroupHierarchy]) { self.hierarchies = hierarchies }

    /// The v1 controllers a pod gets cgroups in.
    public static let v1Controllers: Set<String> = ["cpu", "cpuacct", "memory", "pids"]

    /// Whether pods are on the unified (v2) hierarchy.
    public var unified: Bool { hierarchies.first?.unified ?? false }

    /// The hierarchy that has `controller`, if any.
    public func hierarchy(with controller: String) -> CgroupHierarchy? {
        hierarchies.first { $0.controllers.contains(controller) }
    }

    /// This host's hierarchies, from `/proc/self/mountinfo` and `/proc/self/cgroup`
    /// (and, on v2, the own cgroup's `cgroup.controllers`).
    public static func probe() -> CgroupHost {
        let mountinfo = (try? Files.readFile("/proc/self/mountinfo", limit: 4 << 20)) ?? []
        let membership = (try? Files.readFile("/proc/self/cgroup", limit: 1 << 20)) ?? []
        return parse(
            mountinfo: String(decoding: mountinfo, as: UTF8.self), cgroups: String(decoding: membership, as: UTF8.self),
            controllers: { directory in
                let text = (try? Files.readFile(directory + "/cgroup.controllers", limit: 4096)) ?? []
                return String(decoding: text, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            })
    }

    /// `probe` on given texts; `controllers` reads a v2 directory's `cgroup.controllers`.
    public static func parse(mountinfo: String, cgroups: String, controllers: (String) -> [String]) -> CgroupHost {
        // /proc/self/cgroup: "ID:CONTROLLERS:PATH" per hierarchy; "0::PATH" is the unified one.
        var ownV1: [String: String] = [:]
        var ownV2: String?
        for line in cgroups.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0", fields[1].isEmpty {
                ownV2 = String(fields[2])
            } else {
                for controller in fields[1].split(separator: ",") { ownV1[String(controller)] = String(fields[2]) }
            }
        }
        var v1: [CgroupHierarchy] = []
        var v2: CgroupHierarchy?
        for mount in MountInfo.visible(MountInfo.parse(mountinfo)) {
            if mount.type == "cgroup" {
                let used = mount.superOptions.filter { v1Controllers.contains($0) }
                guard !used.isEmpty, let own = ownV1[used[0]], let path = relative(own, to: mount.root) else { continue }
                // A hierarchy mounted twice is used at its first mount.
                guard !v1.contains(where: { $0.controllers.contains(used[0]) }) else { continue }
                v1.append(CgroupHierarchy(mountPoint: mount.mountPoint, controllers: used, ownPath: path, unified: false))
            } else if mount.type == "cgroup2", v2 == nil, let own = ownV2, let path = relative(own, to: mount.root) {
                var hierarchy = CgroupHierarchy(mountPoint: mount.mountPoint, controllers: [], ownPath: path, unified: true)
                hierarchy.controllers = controllers(hierarchy.ownDirectory)
                v2 = hierarchy
            }
        }
        if !v1.isEmpty { return CgroupHost(hierarchies: v1.sorted { $0.mountPoint < $1.mountPoint }) }
        return CgroupHost(hierarchies: v2.map { [$0] } ?? [])
    }

    /// `path` (a cgroup path) relative to a mount whose root is `root`, or nil if it is
    /// not below it.
    static func relative(_ path: String, to root: String) -> String? {
        if root == "/" { return path }
        guard path == root || path.hasPrefix(root + "/") else { return nil }
        let rest = String(path.dropFirst(root.count))
        return rest.isEmpty ? "/" : rest
    }
}
