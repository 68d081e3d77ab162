import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// `rkt run`: exit codes, status after exit, bad input, several apps.
    @Suite struct Run {
        /// Checks `rkt status` of an exited single-app pod line by line.
        func expectExitedStatus(_ status: RunResult, app: String, code: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(status.code == 0, "rkt status: \(status)", sourceLocation: sourceLocation)
            let lines = status.outLines
            let keys = lines.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 }
            #expect(
                keys == ["state", "created", "started", "networks", "pid", "exited", "app-\(app)"],
                "status keys/order: \(status)", sourceLocation: sourceLocation)
            guard lines.count == 7 else { return }
            #expect(lines[0] == "state=exited", sourceLocation: sourceLocation)
            #expect(matches(lines[1], "created=" + goTimePattern), "\(lines[1])", sourceLocation: sourceLocation)
            #expect(matches(lines[2], "started=" + goTimePattern), "\(lines[2])", sourceLocation: sourceLocation)
            #expect(matches(lines[3], "networks=" + defaultNetworkPattern), "\(lines[3])", sourceLocation: sourceLocation)
            #expect(matches(lines[4], "pid=[1-9][0-9]*"), "\(lines[4])", sourceLocation: sourceLocation)
            #expect(lines[5] == "exited=true", sourceLocation: sourceLocation)
            #expect(lines[6] == "app-\(app)=\(code)", sourceLocation: sourceLocation)
        }

        @Test(.timeLimit(.minutes(3)))
        func exitCodesAndStatus() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            for code in [3, 0] {
                let uuidFile = world.scratch.file("uuid-\(code)")
                let run = world.rkt(["run", "--uuid-file-save=\(uuidFile)", world.image, "--exec", "/bin/sh", "--", "-c", "exit \(code)"])
                #expect(run.code == Int32(code) && !run.signaled, "rkt run of `exit \(code)`: \(run)")
                let uuid = readText(uuidFile) ?? ""
                #expect(matches(uuid, uuidPattern), "--uuid-file-save must hold the bare UUID (no newline): \(uuid.debugDescription)")
                guard !uuid.isEmpty else { continue }
                let status = world.rkt("status", uuid)
                expectExitedStatus(status, app: "busybox", code: code)
                // created <= started; pid is the supervisor, which is gone now.
                if let pid = statusPairsOf(status.out).first(where: { $0.0 == "pid" }).flatMap({ Int32($0.1) }) {
                    #expect(processGone(pid), "pid=\(pid) of an exited pod is still alive")
                }
            }
        }

        /// Global flags after the image take effect (they were once parsed and then ignored):
        /// the pod lands in `--dir`, `--insecure-options` spares the signature, `--debug` talks.
        @Test(.timeLimit(.minutes(2)))
        func globalFlagsAfterTheImage() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let placements = [
                ["--dir=\(world.data)", "prepare", world.image, "--insecure-options=image", "--debug"],
                ["prepare", world.image, "--dir=\(world.data)", "--insecure-options=image", "--debug"],
                ["prepare", "--debug", world.image, "--dir", world.data, "--insecure-options", "image"],
            ]
            for arguments in placements {
                let prepared = world.rktAsWritten(arguments)
                #expect(prepared.code == 0, "rkt \(arguments): \(prepared)")
                let uuid = prepared.outLines.last ?? ""
                #expect(matches(uuid, uuidPattern), "rkt \(arguments): \(prepared)")
                #expect(prepared.errLines.contains { $0.hasPrefix("stage0: ") }, "--debug is heard: \(prepared)")
                guard matches(uuid, uuidPattern) else { continue }
                #expect(fileExists(world.data + "/pods/prepared/" + uuid), "the pod is under --dir")
                let removed = world.rkt("rm", uuid)
                #expect(removed.code == 0, "\(removed)")
            }
            // Without --insecure-options, wherever it would have stood, the signature is required.
            let signed = world.rktAsWritten(["prepare", world.image, "--dir=\(world.data)"])
            #expect(signed.code == 254, "\(signed)")
            #expect(signed.err.contains(".asc"), "\(signed)")
        }

        /// rkt's TestCommandsNeedRoot: the pod commands refuse an unprivileged user up front.
        @Test(.timeLimit(.minutes(2)))
        func podCommandsNeedRoot() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            for command in [["run", world.image], ["prepare", world.image], ["run-prepared", "x"], ["enter", "x"], ["rm", "x"], ["gc"]] {
                let process = try ChildProcess(
                    "/usr/bin/setpriv",
                    [
                        "--reuid=65534", "--regid=65534", "--clear-groups", world.rktPath,
                        "--dir=\(world.data)",
                    ] + command, scratch: world.scratch)
                let result = process.wait(timeout: 30)
                #expect(result.code == 254, "\(command): \(result)")
                #expect(result.err == "\(command[0]): cannot run as unprivileged user\n", "\(command): \(result)")
            }
        }

        /// rkt's TestDNS and TestPrepareAppEnsureEtcHosts: resolv.conf from --dns flags (none
        /// without them), /etc/hosts with loopback when the image has none, --hosts-entry added.
        @Test(.timeLimit(.minutes(2)))
        func dnsAndHosts() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let none = world.rkt(["run", "--mds-register=false", world.image, "--exec", "/bin/cat", "--", "/etc/resolv.conf"])
            #expect(none.code != 0, "no --dns, no resolv.conf: \(none)")
            let dns = world.rkt([
                "run", "--dns=8.8.8.8", "--dns=8.8.4.4", "--dns-search=foo.com", "--dns-search=bar.com",
                "--dns-opt=debug", "--dns-opt=rotate", world.image, "--exec", "/bin/cat", "--", "/etc/resolv.conf",
            ])
            #expect(dns.code == 0, "\(dns)")
            for line in ["nameserver 8.8.8.8", "nameserver 8.8.4.4", "search foo.com bar.com", "options debug rotate"] {
                #expect(dns.outLines.contains(line), "\(line) in \(dns)")
            }
            // Byte for byte what rkt's stage0 writes (common.MakeResolvConf): search before the servers.
            #expect(
                dns.out == "# Generated by rkt run\n\nsearch foo.com bar.com\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions debug rotate\n",
                "\(dns.out.debugDescription)")
            let hosts = world.rkt(["run", "--hosts-entry=10.1.2.3=db.local", world.image, "--exec", "/bin/cat", "--", "/etc/hosts"])
            #expect(hosts.code == 0, "\(hosts)")
            #expect(hosts.outLines.first?.hasPrefix("127.0.0.1 localhost") == true, "\(hosts)")
            #expect(hosts.outLines.contains("10.1.2.3 db.local"), "\(hosts)")
        }

        /// rkt's TestMtabExistence: an image with /etc but no mtab gets `/etc/mtab -> ../proc/self/mounts`.
        @Test(.timeLimit(.minutes(2)))
        func mtabLinksToProcMounts() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let run = world.rkt(["run", world.image, "--exec", "/bin/readlink", "--", "/etc/mtab"])
            #expect(run.code == 0, "\(run)")
            #expect(run.outLines == ["../proc/self/mounts"], "\(run)")
        }

        @Test(.timeLimit(.minutes(2)))
        func missingExecutable() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let run = world.rkt(["run", world.image, "--exec", "/bin/nonexistent"])
            #expect(run.code == 254, "\(run)")
            #expect(run.err.contains(#"can't execute "/bin/nonexistent""#), "\(run)")
            #expect(world.podDirectories("run").isEmpty, "pods/run after a failed run: \(world.podDirectories("run"))")
        }

        /// Each failure must exit 254 with one `run: ...` line on stderr and leave nothing in pods/run.
        @Test(.timeLimit(.minutes(3)))
        func badInput() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let noExec = world.scratch.file("noexec.aci")
            try writeBusyboxImage(
                noExec,
                manifest: #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/noexec","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}"#)
            let hostDir = world.scratch.mkdir("hostdir")

            // Controls: the same inputs, valid, work.
            let nobody = world.rkt(["run", world.image, "--user=nobody", "--exec", "/bin/id", "--", "-u"])
            #expect(nobody.code == 0 && nobody.out == "65534\n", "--user=nobody control: \(nobody)")
            let withVolume = world.rkt([
                "run", "--volume", "data,kind=host,source=\(hostDir)", "--mount", "volume=data,target=/data",
                world.image, "--exec", "/bin/sh", "--", "-c", "test -d /data",
            ])
            #expect(withVolume.code == 0, "volume control: \(withVolume)")
            _ = world.rkt("gc", "--grace-period=0s")

            let cases: [(String, [String], String)] = [
                ("image without app.exec", ["run", noExec], "exec"),
                ("unknown --user", ["run", world.image, "--user=nobodyelse", "--exec", "/bin/true"], "nobodyelse"),
                (
                    "volume with a missing source",
                    [
                        "run", "--volume", "data,kind=host,source=\(hostDir)/missing", "--mount", "volume=data,target=/data",
                        world.image, "--exec", "/bin/true",
                    ], "\(hostDir)/missing"
                ),
                (
                    "--interactive with two images", ["run", "--interactive", world.image, "---", world.image, "--name", "other"],
                    "interactive option only supports one image"
                ),
            ]
            for (what, args, needle) in cases {
                let run = world.rkt(args)
                #expect(run.code == 254, "\(what): \(run)")
                let lines = withoutGroupWarning(run.errLines)
                #expect(
                    lines.count == 1 && lines[0].hasPrefix("run: ") && lines[0].contains(needle),
                    "\(what): expected one `run: ...\(needle)...` line on stderr: \(run)")
                #expect(run.out.isEmpty, "\(what): nothing on stdout: \(run)")
                #expect(world.podDirectories("run").isEmpty, "\(what): pods/run = \(world.podDirectories("run"))")
            }
            let interactive = world.rkt(["run", "--interactive", world.image, "---", world.image, "--name", "other"])
            #expect(withoutGroupWarning(interactive.errLines) == ["run: interactive option only supports one image"], "\(interactive)")
        }

        @Test(.timeLimit(.minutes(2)))
        func severalApps() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            // rkt's TestExitCodeWithSeveralApps: an app the pod stopped because another failed
            // reports 0, as rkt's default stage1 reports it.
            let uuidFile = world.scratch.file("uuid")
            let started = Date()
            let run = world.rkt(
                [
                    "run", "--uuid-file-save=\(uuidFile)",
                    world.image, "--exec", "/bin/sh", "--", "-c", "exit 0",
                    "---", world.image, "--name", "second", "--exec", "/bin/sh", "--", "-c", "exit 5",
                    "---", world.image, "--name", "third", "--exec", "/bin/sleep", "--", "30",
                ], timeout: 45)
            let elapsed = Date().timeIntervalSince(started)
            #expect(run.code == 5 && !run.signaled, "rkt run must exit with the failing app's code: \(run)")
            #expect(elapsed < 20, "the failing app must stop the others (took \(elapsed) s; third sleeps 30 s)")
            let uuid = readText(uuidFile) ?? ""
            try #require(matches(uuid, uuidPattern), "uuid file: \(uuid.debugDescription)")

            let status = world.rkt("status", uuid)
            let pairs = statusPairsOf(status.out)
            #expect(pairs.prefix(6).map(\.0) == ["state", "created", "started", "networks", "pid", "exited"], "\(status)")
            #expect(pairs.first?.1 == "exited", "\(status)")
            let apps = Dictionary(pairs.filter { $0.0.hasPrefix("app-") }.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
            #expect(apps.count == 3, "one app- line per app: \(status)")
            #expect(apps["app-busybox"] == "0", "\(status)")
            #expect(apps["app-second"] == "5", "\(status)")
            #expect(apps["app-third"] == "0", "third was stopped by the pod: \(status)")

            // One list line per app; only the first carries UUID/STATE/CREATED/STARTED.
            let list = world.rkt("list", "--no-legend")
            let rows = list.outLines.map { $0.split(separator: "\t", omittingEmptySubsequences: true).map(String.init) }
            #expect(rows.count == 3, "\(list)")
            if rows.count == 3 {
                #expect(rows[0].first == String(uuid.prefix(8)) && rows[0].contains("exited"), "\(list)")
                #expect(rows[0].count > 3 && rows[0][1] == "busybox" && rows[0][2] == "example.com/busybox:1.35.0", "\(list)")
                #expect(rows[1].first == "second" && rows[2].first == "third", "later lines have empty UUID cells: \(list)")
            }
        }
    }
}
