import Foundation
import Glibc
import Testing

extension Pods {
    /// `rkt stop [--force]`.
    @Suite struct Stop {
        @Test(.timeLimit(.minutes(3)))
        func gracefulStop() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()
            let app = try #require(pod.appPIDs.first, "no app process")

            let stop = world.rkt("stop", pod.uuid)
            #expect(stop.code == 0 && stop.out == "\"\(pod.uuid)\"\n", "stop prints the quoted UUID: \(stop)")
            let run = pod.process.wait(timeout: 15)
            #expect(run.code == 0 && !run.signaled && !run.timedOut, "graceful stop: rkt run exits 0 within 15 s: \(run)")
            #expect(pod.waitExited(timeout: 15), "state=exited within 15 s: \(pod.status())")
            #expect(poll(timeout: 5) { processGone(app) }, "the app (\(app)) must be gone")
            let status = pod.status()
            #expect(status.outLines.contains("exited=true"), "\(status)")

            let again = world.rkt("stop", pod.uuid)
            #expect(again.code == 0 && again.out == "pod \"\(pod.uuid)\" is already stopped\n", "stop of an exited pod: \(again)")

            let nope = world.rkt("stop", "nope")
            #expect(nope.code == 254, "\(nope)")
            #expect(nope.errLines == ["stop: cannot get pod: no matches found for \"nope\"", "stop: failed to stop 1 pod(s)"], "\(nope)")
        }

        @Test(.timeLimit(.minutes(3)))
        func forcedStop() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()
            let initPID = try #require(pod.initPID, "no init")
            let app = try #require(pod.appPIDs.first, "no app process")

            let stop = world.rkt("stop", "--force", pod.uuid)
            #expect(stop.code == 0 && stop.out == "\"\(pod.uuid)\"\n", "\(stop)")
            let run = pod.process.wait(timeout: 15)
            #expect(run.signaled && run.code == SIGKILL && !run.timedOut, "stop --force SIGKILLs the supervisor (= rkt run): \(run)")
            #expect(pod.waitExited(timeout: 15), "state=exited within 15 s: \(pod.status())")
            #expect(poll(timeout: 10) { processGone(initPID) && processGone(app) }, "init \(initPID) and app \(app) must die with the supervisor")

            // --uuid-file on a second pod.
            let second = try world.startPod()
            let uuidFile = world.scratch.file("second-uuid")
            _ = FileManager.default.createFile(atPath: uuidFile, contents: Data(second.uuid.utf8))
            let byFile = world.rkt("stop", "--uuid-file=\(uuidFile)")
            #expect(byFile.code == 0 && byFile.out == "\"\(second.uuid)\"\n", "stop --uuid-file: \(byFile)")
            #expect(second.waitExited(timeout: 15), "\(second.status())")
        }

        /// An app that ignores SIGTERM gets the grace period (10 s), then SIGKILL; the
        /// pod still ends as a stopped pod (exit 0, the app's status 0, as rkt reports
        /// the apps it stops).
        @Test(.timeLimit(.minutes(3)))
        func ignoredStopIsKilledAfterTheGracePeriod() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod(appFlags: ["--exec", "/bin/sh", "--", "-c", "trap '' TERM HUP; while true; do sleep 1; done"])

            let started = Date()
            let stop = world.rkt("stop", pod.uuid)
            #expect(stop.code == 0, "\(stop)")
            let run = pod.process.wait(timeout: 30)
            let elapsed = Date().timeIntervalSince(started)
            #expect(run.code == 0 && !run.signaled && !run.timedOut, "the stopped pod exits 0: \(run)")
            #expect(elapsed >= 9, "SIGKILL came after \(elapsed) s, before the 10 s grace period")
            #expect(pod.waitExited(timeout: 15), "\(pod.status())")
            #expect(pod.status().outLines.contains("app-busybox=0"), "\(pod.status())")
        }
    }
}
