import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// The process tree and namespaces of a running pod (coreos-like stage1).
    @Suite struct Namespaces {
        @Test(.timeLimit(.minutes(3)))
        func processTreeAndNamespaces() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()

            // pid= is the supervisor: the process `rkt run` became by exec.
            let pid = try #require(pod.pid)
            #expect(pid == pod.process.pid, "status pid=\(pid) must be the rkt run process (\(pod.process.pid)), which execs the supervisor")
            #expect(
                readText(world.data + "/pods/run/\(pod.uuid)/ppid")?.trimmingCharacters(in: .whitespacesAndNewlines) == String(pid),
                "pods/run/UUID/ppid")
            let cmdline = (readText("/proc/\(pid)/cmdline") ?? "").split(separator: "\0").map(String.init)
            #expect(
                cmdline.first?.hasSuffix("stage1/rootfs/init") == true && cmdline.last == pod.uuid,
                "supervisor cmdline: \(cmdline)")

            // Its only child is the init, PID 1 of the pod.
            let supervisorChildren = children(of: pid)
            try #require(supervisorChildren.count == 1, "supervisor children: \(supervisorChildren)")
            let initPID = supervisorChildren[0]
            #expect(
                procStatus(initPID, "NSpid")?.split(whereSeparator: { $0 == "\t" || $0 == " " }).last == "1",
                "init must be PID 1 in its pid namespace: NSpid \(procStatus(initPID, "NSpid") ?? "?")")
            for kind in ["pid", "mnt", "uts", "ipc"] {
                #expect(namespace("\(initPID)", kind) != namespace("self", kind), "init must have its own \(kind) namespace")
            }
            #expect(namespace("\(initPID)", "net") != namespace("self", "net"), "default net: the pod's own network namespace")
            #expect(namespace("\(initPID)", "net") == namespace("\(pid)", "net"), "the supervisor is in the pod's network namespace")

            // The init's child is the app, chrooted into its rootfs inside stage1.
            let apps = children(of: initPID)
            try #require(apps.count == 1, "init children: \(apps)")
            let app = apps[0]
            #expect(fileExists("/proc/\(app)/root/bin/busybox"), "/proc/APP/root/bin/busybox")
            #expect(namespace("\(app)", "pid") == namespace("\(initPID)", "pid"), "the app shares the init's pid namespace")
            // Its own mount and cgroup namespaces, as each app had under rkt's systemd (TestMountNSApp).
            #expect(namespace("\(app)", "mnt") != namespace("\(initPID)", "mnt"), "the app has its own mount namespace")
            #expect(namespace("\(app)", "mnt") != namespace("self", "mnt"), "the app has its own mount namespace")
            #expect(namespace("\(app)", "cgroup") != namespace("\(initPID)", "cgroup"), "the app has its own cgroup namespace")
            // The init keeps only what it uses and what its apps get.
            #expect(procStatus(initPID, "CapBnd") == initCapabilityMask, "init CapBnd: \(procStatus(initPID, "CapBnd") ?? "?")")
            #expect(procStatus(initPID, "CapEff") == initCapabilityMask, "init CapEff: \(procStatus(initPID, "CapEff") ?? "?")")
            let appArgv = (readText("/proc/\(app)/cmdline") ?? "").split(separator: "\0").map(String.init)
            #expect(appArgv == ["/bin/sleep", "30"], "app cmdline: \(appArgv)")
            #expect(procStatus(app, "CapBnd") == defaultCapabilityMask, "app CapBnd: \(procStatus(app, "CapBnd") ?? "?")")
            // As rkt: no_new_privs only with the os/linux/no-new-privileges isolator (RunTests covers it).
            #expect(procStatus(app, "NoNewPrivs") == "0", "app NoNewPrivs: \(procStatus(app, "NoNewPrivs") ?? "?")")

            // The init's root is stage1's rootfs: no shell there.
            let stage1 = directoryEntries("/proc/\(initPID)/root/")
            for entry in ["opt", "rkt", "init"] { #expect(stage1.contains(entry), "ls /proc/INIT/root/: \(stage1)") }
            #expect(!fileExists("/proc/\(initPID)/root/bin/sh"), "stage1 must have no /bin/sh: \(stage1)")

            let hostname = world.rkt("enter", pod.uuid, "hostname")
            #expect(hostname.code == 0 && hostname.out == "rkt-\(pod.uuid)\n", "hostname inside: \(hostname)")
            var host = [CChar](repeating: 0, count: 256)
            gethostname(&host, host.count)
            #expect(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) != "rkt-\(pod.uuid)", "the host's hostname must be untouched")
        }

        @Test(.timeLimit(.minutes(2)))
        func netNone() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod(runFlags: ["--net=none"])
            let initPID = try #require(pod.initPID, "no init under the supervisor")
            #expect(namespace("\(initPID)", "net") != namespace("self", "net"), "--net=none: a network namespace of its own")
            let links = world.rkt("enter", pod.uuid, "cat", "/proc/net/dev")
            #expect(links.code == 0, "\(links)")
            let interfaces = links.outLines.dropFirst(2).compactMap { $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) }
            #expect(interfaces == ["lo"], "--net=none: only lo: \(links)")
        }

        /// The init keeps the capabilities its apps get (rkt's TestCaps, stage1 side):
        /// CAP_NET_ADMIN only when an app retains it.
        @Test(.timeLimit(.minutes(3)))
        func initKeepsTheAppsCapabilities() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let netAdmin: UInt64 = 1 << 12
            for (flags, expected) in [([String](), false), (["--caps-retain=CAP_NET_ADMIN,CAP_NET_BIND_SERVICE"], true)] {
                let pod = try world.startPod(runFlags: ["--net=host"], appFlags: flags + ["--exec", "/bin/sleep", "--", "30"])
                let supervisor = try #require(pod.pid)
                let initPID = try #require(children(of: supervisor).first)
                let bounding = procStatus(initPID, "CapBnd").flatMap { UInt64($0, radix: 16) } ?? 0
                #expect((bounding & netAdmin != 0) == expected, "\(flags): init CapBnd \(String(bounding, radix: 16))")
                let app = try #require(children(of: initPID).first)
                let appBounding = procStatus(app, "CapBnd").flatMap { UInt64($0, radix: 16) } ?? 0
                #expect((appBounding & netAdmin != 0) == expected, "\(flags): app CapBnd \(String(appBounding, radix: 16))")
                _ = world.rkt("stop", "--force", pod.uuid)
                _ = pod.process.wait(timeout: 20)
            }
        }
    }
}
