import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// rkt's behaviours past the guide that need a pod (rkt's TestDNS, TestEtcHosts,
    /// TestVolumeMount, TestPodManifestWithEmptyApps).
    @Suite struct RktBehaviour {
        /// DNS for each network mode: on the host's network, with no --dns, an app whose image
        /// has no resolv.conf gets the host's (read-only); an image's own file wins; a pod
        /// network without DNS settings leaves the image's; --dns=none leaves it too.
        @Test(.timeLimit(.minutes(2)))
        func resolvConfPerNetworkMode() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let host = try #require(readText("/etc/resolv.conf"))
            let onHost = world.runShell("cat /etc/resolv.conf; echo x >> /etc/resolv.conf 2>/dev/null || echo read-only")
            #expect(onHost.code == 0 && onHost.out == host + "read-only\n", "\(onHost)")
            let image = world.scratch.file("own-resolv.aci")
            try writeBusyboxImage(image, files: ["etc/resolv.conf": "nameserver 192.0.2.53\n"])
            #expect(world.runShell("cat /etc/resolv.conf", image: image).out == "nameserver 192.0.2.53\n")
            let none = world.runShell("cat /etc/resolv.conf", global: ["--dns=none"])
            #expect(none.code != 0, "--dns=none: the image's, which has none: \(none)")
            let contained = world.rkt(["run", "--net=none", world.image, "--exec", "/bin/cat", "--", "/etc/resolv.conf"])
            #expect(contained.code != 0, "a pod network without DNS settings: \(contained)")
        }

        /// --hosts-entry names of one address on one line; --hosts-entry=host twice is still
        /// the host's file (TestEtcHosts).
        @Test(.timeLimit(.minutes(2)))
        func hostsEntries() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let grouped = world.runShell(
                "cat /etc/hosts", global: ["--hosts-entry=198.51.100.0=host1,198.51.100.1=host2", "--hosts-entry=198.51.100.0=host3"])
            #expect(grouped.code == 0, "\(grouped)")
            #expect(grouped.out.hasSuffix("\n# Added by rkt run --hosts-entry\n198.51.100.0 host1 host3\n198.51.100.1 host2\n"), "\(grouped.out)")
            let twice = world.runShell("cat /etc/hosts", global: ["--hosts-entry=host", "--hosts-entry=host"])
            #expect(twice.code == 0 && twice.out == readText("/etc/hosts"), "\(twice)")
        }

        /// A duplicate --volume name (TestVolumeMount) and a pod manifest without apps
        /// (TestPodManifestWithEmptyApps) are refused, and no pod is left to run.
        @Test(.timeLimit(.minutes(2)))
        func refusedPods() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let source = world.scratch.mkdir("vol")
            let duplicate = world.rkt([
                "run", "--volume=test,kind=host,source=\(source)", "--mount=volume=test,target=/a", "--volume=test,kind=empty",
                "--mount=volume=test,target=/b", world.image, "--exec", "/bin/true",
            ])
            #expect(duplicate.code == 254 && duplicate.err.contains("duplicate volume name \"test\""), "\(duplicate)")
            let manifest = world.scratch.file("empty.json")
            try #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[]}"#.write(toFile: manifest, atomically: true, encoding: .utf8)
            let empty = world.rkt(["run", "--pod-manifest=\(manifest)"])
            #expect(empty.code == 254 && empty.err.hasSuffix("run: pod must contain at least one application\n"), "\(empty)")
            #expect(world.podDirectories("run").isEmpty)
        }

        /// sysfs only for an app without mount points at or below /sys (TestVolumeSysfs);
        /// a volume's readOnly over its mount point's (rkt's stage1 mount rule).
        @Test(.timeLimit(.minutes(2)))
        func volumesUnderSysAndReadOnly() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            func image(_ mountPoints: String) throws -> String {
                let path = world.scratch.file("mp-\(world.scratch.next()).aci")
                try writeBusyboxImage(
                    path, manifest: busyboxManifest.replacingOccurrences(of: #""group":"0"}"#, with: #""group":"0","mountPoints":\#(mountPoints)}"#))
                return path
            }
            #expect(world.runShell("ls -ld /sys/class").out.hasPrefix("drwxr-xr-x"))
            let emptySys = try image(#"[{"name":"sysdir","path":"/sys","readOnly":false}]"#)
            let empty = world.runShell("ls /sys/class", image: emptySys)
            #expect(empty.code != 0 && empty.err.contains("No such file or directory"), "an empty volume at /sys: \(empty)")
            let classDevice = try image(#"[{"name":"sysdir","path":"/sys/class","readOnly":false}]"#)
            let device = world.runShell("ls -l /sys/class", global: ["--volume=sysdir,kind=host,source=/dev/null,readOnly=false"], image: classDevice)
            #expect(device.code == 0 && device.out.hasPrefix("crw-rw-rw-"), "/dev/null at /sys/class: \(device)")

            let readOnlyPoint = try image(#"[{"name":"data","path":"/data","readOnly":true}]"#)
            let source = world.scratch.mkdir("data")
            let kept = world.runShell("touch /data/x", global: ["--volume=data,kind=host,source=\(source)"], image: readOnlyPoint)
            #expect(kept.code != 0, "the mount point's readOnly when the volume says nothing: \(kept)")
            let overridden = world.runShell("touch /data/x", global: ["--volume=data,kind=host,source=\(source),readOnly=false"], image: readOnlyPoint)
            #expect(overridden.code == 0 && fileExists(source + "/x"), "the volume's readOnly=false wins: \(overridden)")
        }

        /// `rkt export`: an exited pod's app as an ACI that actool validates and that runs,
        /// with what the app changed; nothing mounted on the host meanwhile.
        @Test(.timeLimit(.minutes(2)))
        func exportAnExitedApp() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let mountsBefore = hostMountPoints()
            let uuidFile = world.scratch.file("uuid")
            let run = world.rkt([
                "run", "--net=host", "--uuid-file-save=\(uuidFile)", world.image, "--exec", "/bin/sh", "--", "-c", "echo left > /root/state",
            ])
            #expect(run.code == 0, "\(run)")
            let uuid = try #require(readText(uuidFile))
            let output = world.scratch.file("exported.aci")
            let exported = world.rkt("export", uuid, output)
            #expect(exported.code == 0 && exported.out.isEmpty && exported.err.isEmpty, "\(exported)")
            let validate = try ChildProcess(buildDirectory + "/actool", ["validate", output], scratch: world.scratch).wait(timeout: 30)
            #expect(validate.code == 0, "actool validate: \(validate)")
            let again = world.rkt("run", "--net=host", output, "--exec", "/bin/cat", "--", "/root/state")
            #expect(again.code == 0 && again.out == "left\n", "the exported image runs, with the app's change: \(again)")
            #expect(hostMountPoints() == mountsBefore, "nothing stays mounted on the host")

            #expect(world.rkt("export", uuid, output).err.contains("Target file exists (try --overwrite)"))
            #expect(world.rkt("export", "--overwrite", uuid, output).code == 0)
            let badName = world.rkt("export", uuid, world.scratch.file("out.tar"))
            #expect(badName.code == 254 && badName.err == "export: extension must be .aci (given \(world.scratch.file("out.tar")))\n", "\(badName)")
            let pod = try world.startPod(runFlags: ["--net=host"])
            let running = world.rkt("export", pod.uuid, world.scratch.file("running.aci"))
            #expect(running.code == 254 && running.err == "export: pod is not exited. Only exited pods can be exported\n", "\(running)")
        }
    }
}
