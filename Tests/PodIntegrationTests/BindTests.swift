import Foundation
import Glibc
import TestSupport
import Testing

/// The mount points of process `pid`'s mount namespace, in mountinfo order.
func mountPoints(of pid: Int32) -> [String] {
    (readText("/proc/\(pid)/mountinfo") ?? "").split(separator: "\n").map { String($0.split(separator: " ")[4]) }
}

extension Pods {
    /// `rkt bind` and `rkt unbind`: the guide's `machinectl bind`, for our pods.
    @Suite struct Bind {
        @Test(.timeLimit(.minutes(3)))
        func bindAndUnbindWithTheGuidesPaths() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()
            let initPID = try #require(pod.initPID)
            let before = mountPoints(of: initPID)
            let tools = world.scratch.mkdir("tools")
            try "from the host\n".write(toFile: tools + "/note", atomically: false, encoding: .utf8)

            // The guide's destination; missing, so --mkdir is needed.
            let destination = "/opt/stage2/busybox/rootfs/tools"
            let missing = world.rkt("bind", pod.uuid, tools, destination)
            #expect(missing.code == 254 && missing.err.hasPrefix("bind: destination \"\(destination)\": ") && missing.err.contains("--mkdir"), "\(missing)")
            let bind = world.rkt("bind", "--mkdir", pod.uuid, tools, destination)
            #expect(bind.code == 0 && bind.err.isEmpty, "\(bind)")
            let seen = world.rkt("enter", pod.uuid, "cat", "/tools/note")
            #expect(seen.out == "from the host\n", "the app sees the mount at once: \(seen)")
            let write = world.rkt("enter", pod.uuid, "sh", "-c", "echo from the pod > /tools/back")
            #expect(write.code == 0 && readText(tools + "/back") == "from the pod\n", "read-write by default: \(write)")

            // --read-only, a file onto a new file, by UUID prefix.
            let file = world.rkt("bind", "--read-only", "--mkdir", String(pod.uuid.prefix(8)), tools + "/note", "/opt/stage2/busybox/rootfs/etc/note")
            #expect(file.code == 0, "\(file)")
            let readOnly = world.rkt("enter", pod.uuid, "sh", "-c", "cat /etc/note && echo x >> /etc/note")
            #expect(readOnly.out == "from the host\n" && readOnly.code != 0 && readOnly.err.contains("Read-only"), "\(readOnly)")
            #expect(readText(tools + "/note") == "from the host\n")

            // The pod's own mounts are not for unbind; what bind made is.
            let own = world.rkt("unbind", pod.uuid, "/opt/stage2/busybox/rootfs/proc")
            #expect(own.code == 254 && own.err == "unbind: nothing was mounted on \"/opt/stage2/busybox/rootfs/proc\" by rkt bind\n", "\(own)")
            for target in [destination, "/opt/stage2/busybox/rootfs/etc/note"] {
                let unbind = world.rkt("unbind", pod.uuid, target)
                #expect(unbind.code == 0 && unbind.err.isEmpty, "\(unbind)")
            }
            let gone = world.rkt("enter", pod.uuid, "ls", "/tools")
            #expect(gone.code == 0 && gone.out.isEmpty, "unbind leaves the (empty) mount point: \(gone)")
            #expect(mountPoints(of: initPID) == before, "the pod's mount table is as before")
            let again = world.rkt("unbind", pod.uuid, destination)
            #expect(again.code == 254 && again.err.contains("nothing was mounted"), "\(again)")
            #expect(hostMountPoints().allSatisfy { !$0.contains("/tools") }, "nothing mounted on the host")
        }

        @Test(.timeLimit(.minutes(3)))
        func destinationsStayInsideThePod() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod()
            let initPID = try #require(pod.initPID)
            let source = world.scratch.mkdir("source")
            try "inside\n".write(toFile: source + "/mark", atomically: false, encoding: .utf8)

            // A symlink in the app's root pointing at an absolute path resolves in the app's
            // root (as the app sees it), not in stage1's and never on the host.
            let appRoot = "/proc/\(initPID)/root/opt/stage2/busybox/rootfs"
            #expect(symlink("/etc", appRoot + "/escape") == 0)
            let viaLink = world.rkt("bind", pod.uuid, source, "/opt/stage2/busybox/rootfs/escape")
            #expect(viaLink.code == 0, "\(viaLink)")
            let inApp = world.rkt("enter", pod.uuid, "cat", "/etc/mark")
            #expect(inApp.out == "inside\n", "mounted on the app's /etc: \(inApp)")
            #expect(!fileExists("/etc/mark") && !fileExists("/proc/\(initPID)/root/etc/mark"), "not on the host's or stage1's /etc")

            let cases: [([String], String)] = [
                (["bind", pod.uuid, source, "/opt/../etc"], "bind: destination \"/opt/../etc\" is not a path in the pod's root"),
                (["bind", pod.uuid, source, "opt/stage2"], "bind: destination \"opt/stage2\" is not a path in the pod's root"),
                (["bind", pod.uuid, source, "/"], "bind: destination \"/\" is not a path in the pod's root"),
                (
                    ["bind", pod.uuid, world.scratch.path + "/nothing", "/opt/stage2/busybox/rootfs/tmp"],
                    "bind: source \"\(world.scratch.path)/nothing\": no such file or directory"
                ),
                (["bind", "nope", source, "/opt/stage2/busybox/rootfs/tmp"], "bind: problem retrieving pod: no matches found for \"nope\""),
                (["bind", pod.uuid, source], "USAGE:\n\trkt bind UUID SOURCE DESTINATION\n"),
                (["unbind", pod.uuid, "/opt/stage2/busybox/rootfs/../x"], "unbind: destination \"/opt/stage2/busybox/rootfs/../x\" is not a path in the pod's root"),
            ]
            for (arguments, message) in cases {
                let result = world.rkt(arguments)
                #expect(result.code == 254 && (result.err + result.out).contains(message), "rkt \(arguments): \(result)")
            }
            #expect(world.rkt("unbind", pod.uuid, "/opt/stage2/busybox/rootfs/escape").code == 0)
            unlink(appRoot + "/escape")
        }

        @Test(.timeLimit(.minutes(2)))
        func onlyRunningPods() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let uuidFile = world.scratch.file("uuid")
            #expect(world.rkt(["run", "--uuid-file-save=\(uuidFile)", world.image, "--exec", "/bin/true"]).code == 0)
            let uuid = try #require(readText(uuidFile))
            let bind = world.rkt("bind", uuid, world.scratch.path, "/opt/stage2/busybox/rootfs/tmp")
            #expect(bind.code == 254 && bind.err == "bind: pod \"\(uuid)\" isn't currently running\n", "\(bind)")
            let unbind = world.rkt("unbind", uuid, "/opt/stage2/busybox/rootfs/tmp")
            #expect(unbind.code == 254 && unbind.err == "unbind: pod \"\(uuid)\" isn't currently running\n", "\(unbind)")
        }
    }
}
