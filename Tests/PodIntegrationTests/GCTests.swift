import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// `rkt gc` and the host's mount table: every pod mount lives in the pod's mount namespace.
    @Suite struct GarbageCollection {
        @Test(.timeLimit(.minutes(3)))
        func hostVolumeAndGC() throws {
            guard preconditionsMet() else { return }
            let before = hostMountPoints()
            let world = try PodWorld()
            defer { world.cleanup() }
            let hostDir = world.scratch.mkdir("hostdir")
            let uuidFile = world.scratch.file("uuid")

            let run = world.rkt([
                "run", "--uuid-file-save=\(uuidFile)",
                "--volume", "data,kind=host,source=\(hostDir)", "--mount", "volume=data,target=/data",
                world.image, "--exec", "/bin/sh", "--", "-c", "echo hello > /data/hello && grep -q ' /data ' /proc/self/mountinfo",
            ])
            #expect(run.code == 0, "\(run)")
            #expect(readText(hostDir + "/hello") == "hello\n", "the app's write must land in the host dir")
            let uuid = try #require(readText(uuidFile))
            #expect(hostMountPoints() == before, "after the run (before gc) the host mount table must be unchanged")

            let gc = world.rkt("gc", "--grace-period=0s")
            #expect(gc.code == 0, "\(gc)")
            #expect(gc.outLines.contains("Garbage collecting pod \"\(uuid)\""), "\(gc)")
            #expect(gc.errLines.contains("gc: moving pod \"\(uuid)\" to garbage"), "gc marks on stderr: \(gc)")
            #expect(world.allPodDirectories().isEmpty, "no pod dir may remain: \(world.allPodDirectories())")
            #expect(readText(hostDir + "/hello") == "hello\n", "gc must not touch the host volume")
            #expect(hostMountPoints() == before, "host mount points after gc must equal those before the run")
            let status = world.rkt("status", uuid)
            #expect(status.code == 254, "the collected pod is gone: \(status)")
        }

        @Test(.timeLimit(.minutes(3)))
        func killedSupervisor() throws {
            guard preconditionsMet() else { return }
            let before = hostMountPoints()
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()
            let initPID = try #require(pod.initPID, "no init")
            let app = try #require(pod.appPIDs.first, "no app")
            // The one host mount of a running pod is its network namespace's (rkt's
            // /run/netns/cni-*), which outlives a killed supervisor until gc.
            let netns = readText(world.data + "/pods/run/\(pod.uuid)/netns") ?? "<no netns file>"
            #expect(hostMountPoints() == before + [netns], "while the pod runs, only its network namespace may show on the host")

            #expect(pod.pid == pod.process.pid, "rkt run is the supervisor")
            kill(pod.process.pid, SIGKILL)
            let run = pod.process.wait(timeout: 10)
            #expect(run.signaled && run.code == SIGKILL, "\(run)")
            #expect(
                poll(timeout: 10) { processGone(initPID) && processGone(app) },
                "init \(initPID) and app \(app) must die with the supervisor (init: \(readText("/proc/\(initPID)/stat") ?? "gone"), app: \(readText("/proc/\(app)/stat") ?? "gone"))"
            )
            #expect(pod.waitExited(timeout: 10), "\(pod.status())")

            let gc = world.rkt("gc", "--grace-period=0s")
            #expect(gc.code == 0 && gc.outLines.contains("Garbage collecting pod \"\(pod.uuid)\""), "\(gc)")
            #expect(world.allPodDirectories().isEmpty, "no pod dir may remain: \(world.allPodDirectories())")
            #expect(hostMountPoints() == before, "host mount points after gc must equal those before the run")
        }
    }
}
