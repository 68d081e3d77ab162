import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// What a pod process can reach of the host: no descriptor rkt was started with, and
    /// nothing through the /proc entries of stage1's processes, whose binary is the host's.
    @Suite struct Privileges {
        /// rkt started with a host file open on fd 7 (not close-on-exec): neither the app,
        /// nor the pod's init, nor an `enter` session holds it.
        @Test(.timeLimit(.minutes(3)))
        func noHostDescriptorReachesThePod() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let secret = world.scratch.file("host-secret")
            world.scratch.write("host-secret", "host only\n")
            let rkt = ([world.rktPath] + world.arguments([])).map { "'\($0)'" }.joined(separator: " ")
            let listing = "ls -l /proc/self/fd/ | grep -c -- '->'; ls -l /proc/self/fd/ | grep -- '->' | sed 's/.*-> //'"
            let ran = try run(["/bin/sh", "-c", "exec 7<'\(secret)'; exec \(rkt) run --net=host '\(world.image)' --exec /bin/sh -- -c \"\(listing)\""])
            #expect(ran.code == 0 && !ran.out.contains("host-secret"), "the app: \(ran)")
            // 0, 1 and 2 (ls's own directory descriptor is gone when it reads its link).
            #expect(ran.outLines.first == "3", "the app holds only stdio: \(ran)")

            let pod = try world.startPod()
            defer { _ = world.rkt("stop", "--force", pod.uuid) }
            let initPID = try #require(pod.initPID)
            let held = directoryEntries("/proc/\(initPID)/fd").compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(initPID)/fd/\($0)") }
            #expect(!held.contains(secret), "the pod's init holds \(held)")
            let entered = try run(["/bin/sh", "-c", "exec 7<'\(secret)'; exec \(rkt) enter \(pod.uuid) /bin/sh -c \"\(listing)\""])
            #expect(entered.code == 0 && !entered.out.contains("host-secret") && entered.outLines.first == "3", "enter: \(entered)")
        }

        /// An app given every capability the pod's init has (so the kernel's "fewer
        /// capabilities" rule no longer stands in the way) still cannot open the init's
        /// /proc/1/exe, /proc/1/root or /proc/1/cwd: stage1 is not dumpable. The host's
        /// stage1 binary, hard-linked into the pod, stays as it was.
        @Test(.timeLimit(.minutes(3)))
        func stage1IsOutOfReachThroughProc() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let stage1 = buildDirectory + "/rkt-stage1"
            let before = FileManager.default.contents(atPath: stage1)
            let caps = [
                "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_KILL", "CAP_MKNOD", "CAP_NET_RAW",
                "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_SYS_CHROOT", "CAP_SYS_ADMIN",
                "CAP_SYS_RESOURCE", "CAP_DAC_READ_SEARCH",
            ]
            let pod = try world.startPod(appFlags: ["--caps-retain=" + caps.joined(separator: ","), "--exec", "/bin/sleep", "--", "30"])
            defer { _ = world.rkt("stop", "--force", pod.uuid) }
            let initPID = try #require(pod.initPID)
            let app = try #require(pod.appPIDs.first)
            let initCaps = procStatus(initPID, "CapEff").flatMap { UInt64($0, radix: 16) } ?? 0
            let appCaps = procStatus(app, "CapEff").flatMap { UInt64($0, radix: 16) } ?? 0
            #expect(initCaps & ~appCaps == 0, "the app must hold all of init's capabilities: init \(String(initCaps, radix: 16)), app \(String(appCaps, radix: 16))")
            let probe = """
                for p in exe root cwd; do readlink /proc/1/$p >/dev/null 2>&1 && echo "$p readable"; done
                cat /proc/1/exe >/dev/null 2>&1 && echo "exe opened"
                ls /proc/1/root/ >/dev/null 2>&1 && echo "root listed"
                echo x 2>/dev/null >/proc/1/exe && echo "exe written"
                echo x 2>/dev/null >/proc/1/root/init && echo "init written"
                echo done
                """
            let entered = world.rkt("enter", pod.uuid, "/bin/sh", "-c", probe)
            #expect(entered.out == "done\n", "the pod reached stage1 through /proc/1: \(entered)")
            #expect(FileManager.default.contents(atPath: stage1) == before, "the host's stage1 binary changed")
        }
    }
}
