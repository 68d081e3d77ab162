import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// `rkt enter` (coreos semantics: namespaces, PATH lookup, the app's env, caps, no_new_privs).
    @Suite struct Enter {
        @Test(.timeLimit(.minutes(3)))
        func enterRunningPod() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()

            let ls = world.rkt("enter", pod.uuid, "ls", "/")
            #expect(ls.code == 0 && ls.outLines.contains("bin") && ls.outLines.contains("proc"), "enter ls / (PATH lookup): \(ls)")
            #expect(!ls.outLines.contains("rkt"), "enter must be chrooted into the app, not stage1: \(ls)")

            let exit5 = world.rkt("enter", pod.uuid, "sh", "-c", "exit 5")
            #expect(exit5.code == 5 && !exit5.signaled, "\(exit5)")

            let byApp = world.rkt("enter", "--app=busybox", pod.uuid, "/bin/echo", "hi")
            #expect(byApp.code == 0 && byApp.out == "hi\n", "\(byApp)")
            let byPrefix = world.rkt("enter", String(pod.uuid.prefix(8)), "true")
            #expect(byPrefix.code == 0, "enter by UUID prefix: \(byPrefix)")

            // The environment is the app's, plus the caller's TERM; nothing else leaks in.
            var environment = ProcessInfo.processInfo.environment
            environment["TERM"] = "xterm-test"
            environment["PODTESTS_CALLER_ONLY"] = "leaked"
            let env = world.rkt(["enter", pod.uuid, "env"], environment: environment)
            #expect(env.code == 0, "\(env)")
            #expect(env.outLines.contains("AC_APP_NAME=busybox"), "\(env)")
            #expect(env.outLines.contains("PATH=" + defaultPath), "\(env)")
            #expect(env.outLines.filter { $0.hasPrefix("TERM=") } == ["TERM=xterm-test"], "caller's TERM: \(env)")
            #expect(!env.out.contains("PODTESTS_CALLER_ONLY"), "the caller's environment must not leak into enter: \(env)")

            let caps = world.rkt("enter", pod.uuid, "grep", "-E", "CapBnd|NoNewPrivs", "/proc/self/status")
            #expect(caps.outLines.contains("CapBnd:\t" + defaultCapabilityMask), "default 14-cap bounding set: \(caps)")
            #expect(caps.outLines.contains("NoNewPrivs:\t1"), "\(caps)")

            // Same namespaces as the app: the app's sleep is visible, PID 1 is the init.
            let ps = world.rkt("enter", pod.uuid, "ps")
            #expect(ps.code == 0 && ps.out.contains("sleep 30"), "enter sees the app's processes: \(ps)")
            #expect(!ps.out.contains("PackageTests"), "enter must not see host processes: \(ps)")
            let idOut = world.rkt("enter", pod.uuid, "id", "-u")
            #expect(idOut.out == "0\n", "\(idOut)")

            let missing = world.rkt("enter", pod.uuid, "nosuchcmd")
            #expect(missing.code == 254, "\(missing)")
            #expect(missing.err.hasPrefix("enter: ") && missing.err.contains("nosuchcmd"), "a message naming the command: \(missing)")

            let badApp = world.rkt("enter", "--app=nope", pod.uuid, "true")
            #expect(badApp.code == 254 && badApp.err.contains("nope"), "\(badApp)")
        }

        @Test(.timeLimit(.minutes(2)))
        func enterExitedPod() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let uuidFile = world.scratch.file("uuid")
            let run = world.rkt(["run", "--uuid-file-save=\(uuidFile)", world.image, "--exec", "/bin/true"])
            #expect(run.code == 0, "\(run)")
            let uuid = try #require(readText(uuidFile))
            let enter = world.rkt("enter", uuid, "ls")
            #expect(enter.code == 254, "\(enter)")
            #expect(enter.err == "enter: pod \"\(uuid)\" isn't currently running\n", "\(enter)")
            let nope = world.rkt("enter", "nope", "ls")
            #expect(nope.code == 254 && nope.err.contains("no matches found for \"nope\""), "\(nope)")
        }
    }
}
