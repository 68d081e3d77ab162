import Foundation
import Glibc
import TestSupport
import Testing

/// Every cgroup directory of pod `uuid` on this host (any hierarchy), found by its scope name.
func podCgroupDirectories(_ uuid: String) -> [String] {
    let scope = "machine-rkt\\x2d" + uuid.replacingOccurrences(of: "-", with: "\\x2d") + ".scope"
    var found: [String] = []
    for hierarchy in directoryEntries("/sys/fs/cgroup") {
        let root = "/sys/fs/cgroup/" + hierarchy
        guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
        while let entry = walker.nextObject() as? String {
            if entry.hasSuffix(scope) { found.append(root + "/" + entry) }
            // cgroup trees are shallow: skip the files.
            if !entry.contains(".scope"), entry.split(separator: "/").count > 3 { walker.skipDescendants() }
        }
    }
    return found
}

/// The cgroup of app `app` of a pod in hierarchy `hierarchy` (`memory`, `cpuacct`), from the pod's record.
func appCgroup(_ world: PodWorld, uuid: String, app: String, hierarchy: String) -> String? {
    let record = (world.allPodDirectories().first { $0.hasSuffix(uuid) }).flatMap { readText(world.data + "/pods/" + $0 + "/cgroups") } ?? ""
    return record.split(separator: "\n").map(String.init).first {
        $0.hasPrefix("/sys/fs/cgroup/" + hierarchy + "/") && $0.hasSuffix("/system.slice/" + app + ".service")
    }
}

