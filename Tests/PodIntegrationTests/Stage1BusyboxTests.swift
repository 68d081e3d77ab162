import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// scripts/debug/stage1_install_busybox.sh and entering stage1 with nsenter (debugging guide).
    @Suite struct Stage1Busybox {
        @Test(.timeLimit(.minutes(3)))
        func installBusyboxAndNsenter() throws {
            guard preconditionsMet() else { return }
            let script = repositoryRoot + "/scripts/debug/stage1_install_busybox.sh"
            try #require(FileManager.default.isExecutableFile(atPath: script), "\(script) missing or not executable")
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()
            let initPID = try #require(pod.initPID, "no init under the supervisor")

            func nsenter(_ args: [String]) throws -> RunResult {
                try ChildProcess("/usr/bin/nsenter", ["-m", "-u", "-i", "-p", "-t", String(initPID)] + args, scratch: world.scratch)
                    .wait(timeout: 30)
            }

            let before = try nsenter(["ls", "/"])
            #expect(before.code != 0, "stage1 has no ls before the script: \(before)")

            let install = try ChildProcess(script, ["--dir=\(world.data)", String(pod.uuid.prefix(8))], scratch: world.scratch)
                .wait(timeout: 60)
            #expect(install.code == 0, "\(install)")
            #expect(
                install.outLines == [
                    "Busybox installed. Use the following command to enter pod's stage1:",
                    "sudo nsenter -m -u -i -p -t \(initPID)",
                ], "the two lines, PID = init's host pid: \(install)")

            let after = try nsenter(["/bin/ls", "/"])
            #expect(after.code == 0, "\(after)")
            #expect(after.outLines.contains("rkt") && after.outLines.contains("opt"), "ls / in stage1: \(after)")
            // The env file of the app, as the guide shows it.
            let env = try nsenter(["/bin/cat", "/rkt/env/busybox"])
            #expect(env.outLines.contains("AC_APP_NAME=busybox"), "\(env)")
            // pid namespace of the pod: the init is PID 1 there.
            let ps = try nsenter(["/bin/ps"])
            #expect(ps.code == 0 && ps.out.contains("sleep 30") && !ps.out.contains("PackageTests"), "ps inside stage1: \(ps)")
        }
    }
}
