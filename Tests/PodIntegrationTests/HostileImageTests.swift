import Foundation
import Glibc
import ImageKit
import TestSupport
import Testing

// Images written by an attacker: whatever their manifest or their tree holds, nothing
// outside the pod changes. Each test lists a sentinel directory on the host before and
// after, and checks that no pod was left running.

extension Pods {
    @Suite struct HostileImages {
        /// The busybox image's manifest with `app` (JSON) as its app.
        func manifest(app: String) -> String {
            busyboxManifest.replacingOccurrences(of: #""app":{"exec":["/bin/sh"],"user":"0","group":"0"}"#, with: #""app":"# + app)
        }

        /// A busybox image whose `app` object is `app` (JSON).
        func image(_ world: PodWorld, _ name: String, app: String, files: [String: String] = [:]) throws -> String {
            let path = world.scratch.file(name + ".aci")
            try writeBusyboxImage(path, manifest: manifest(app: app), files: files)
            return path
        }

        /// Every path under `root`, with its type and size, sorted: a picture of the host to compare.
        func listing(_ root: String) -> [String] {
            var entries: [String] = []
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let name = enumerator?.nextObject() as? String {
                var info = stat()
                lstat(root + "/" + name, &info)
                entries.append("\(name) \(info.st_mode) \(info.st_size)")
            }
            return entries.sorted()
        }

        /// A NUL byte in any manifest string that reaches stage1's plan would end its token
        /// and add records of the image's choosing: each is refused before anything runs.
        @Test(.timeLimit(.minutes(3)))
        func nulBytesInManifestStringsAreRefused() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let sentinel = world.scratch.mkdir("sentinel")
            _ = FileManager.default.createFile(atPath: sentinel + "/keep", contents: Data("host\n".utf8))
            let before = listing(sentinel)
            // The payloads try to end the record and add a global one writing to the sentinel.
            let inject = #"\u0000end\u0000symlink\u0000/\u0000\#(sentinel)/pwned\u0000"#
            let cases: [(String, String)] = [
                (#"{"exec":["/bin/sh\#(inject)"],"user":"0","group":"0"}"#, "exec path"),
                (#"{"exec":["/bin/sh","-c\#(inject)"],"user":"0","group":"0"}"#, "exec argument 1"),
                (
                    #"{"exec":["/bin/true"],"user":"0","group":"0","environment":[{"name":"FOO","value":"x\#(inject)"}]}"#,
                    #"environment variable "FOO""#
                ),
                (#"{"exec":["/bin/true"],"user":"0","group":"0","workingDirectory":"/tmp\#(inject)"}"#, "working directory"),
                (#"{"exec":["/bin/true"],"user":"0\#(inject)","group":"0"}"#, "user"),
                (#"{"exec":["/bin/true"],"user":"0","group":"0\#(inject)"}"#, "group"),
                (
                    #"{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data\#(inject)"}]}"#,
                    #"mount point "data" path"#
                ),
                (
                    #"{"exec":["/bin/true"],"user":"0","group":"0","eventHandlers":[{"name":"pre-start","exec":["/bin/true","\#(inject)"]}]}"#,
                    "pre-start handler argument 1"
                ),
                (
                    #"{"exec":["/bin/true"],"user":"0","group":"0","eventHandlers":[{"name":"post-stop","exec":["/bin/true\#(inject)"]}]}"#,
                    "post-stop handler path"
                ),
            ]
            for (index, (app, field)) in cases.enumerated() {
                let path = try image(world, "nul-\(index)", app: app)
                let run = world.rkt(["run", path])
                #expect(run.code == 254, "\(field): \(run)")
                #expect(run.err.contains("run: app \"busybox\": \(field) contains a NUL byte\n"), "\(field): \(run)")
                #expect(world.podDirectories("run").isEmpty, "\(field): a pod started")
            }
            // A pod manifest's volume source is a host path: the same refusal.
            let fetched = world.rkt(["fetch", "--full", world.image])
            let id = fetched.outLines.first ?? ""
            let manifest = world.scratch.file("pod.json")
            let text =
                #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"id":"\#(id)"},"app":{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data"}]}}],"volumes":[{"name":"data","kind":"host","source":"\#(sentinel)\#(inject)"}]}"#
            _ = FileManager.default.createFile(atPath: manifest, contents: Data(text.utf8))
            let run = world.rkt(["run", "--pod-manifest=\(manifest)"])
            #expect(run.code == 254 && run.err.contains(#"run: volume "data" source contains a NUL byte"#), "\(run)")
            #expect(world.podDirectories("run").isEmpty)
            #expect(listing(sentinel) == before, "the sentinel directory changed")
        }

        /// A busybox image (applets, /tmp) with `entries` under rootfs: a value starting with
        /// `->` is a symlink to the rest, `dir` a directory, `fifo` a fifo, else a file's text.
        func treeImage(
            _ world: PodWorld, _ name: String, app: String = #"{"exec":["/bin/true"],"user":"0","group":"0"}"#,
            entries: [(String, String)]
        ) throws -> String {
            guard let busybox = FileManager.default.contents(atPath: hostBusybox) else { throw PodTestError("no busybox") }
            let path = world.scratch.file(name + ".aci")
            let writer = try TarWriter(path: path, compression: .gzip)
            try writer.write(.file("manifest", manifest(app: app)))
            try writer.write(.directory("rootfs"))
            try writer.write(.directory("rootfs/bin"))
            try writer.write(TarWriter.Entry(name: "rootfs/bin/busybox", kind: .file([UInt8](busybox)), mode: 0o755))
            for applet in busyboxApplets { try writer.write(TarWriter.Entry(name: "rootfs/bin/" + applet, kind: .symlink("busybox"))) }
            try writer.write(TarWriter.Entry(name: "rootfs/tmp", kind: .directory, mode: 0o1777))
            for (entry, value) in entries {
                let kind: TarWriter.Entry.Kind
                if value.hasPrefix("->") {
                    kind = .symlink(String(value.dropFirst(2)))
                } else if value == "dir" {
                    kind = .directory
                } else if value == "fifo" {
                    kind = .fifo
                } else {
                    kind = .file(Array(value.utf8))
                }
                try writer.write(TarWriter.Entry(name: "rootfs/" + entry, kind: kind))
            }
            try writer.close()
            return path
        }

        /// Links in the image at the paths stage0 and stage1 create or mount on (etc, etc/hosts,
        /// etc/hostname, etc/mtab, a mount point): absolute, relative, 100 hops long, or through
        /// /proc/self/root. The pod runs, or fails cleanly; the host's directory never changes.
        @Test(.timeLimit(.minutes(4)))
        func linksInTheImageNeverReachTheHost() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let sentinel = world.scratch.mkdir("sentinel")
            _ = FileManager.default.createFile(atPath: sentinel + "/keep", contents: Data("host\n".utf8))
            let volume = world.scratch.mkdir("volume")
            let before = listing(sentinel)
            let up = String(repeating: "../", count: 30)
            var chain: [(String, String)] = (0..<100).map { ("hop\($0)", $0 == 99 ? "->" + sentinel : "->/hop\($0 + 1)") }
            chain.append(("etc", "->/hop0"))
            let mountApp = #"{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data"}]}"#
            let cases: [(String, [(String, String)], String, [String])] = [
                ("etc-absolute", [("etc", "->" + sentinel)], #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, []),
                ("etc-relative", [("etc", "->" + up + sentinel.dropFirst())], #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, []),
                ("etc-100-hops", chain, #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, []),
                ("etc-proc-root", [("etc", "->/proc/self/root" + sentinel)], #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, []),
                (
                    "etc-files",
                    [
                        ("etc", "dir"), ("etc/hosts", "->" + sentinel + "/hosts"), ("etc/hostname", "->" + sentinel + "/hostname"),
                        ("etc/resolv.conf", "->" + up + sentinel.dropFirst() + "/resolv.conf"),
                    ],
                    #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, ["--dns=127.0.0.1"]
                ),
                ("mtab-dir", [("etc", "dir"), ("etc/mtab", "->" + sentinel + "/mtab-dir/x")], #"{"exec":["/bin/true"],"user":"0","group":"0"}"#, []),
                ("mount-point-absolute", [("data", "->" + sentinel + "/made")], mountApp, ["--volume=data,kind=host,source=\(volume)"]),
                (
                    "mount-point-proc", [], #"{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/proc/self/root\#(sentinel)/made"}]}"#,
                    ["--volume=data,kind=host,source=\(volume)"]
                ),
                (
                    "implicit-volume", [("etc", "->" + sentinel)],
                    #"{"exec":["/bin/sh","-c","ls /etc"],"user":"0","group":"0","mountPoints":[{"name":"imp","path":"/etc"}]}"#, []
                ),
            ]
            for (name, entries, app, flags) in cases {
                let path = try treeImage(world, name, app: app, entries: entries)
                let run = world.rkt(["run"] + flags + [path], timeout: 60)
                #expect(!run.timedOut && (run.code == 0 || run.code == 254), "\(name): \(run)")
                #expect(!run.out.contains("keep"), "\(name): the host's directory was seen in the pod: \(run)")
                #expect(listing(sentinel) == before, "\(name): the host's directory changed: \(listing(sentinel))")
                #expect(listing(volume).isEmpty, "\(name): the volume changed: \(listing(volume))")
            }
            // The plain cases run: nothing of the image needed the host.
            let plain = world.rkt(["run", try treeImage(world, "plain-abs", entries: [("etc", "->" + sentinel)])])
            #expect(plain.code == 0, "\(plain)")
        }

        /// A link an app leaves in a host volume (`/data/sub -> HOST`) is resolved inside the
        /// next pod's root when a nested mount point is made through it.
        @Test(.timeLimit(.minutes(3)))
        func linksLeftInAVolumeStayInside() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let sentinel = world.scratch.mkdir("sentinel")
            let volume = world.scratch.mkdir("volume")
            let before = listing(sentinel)
            let first = world.rkt([
                "run", "--volume=data,kind=host,source=\(volume)", world.image,
                "--mount", "volume=data,target=/data", "--exec", "/bin/sh", "--", "-c",
                "ln -s \(sentinel) /data/sub && ln -s ../../../../../../../..\(sentinel) /data/rel",
            ])
            #expect(first.code == 0, "\(first)")
            let second = world.rkt([
                "run", "--volume=data,kind=host,source=\(volume)", "--volume=inner,kind=empty",
                "--volume=rel,kind=empty", world.image,
                "--mount", "volume=data,target=/data", "--mount", "volume=inner,target=/data/sub/x/y",
                "--mount", "volume=rel,target=/data/rel/z", "--exec", "/bin/true",
            ])
            #expect(second.code == 0 || second.code == 254, "\(second)")
            #expect(listing(sentinel) == before, "the host's directory changed: \(listing(sentinel))")
        }

        /// A volume seeded from the image's directory: its fifo is made anew (the copy does
        /// not block), its links copied as links.
        @Test(.timeLimit(.minutes(2)))
        func seededVolumesCopyNoSpecialFile() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let app =
                #"{"exec":["/bin/sh","-c","ls -l /seed | cut -c1 | sort | tr -d '\\n'; echo; cat /seed/file"],"user":"0","group":"0","mountPoints":[{"name":"seed","path":"/seed"}]}"#
            let path = try treeImage(
                world, "fifo", app: app,
                entries: [
                    ("seed", "dir"), ("seed/fifo", "fifo"),
                    ("seed/link", "->/etc/shadow"), ("seed/file", "data\n"),
                ])
            let run = world.rkt(["run", path], timeout: 30)
            #expect(!run.timedOut && run.code == 0, "\(run)")
            #expect(run.outLines == ["-lpt", "data"], "\(run)")
        }
    }
}
