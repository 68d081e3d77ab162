import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// Behaviours rkt's own functional tests check (TestNoNewPrivileges, TestOOMScoreAdjust,
    /// TestVolumes, TestDockerVolumeSemantics, TestPrepareAppCheckEtcHostname, TestCapsOverride,
    /// TestAppUserGroup, TestMissingOrInvalidOSArchRun).
    @Suite struct Compat {
        /// An image with the given manifest fields after the standard ones.
        func image(_ world: PodWorld, _ name: String, extra: String, files: [String: String] = [:]) throws -> String {
            let path = world.scratch.file(name + ".aci")
            let manifest = busyboxManifest.replacingOccurrences(of: #""group":"0"}"#, with: #""group":"0""# + extra + "}")
            try writeBusyboxImage(path, manifest: manifest, files: files)
            return path
        }

        @Test(.timeLimit(.minutes(2)))
        func isolatorsForPrivilegesAndOOM() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let plain = world.rkt(["run", world.image, "--exec", "/bin/grep", "--", "NoNewPrivs", "/proc/self/status"])
            #expect(plain.outLines == ["NoNewPrivs:\t0"], "without the isolator: \(plain)")
            let isolated = try image(world, "nnp", extra: #","isolators":[{"name":"os/linux/no-new-privileges","value":true},{"name":"os/linux/oom-score-adj","value":99}]"#)
            let nnp = world.rkt(["run", isolated, "--exec", "/bin/sh", "--", "-c", "grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj"])
            #expect(nnp.outLines == ["NoNewPrivs:\t1", "99"], "\(nnp)")
            // Raising needs no privilege (lowering needs CAP_SYS_RESOURCE, which sandboxes may lack).
            let flag = world.rkt(["run", world.image, "--oom-score-adj=500", "--exec", "/bin/cat", "--", "/proc/self/oom_score_adj"])
            #expect(flag.outLines == ["500"], "\(flag)")
        }

        @Test(.timeLimit(.minutes(2)))
        func volumes() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            // A mount point with no volume gets an empty one, filled with the image's files there.
            let withMountPoint = try image(
                world, "mp", extra: #","mountPoints":[{"name":"data","path":"/data"}]"#,
                files: ["data/seed": "from the image\n"])
            let implicit = world.rkt(["run", withMountPoint, "--exec", "/bin/sh", "--", "-c", "cat /data/seed; echo new > /data/new; ls /data"])
            #expect(implicit.code == 0 && implicit.outLines == ["from the image", "new", "seed"], "\(implicit)")
            // kind=empty volumes, and a relative --mount target (relative to the app's root).
            let empty = world.rkt([
                "run", "--volume=scratch,kind=empty", world.image, "--mount=volume=scratch,target=scratchdir",
                "--exec", "/bin/sh", "--", "-c", "echo hi > /scratchdir/f && cat /scratchdir/f",
            ])
            #expect(empty.code == 0 && empty.outLines == ["hi"], "\(empty)")
            // A mount at another path than the image's mount point of the same name is its own mount.
            let host = world.scratch.mkdir("host")
            _ = FileManager.default.createFile(atPath: host + "/file", contents: Data("host\n".utf8))
            let nested = world.rkt([
                "run", "--volume=data,kind=host,source=\(host)", "--mount=volume=data,target=/a/b/c", withMountPoint,
                "--exec", "/bin/cat", "--", "/a/b/c/file",
            ])
            #expect(nested.code == 0 && nested.outLines == ["host"], "\(nested)")
        }

        @Test(.timeLimit(.minutes(2)))
        func podFlagsAfterTheImageAndEtcFiles() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let run = world.rkt([
                "run", world.image, "--hostname", "custom_hostname_setting", "--exec", "/bin/sh", "--", "-c",
                "hostname; cat /etc/hostname; ls -l /etc/hostname",
            ])
            #expect(run.code == 0, "\(run)")
            #expect(run.outLines.prefix(2) == ["custom_hostname_setting", "custom_hostname_setting"], "\(run)")
            #expect(run.outLines.last?.hasPrefix("-rw-r--r--") == true, "\(run)")
            let hosts = world.rkt(["run", world.image, "--exec", "/bin/cat", "--", "/etc/hosts"])
            #expect(matches(hosts.outLines.first ?? "", #"127\.0\.0\.1 localhost localhost\.domain localhost4 localhost4\.localdomain4 rkt-[a-z0-9-]{36}"#), "\(hosts)")
        }

        /// rkt's TestPreStart: appc's pre-start runs as root before the app (here `nobody`),
        /// post-stop after it has ended.
        @Test(.timeLimit(.minutes(2)))
        func eventHandlers() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let handlers =
                #","eventHandlers":[{"name":"pre-start","exec":["/bin/sh","-c","id -u > /tmp/pre"]},{"name":"post-stop","exec":["/bin/sh","-c","echo post-stop ran >> /out/log"]}],"mountPoints":[{"name":"out","path":"/out"}]"#
            let image = try image(world, "handlers", extra: handlers)
            let out = world.scratch.mkdir("handlers-out")
            chmod(out, 0o777)
            let run = world.rkt([
                "run", "--volume=out,kind=host,source=\(out)", image, "--user=nobody", "--group=nobody",
                "--exec", "/bin/sh", "--", "-c", "echo pre-start ran as $(cat /tmp/pre); id -u",
            ])
            #expect(run.code == 0, "\(run)")
            #expect(run.outLines == ["pre-start ran as 0", "65534"], "\(run)")
            #expect(readText(out + "/log") == "post-stop ran\n", "post-stop's file: \(readText(out + "/log") ?? "none")")
            let failing = try self.image(world, "failing", extra: #","eventHandlers":[{"name":"pre-start","exec":["/bin/sh","-c","exit 3"]}]"#)
            let failed = world.rkt(["run", failing, "--exec", "/bin/echo", "--", "app ran"])
            #expect(failed.code == 3 && !failed.out.contains("app ran"), "a failing pre-start stops the app: \(failed)")
        }

        /// rkt's TestPathsWrite and TestPathsStat: /proc's kernel knobs are read-only and
        /// /sys/firmware is hidden, unless --insecure-options=paths.
        @Test(.timeLimit(.minutes(2)))
        func restrictedPaths() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let script = "ls -ld /sys/firmware | cut -c1-10; echo 1 > /proc/sys/kernel/ns_last_pid && echo written"
            let restricted = world.rkt(["run", world.image, "--exec", "/bin/sh", "--", "-c", script])
            #expect(restricted.outLines == ["d---------"], "\(restricted)")
            #expect(restricted.err.contains("Read-only file system"), "\(restricted)")
            let open = world.rkt(["--insecure-options=image,paths", "run", world.image, "--exec", "/bin/sh", "--", "-c", "ls -ld /sys/firmware | cut -c1-10"])
            #expect(open.code == 0 && open.outLines != ["d---------"], "\(open)")
        }

        /// rkt's TestPodManifest (the basic rows) and TestRunConflictingFlags.
        @Test(.timeLimit(.minutes(2)))
        func podManifest() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let fetched = world.rkt(["fetch", "--full", world.image])
            let id = fetched.outLines.first ?? ""
            #expect(matches(id, "sha512-[0-9a-f]{64}"), "\(fetched)")
            let host = world.scratch.mkdir("pm-host")
            _ = FileManager.default.createFile(atPath: host + "/f", contents: Data("from the host\n".utf8))
            let manifest = world.scratch.file("pod.json")
            let text =
                #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"hello","image":{"id":"\#(id)"},"app":{"exec":["/bin/sh","-c","echo $GREETING; cat /data/f; exit 7"],"user":"0","group":"0","environment":[{"name":"GREETING","value":"from the manifest"}],"mountPoints":[{"name":"data","path":"/data"}]}}],"volumes":[{"name":"data","kind":"host","source":"\#(host)"}]}"#
            _ = FileManager.default.createFile(atPath: manifest, contents: Data(text.utf8))
            let run = world.rkt(["run", "--pod-manifest=\(manifest)"])
            #expect(run.code == 7 && run.outLines == ["from the manifest", "from the host"], "\(run)")
            let conflict = world.rkt(["run", "--pod-manifest=\(manifest)", world.image])
            #expect(conflict.code == 254 && conflict.err.contains("conflicting flags set with --pod-manifest"), "\(conflict)")
        }

        @Test(.timeLimit(.minutes(2)))
        func capabilitiesUsersAndLabels() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            // Command-line capabilities replace the image's isolator.
            let revoked = try image(world, "revoked", extra: #","isolators":[{"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_CHOWN"]}}]"#)
            let isolatorOnly = world.rkt(["run", revoked, "--exec", "/bin/grep", "--", "CapBnd", "/proc/self/status"])
            #expect(isolatorOnly.outLines == ["CapBnd:\t00000000a80425fa"], "image isolator alone: \(isolatorOnly)")
            let flags = world.rkt(["run", revoked, "--caps-remove=CAP_KILL", "--exec", "/bin/grep", "--", "CapBnd", "/proc/self/status"])
            #expect(flags.outLines == ["CapBnd:\t00000000a80425db"], "--caps-remove replaces the isolator: \(flags)")
            // `root` is uid 0 even in an image whose passwd lacks it.
            let noRoot = try image(world, "noroot", extra: "", files: ["etc/passwd": "user1:x:1000:1000::/home:/bin/sh\n"])
            let root = world.rkt(["run", noRoot, "--user=root", "--group=root", "--exec", "/bin/id"])
            #expect(root.code == 0 && root.outLines.first?.hasPrefix("uid=0") == true, "\(root)")
            // An image for another OS is refused.
            let freebsd = world.scratch.file("freebsd.aci")
            try writeBusyboxImage(freebsd, manifest: busyboxManifest.replacingOccurrences(of: #""value":"linux""#, with: #""value":"freebsd""#))
            let bad = world.rkt(["run", freebsd])
            #expect(bad.code == 254 && bad.err.contains(#"bad os "freebsd""#), "\(bad)")
        }
    }
}
