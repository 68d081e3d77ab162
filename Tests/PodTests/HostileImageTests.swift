import Foundation
import Glibc
import Testing

// Images written by an attacker: whatever their manifest or their tree holds, nothing
// outside the pod changes. Each test lists a sentinel directory on the host before and
// after, and checks that no pod was left running.

extension Pods {
    @Suite struct HostileImages {
        /// A busybox image whose `app` object is `app` (JSON).
        func image(_ world: PodWorld, _ name: String, app: String, files: [String: String] = [:]) throws -> String {
            let path = world.scratch.file(name + ".aci")
            let manifest = busyboxManifest.replacingOccurrences(of: #""app":{"exec":["/bin/sh"],"user":"0","group":"0"}"#,
                                                                with: #""app":"# + app)
            try writeBusyboxImage(path, manifest: manifest, files: files)
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
            FileManager.default.createFile(atPath: sentinel + "/keep", contents: Data("host\n".utf8))
            let before = listing(sentinel)
            // The payloads try to end the record and add a global one writing to the sentinel.
            let inject = #"\u0000end\u0000symlink\u0000/\u0000\#(sentinel)/pwned\u0000"#
            let cases: [(String, String)] = [
                (#"{"exec":["/bin/sh\#(inject)"],"user":"0","group":"0"}"#, "exec path"),
                (#"{"exec":["/bin/sh","-c\#(inject)"],"user":"0","group":"0"}"#, "exec argument 1"),
                (#"{"exec":["/bin/true"],"user":"0","group":"0","environment":[{"name":"FOO","value":"x\#(inject)"}]}"#,
                 #"environment variable "FOO""#),
                (#"{"exec":["/bin/true"],"user":"0","group":"0","workingDirectory":"/tmp\#(inject)"}"#, "working directory"),
                (#"{"exec":["/bin/true"],"user":"0\#(inject)","group":"0"}"#, "user"),
                (#"{"exec":["/bin/true"],"user":"0","group":"0\#(inject)"}"#, "group"),
                (#"{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data\#(inject)"}]}"#,
                 #"mount point "data" path"#),
                (#"{"exec":["/bin/true"],"user":"0","group":"0","eventHandlers":[{"name":"pre-start","exec":["/bin/true","\#(inject)"]}]}"#,
                 "pre-start handler argument 1"),
                (#"{"exec":["/bin/true"],"user":"0","group":"0","eventHandlers":[{"name":"post-stop","exec":["/bin/true\#(inject)"]}]}"#,
                 "post-stop handler path"),
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
            let text = #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"id":"\#(id)"},"app":{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data"}]}}],"volumes":[{"name":"data","kind":"host","source":"\#(sentinel)\#(inject)"}]}"#
            FileManager.default.createFile(atPath: manifest, contents: Data(text.utf8))
            let run = world.rkt(["run", "--pod-manifest=\(manifest)"])
            #expect(run.code == 254 && run.err.contains(#"run: volume "data" source contains a NUL byte"#), "\(run)")
            #expect(world.podDirectories("run").isEmpty)
            #expect(listing(sentinel) == before, "the sentinel directory changed")
        }
    }
}