extension Pods {
    /// Pods in cgroups of their own, apps' limits enforced by the kernel (rkt's
    /// TestAppIsolatorMemory, TestAppIsolatorCPU, TestCgroups, TestRmCgroup, TestGCCgroup).
    @Suite struct Cgroups {
        @Test(.timeLimit(.minutes(3)))
        func memoryLimitIsEnforcedAndShown() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            // The app sees its own cgroup only, read-only, with its limit.
            let view = world.runShell(
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; grep ':memory:' /proc/self/cgroup; ls /sys/fs/cgroup; touch /sys/fs/cgroup/memory/x || echo read-only",
                app: ["--memory=42Mi"])
            #expect(view.code == 0, "\(view)")
            let lines = view.out.split(separator: "\n").map(String.init)
            #expect(lines.first == String(42 << 20), "\(view)")
            #expect(lines.contains { $0.hasSuffix(":memory:/") }, "its cgroup is its root: \(view)")
            #expect(lines.contains("memory") && lines.contains("cpu") && lines.last == "read-only", "\(view)")
            // The image's isolator, and --memory after it winning (rkt appends it).
            let image = world.scratch.file("limited.aci")
            try writeBusyboxImage(
                image, manifest: busyboxManifest(isolators: #"[{"name":"resource/memory","value":{"limit":"25M"}}]"#))
            #expect(world.runShell("cat /sys/fs/cgroup/memory/memory.limit_in_bytes", image: image).out == "24997888\n")
            #expect(world.runShell("cat /sys/fs/cgroup/memory/memory.limit_in_bytes", app: ["--memory=32Mi"], image: image).out == "33554432\n")
            // Past it, the kernel's OOM killer ends the app: SIGKILL, reported as such.
            let uuidFile = world.scratch.file("oom-uuid")
            let oom = world.rkt([
                "run", "--net=host", "--uuid-file-save=" + uuidFile, world.image, "--memory=16Mi", "--exec", "/bin/busybox", "--",
                "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1",
            ])
            #expect(oom.code == 137, "killed by SIGKILL: \(oom)")
            let uuid = (readText(uuidFile) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(world.rkt("status", uuid).out.contains("app-busybox=137\n"))
            // The kernel counts the kill in the app's cgroup.
            let control = appCgroup(world, uuid: uuid, app: "busybox", hierarchy: "memory").flatMap { readText($0 + "/memory.oom_control") } ?? ""
            #expect(control.contains("\noom_kill 1"), "one OOM kill in the app's cgroup: \(control)")
        }

        @Test(.timeLimit(.minutes(3)))
        func cpuQuotaHolds() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let view = world.runShell("cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares", app: ["--cpu=900m", "--cpu-shares=12345"])
            #expect(view.out == "90000\n12345\n", "\(view)")
            // A busy loop under --cpu=100m, measured by the cgroup's CPU accounting.
            let pod = try world.startPod(runFlags: ["--net=host"], appFlags: ["--cpu=100m", "--exec", "/bin/sh", "--", "-c", "while :; do :; done"])
            let usage = try #require(appCgroup(world, uuid: pod.uuid, app: "busybox", hierarchy: "cpuacct")).appending("/cpuacct.usage")
            func used() -> Double { Double(readText(usage)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1 }
            let start = used(), startTime = Date()
            usleep(2_000_000)
            let share = (used() - start) / 1e9 / Date().timeIntervalSince(startTime)
            #expect(start >= 0 && share > 0.05 && share < 0.2, "a tenth of a core: \(share)")
        }

        @Test(.timeLimit(.minutes(3)))
        func rmAndGCRemoveEveryCgroup() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            // Two apps, each in its own cgroup in every hierarchy, beside the init's.
            let uuidFile = world.scratch.file("uuid")
            let done = world.rkt([
                "run", "--net=host", "--uuid-file-save=" + uuidFile, world.image, "--name=one", "--exec", "/bin/true", "---", world.image,
                "--name=two", "--exec", "/bin/true",
            ])
            #expect(done.code == 0, "\(done)")
            let uuid = (readText(uuidFile) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let scopes = podCgroupDirectories(uuid)
            #expect(scopes.count >= 2, "the exited pod keeps its cgroups for rkt to read: \(scopes)")
            for scope in scopes {
                #expect(fileExists(scope + "/init.scope") && fileExists(scope + "/system.slice/one.service") && fileExists(scope + "/system.slice/two.service"), "\(scope)")
            }
            let removed = world.rkt("rm", uuid)
            #expect(removed.code == 0, "\(removed)")
            #expect(podCgroupDirectories(uuid).isEmpty, "rm removes them")

            // A pod whose stage1 was SIGKILLed: gc removes its cgroups.
            let pod = try world.startPod(runFlags: ["--net=host"])
            #expect(!podCgroupDirectories(pod.uuid).isEmpty)
            kill(pod.process.pid, SIGKILL)
            _ = pod.process.wait(timeout: 10)
            let gc = world.rkt("gc", "--grace-period=0s")
            #expect(gc.code == 0, "\(gc)")
            #expect(podCgroupDirectories(pod.uuid).isEmpty, "gc removes them after SIGKILL")
        }

        /// The unified (v2) hierarchy, mounted for the test in a mount namespace of its own:
        /// pods get their cgroups there, and a limit whose controller it cannot hand out
        /// (this kernel binds memory to v1) is refused, naming the isolator and the app.
        @Test(.timeLimit(.minutes(3)))
        func unifiedHierarchy() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let rkt = ([world.rktPath] + world.arguments([])).joined(separator: " ")
            let script = """
                set -e
                mount -t cgroup2 none /sys/fs/cgroup
                \(rkt) run --net=host --uuid-file-save=\(world.scratch.path)/u \(world.image) --exec /bin/sh -- -c 'ls /sys/fs/cgroup | grep -c cgroup.procs; grep ^0:: /proc/self/cgroup'
                u=$(cat \(world.scratch.path)/u)
                ls -d /sys/fs/cgroup/*.scope | grep -c "$(echo $u | cut -c1-8)"
                \(rkt) run --net=host \(world.image) --memory=16Mi --exec /bin/true 2>&1 | grep -v 'group "rkt"' || true
                \(rkt) rm $u >/dev/null
                ls -d /sys/fs/cgroup/*.scope 2>/dev/null | grep -c "$(echo $u | cut -c1-8)" || true
                """
            let result = try ChildProcess("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script], scratch: world.scratch)
                .wait(timeout: 60)
            let lines = result.out.split(separator: "\n").map(String.init)
            #expect(result.code == 0 && lines.count == 5, "\(result)")
            #expect(lines.first == "1", "the app's /sys/fs/cgroup is its own v2 cgroup: \(result)")
            #expect(lines.dropFirst().first == "0::/", "\(result)")
            #expect(lines.dropFirst(2).first == "1", "the pod's scope in the unified hierarchy: \(result)")
            #expect(
                lines.dropFirst(3).first?.hasPrefix(#"run: app "busybox": resource/memory: this host has no memory cgroup controller"#) == true,
                "\(result)")
            #expect(lines.last == "0", "rm removes the scope: \(result)")
        }

        @Test(.timeLimit(.minutes(3)))
        func badLimitsAreRefused() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let cases: [([String], String)] = [
                (["--memory=0"], "run: memory limit of 0 bytes too low. Try a reasonable value, such as --memory=16M"),
                (["--memory=16m"], "run: memory limit of 1 bytes too low"),
                (["--memory=lots"], #"run: invalid --memory value "lots""#),
                (["--cpu=1m"], #"run: app "busybox": resource/cpu: limit 1m (1 millicores) is too low; the least is 10 millicores"#),
                (["--cpu=-1"], #"run: app "busybox": resource/cpu: limit -1"#),
                (["--cpu-shares=1"], "run: --cpu-shares must be an integer from 2 to 262144"),
            ]
            for (flags, message) in cases {
                let result = world.runShell("true", app: flags)
                let lines = result.err.split(separator: "\n").filter { !$0.contains(#"group "rkt""#) }
                #expect(result.code == 254 && lines.count == 1 && lines[0].hasPrefix(message), "\(flags): \(result)")
            }
            let image = world.scratch.file("zero.aci")
            try writeBusyboxImage(image, manifest: busyboxManifest(isolators: #"[{"name":"resource/memory","value":{"limit":"0"}}]"#))
            let zero = world.runShell("true", image: image)
            #expect(zero.code == 254 && zero.err.contains(#"app "busybox": resource/memory: limit 0 (0 bytes) is too low"#), "\(zero)")
            #expect(world.podDirectories("run").isEmpty, "no pod ran")
            for uuid in world.allPodDirectories().map({ String($0.split(separator: "/").last ?? "") }) {
                #expect(podCgroupDirectories(uuid).isEmpty, "no cgroup for \(uuid)")
            }
        }
    }
}
