import Foundation
import Glibc
import TestSupport
import Testing

/// The manifest of the test busybox image with `isolators` (JSON array text) in its app.
func busyboxManifest(isolators: String) -> String {
    busyboxManifest.replacingOccurrences(of: #""group":"0"}"#, with: #""group":"0","isolators":\#(isolators)}"#)
}

extension Pods {
    /// Apps' seccomp filters as rkt's stage1 set them (TestAppIsolatorSeccomp), enforced by
    /// the kernel: `Seccomp:` in /proc, calls killed with SIGSYS or failed with an errno.
    @Suite struct SeccompFilters {
        @Test(.timeLimit(.minutes(3)))
        func defaultFilterAndInsecureOption() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            // rkt's default, @rkt/default-blacklist removed: ordinary programs run, unshare
            // is killed by SIGSYS (128 + 31).
            let line = "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; ls -ld / >/dev/null && echo ls=ok; /bin/busybox unshare -n true; echo unshare=$?"
            let filtered = world.runShell(line)
            #expect(filtered.code == 0, "\(filtered)")
            #expect(filtered.out == "NoNewPrivs:\t0\nSeccomp:\t2\nls=ok\nunshare=159\n", "\(filtered)")
            // Unfiltered, unshare runs and is refused by the capability set instead (EPERM, 1).
            let open = world.runShell(line, global: ["--insecure-options=image,seccomp"])
            #expect(open.out == "NoNewPrivs:\t0\nSeccomp:\t0\nls=ok\nunshare=1\n", "\(open)")
            // all-run includes seccomp; other insecure options do not (rkt's test cases).
            #expect(world.runShell(line, global: ["--insecure-options=image,all-run"]).out.contains("Seccomp:\t0\n"))
            #expect(world.runShell(line, global: ["--insecure-options=image,capabilities,paths"]).out.contains("Seccomp:\t2\n"))
            // rkt forces no_new_privs for an app that is not root and has a filter.
            let user = world.runShell("grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status", app: ["--user=65534"])
            #expect(user.out == "NoNewPrivs:\t1\nSeccomp:\t2\n", "\(user)")
        }

        @Test(.timeLimit(.minutes(3)))
        func imageIsolatorsAndOverrides() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let image = world.scratch.file("stat-removed.aci")
            try writeBusyboxImage(
                image,
                manifest: busyboxManifest(
                    isolators: #"[{"name":"os/linux/seccomp-remove-set","value":{"set":["stat","newfstatat","statx","lstat","fstat"],"errno":"EXFULL"}}]"#))
            // The image's remove set, with its errno.
            let removed = world.runShell("ls -ld /; echo rc=$?", image: image)
            #expect(removed.out == "rc=1\n" && removed.err.contains("ls: /: Exchange full"), "\(removed)")
            // --seccomp replaces the image's set: @appc.io/all retained is no filter at all.
            let all = world.runShell("ls -ld / >/dev/null; echo rc=$?; grep Seccomp: /proc/self/status", app: ["--seccomp=mode=retain,@appc.io/all"], image: image)
            #expect(all.out == "rc=0\nSeccomp:\t0\n", "\(all)")
            // A retain set: what is outside it is refused, with the errno given.
            let retained = world.runShell(
                "ls -ld / >/dev/null && echo ls=ok; /bin/busybox unshare -n true; echo unshare=$?",
                app: ["--seccomp=mode=retain,errno=ENOTSUP,@rkt/default-whitelist"])
            #expect(retained.out == "ls=ok\nunshare=1\n" && retained.err.contains("unshare(0x40000000): Operation not supported"), "\(retained)")
            // Without errno, the call kills.
            let killed = world.runShell("/bin/busybox unshare -n true; echo unshare=$?", app: ["--seccomp=mode=retain,@docker/default-whitelist"])
            #expect(killed.out == "unshare=159\n", "\(killed)")
            // The pod manifest shows the set the app runs with.
            let uuid = world.rkt(["list", "--no-legend", "--full"]).out.split(separator: "\n").first.map { String($0.prefix(36)) } ?? ""
            let manifest = world.rkt(["cat-manifest", uuid])
            #expect(manifest.out.contains("os/linux/seccomp-re"), "\(manifest)")
        }

        /// `rkt status --format=json` shows the isolators each app runs with: the pod
        /// manifest's (the command line's included) and the seccomp filter it really gets.
        @Test(.timeLimit(.minutes(3)))
        func statusShowsTheIsolators() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            // The app's `isolators`, as JSON values (member order aside).
            func isolators(_ global: [String], _ app: [String]) -> NSArray {
                let uuidFile = world.scratch.file("uuid-\(world.scratch.next())")
                let run = world.rkt(global + ["run", "--net=host", "--uuid-file-save=" + uuidFile, world.image] + app + ["--exec", "/bin/true"])
                #expect(run.code == 0, "\(run)")
                let uuid = (readText(uuidFile) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let status = world.rkt("status", "--format=json", uuid).out
                let pod = try? JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any]
                let apps = pod?["apps"] as? [[String: Any]]
                return (apps?.first?["isolators"] as? NSArray) ?? []
            }
            func json(_ text: String) -> NSArray { (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSArray) ?? [] }
            #expect(isolators([], []) == json(#"[{"name":"os/linux/seccomp-remove-set","value":{"set":["@rkt/default-blacklist"],"errno":""}}]"#))
            #expect(isolators(["--insecure-options=image,seccomp"], []) == [])
            let both = isolators([], ["--memory=32Mi", "--seccomp=mode=retain,errno=EPERM,@docker/default-whitelist"])
            #expect(
                both
                    == json(
                        #"[{"name":"resource/memory","value":{"default":false,"request":"32Mi","limit":"32Mi"}},{"name":"os/linux/seccomp-retain-set","value":{"set":["@docker/default-whitelist"],"errno":"EPERM"}}]"#
                    ), "\(both)")
        }

        @Test(.timeLimit(.minutes(3)))
        func enterRunsUnderTheAppsFilter() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pod = try world.startPod(
                runFlags: ["--net=host"], appFlags: ["--seccomp=mode=remove,errno=EXFULL,stat,newfstatat,statx,lstat", "--exec", "/bin/sleep", "--", "30"])
            let entered = world.rkt("enter", pod.uuid, "/bin/sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; ls -ld /; echo rc=$?")
            #expect(entered.out == "NoNewPrivs:\t1\nSeccomp:\t2\nrc=1\n" && entered.err.contains("Exchange full"), "\(entered)")
        }

        @Test(.timeLimit(.minutes(3)))
        func badFiltersAreRefusedBeforeThePodRuns() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let cases: [([String], String)] = [
                (["--seccomp=mode=remove,bogus_call"], #"run: app "busybox": os/linux/seccomp-remove-set: unknown syscall "bogus_call""#),
                (["--seccomp=mode=remove,errno=EBOGUS,stat"], #"run: app "busybox": os/linux/seccomp-remove-set: unknown errno "EBOGUS""#),
                (["--seccomp=mode=retain,@nobody/group"], #"run: app "busybox": os/linux/seccomp-retain-set: unknown syscall group "@nobody/group""#),
                (["--seccomp=mode=sideways,stat"], #"run: --seccomp: invalid seccomp mode "sideways""#),
                (["--seccomp=errno=EPERM,stat"], "run: --seccomp: invalid seccomp mode"),
            ]
            for (flags, message) in cases {
                let result = world.runShell("true", app: flags)
                #expect(result.code == 254 && result.err.contains(message) && result.out.isEmpty, "\(flags): \(result)")
                #expect(!result.err.contains("\n") || result.err.split(separator: "\n").filter { !$0.contains("group \"rkt\"") }.count == 1, "one line: \(result.err)")
            }
            let both = world.scratch.file("both.aci")
            try writeBusyboxImage(
                both,
                manifest: busyboxManifest(
                    isolators: #"[{"name":"os/linux/seccomp-remove-set","value":{"set":["stat"]}},{"name":"os/linux/seccomp-retain-set","value":{"set":["stat"]}}]"#))
            let result = world.runShell("true", image: both)
            #expect(result.code == 254 && result.out.isEmpty, "\(result)")
            #expect(world.podDirectories("run").isEmpty, "no pod ran")
        }
    }
}
