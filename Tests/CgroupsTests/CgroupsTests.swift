import Foundation
import Glibc
import Testing

@testable import Cgroups

/// The host's hierarchies read from mountinfo and /proc/self/cgroup, the files limits
/// become, and removal by the pod's record.
@Suite struct CgroupsTests {
    static let v1Mountinfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
    static let v1Cgroups = """
        9:name=systemd:/user.slice
        8:pids:/
        5:devices:/
        4:memory:/process_api/954c
        2:cpu,cpuacct:/
        0::/
        """

    @Test func hybridHostUsesV1() {
        let host = CgroupHost.parse(mountinfo: Self.v1Mountinfo, cgroups: Self.v1Cgroups) { _ in ["memory"] }
        #expect(!host.unified)
        #expect(host.hierarchies.map(\.mountPoint) == ["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"])
        let memory = try! #require(host.hierarchy(with: "memory"))
        #expect(memory.ownDirectory == "/sys/fs/cgroup/memory/process_api/954c")
        let cgroups = PodCgroups(uuid: "0c6dd1d1-3f1e-4c8b", apps: ["web"], host: host)
        #expect(cgroups.appDirectories("web")[1] == "/sys/fs/cgroup/memory/process_api/954c/machine-rkt\\x2d0c6dd1d1\\x2d3f1e\\x2d4c8b.scope/system.slice/web.service")
        #expect(cgroups.initDirectories[0] == "/sys/fs/cgroup/cpu,cpuacct/machine-rkt\\x2d0c6dd1d1\\x2d3f1e\\x2d4c8b.scope/init.scope")
        let view = cgroups.appView("web")
        #expect(view.map(\.name) == ["cpu,cpuacct", "memory", "pids"])
        #expect(view[0].aliases == ["cpu", "cpuacct"])
    }

    @Test func unifiedHost() {
        let mountinfo = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
        var asked: [String] = []
        let host = CgroupHost.parse(mountinfo: mountinfo, cgroups: "0::/user.slice/session-1.scope\n") {
            asked.append($0)
            return ["cpu", "memory", "pids"]
        }
        #expect(host.unified && host.hierarchies.count == 1)
        #expect(asked == ["/sys/fs/cgroup/user.slice/session-1.scope"])
        let cgroups = PodCgroups(uuid: "u", apps: ["a"], host: host)
        #expect(cgroups.appView("a").map(\.name) == [""])
        // A mount of a subtree (a container's cgroup namespace) is found relative to its root.
        let sub = CgroupHost.parse(mountinfo: "30 23 0:26 /kube /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", cgroups: "0::/kube/pod\n") { _ in [] }
        #expect(sub.hierarchies.first?.ownDirectory == "/sys/fs/cgroup/pod")
        #expect(CgroupHost.parse(mountinfo: "", cgroups: "") { _ in [] }.hierarchies.isEmpty)
        // cgroup2 mounted over a v1 layout hides it.
        let over = CgroupHost.parse(
            mountinfo: Self.v1Mountinfo + "\n50 23 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", cgroups: Self.v1Cgroups
        ) { _ in [] }
        #expect(over.unified && over.hierarchies.map(\.mountPoint) == ["/sys/fs/cgroup"])
    }

    @Test func limitsBecomeFiles() {
        var resources = AppResources()
        resources.memoryLimit = 16 << 20
        resources.cpuLimit = 250
        resources.cpuRequest = 500
        let v1Memory = PodCgroups.settings(resources, unified: false, controllers: ["memory"])
        #expect(v1Memory.map(\.file) == ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"])
        let v1CPU = PodCgroups.settings(resources, unified: false, controllers: ["cpu", "cpuacct"])
        #expect(v1CPU.map { "\($0.file)=\($0.value)" } == ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=25000", "cpu.shares=512"])
        #expect(PodCgroups.settings(resources, unified: false, controllers: ["pids"]).isEmpty)
        resources.cpuShares = 2048
        let v2 = PodCgroups.settings(resources, unified: true, controllers: [])
        #expect(v2.map { "\($0.file)=\($0.value)" } == ["memory.max=16777216", "memory.swap.max=0", "cpu.max=25000 100000", "cpu.weight=79"])
    }

    @Test func missingControllerIsNamed() {
        let host = CgroupHost.parse(mountinfo: Self.v1Mountinfo, cgroups: Self.v1Cgroups) { _ in [] }
        let noMemory = CgroupHost(hierarchies: host.hierarchies.filter { !$0.controllers.contains("memory") })
        var resources = AppResources()
        resources.memoryLimit = 1 << 20
        #expect(throws: CgroupError.missingController(app: "web", isolator: "resource/memory", controller: "memory", unified: false)) {
            try PodCgroups(uuid: "u", apps: ["web"], host: noMemory).check(["web": resources])
        }
        #expect(
            "\(CgroupError.missingController(app: "web", isolator: "resource/memory", controller: "memory", unified: false))"
                == #"app "web": resource/memory: this host has no memory cgroup controller for pods (no cgroup hierarchy has it mounted)"#)
    }

    /// Removal follows the record, children first, and touches nothing outside the pod's scope.
    @Test func removeByRecord() throws {
        let base = NSTemporaryDirectory() + "cgroups-test-\(getpid())"
        let scope = base + "/" + PodCgroups.scopeName(uuid: "a-b")
        let app = scope + "/system.slice/x.service"
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        let foreign = base + "/foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let record = base + "/record"
        try "\(scope)\n\(scope)/system.slice\n\(app)\n\(foreign)\n".write(toFile: record, atomically: true, encoding: .utf8)
        try PodCgroups.remove(record: record, uuid: "a-b")
        #expect(!FileManager.default.fileExists(atPath: scope))
        #expect(FileManager.default.fileExists(atPath: foreign))
        #expect(!FileManager.default.fileExists(atPath: record))
        try PodCgroups.remove(record: record, uuid: "a-b")  // nothing left: fine
    }
}
