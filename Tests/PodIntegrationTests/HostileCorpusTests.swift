import Foundation
import Glibc
import ImageKit
import TestSupport
import Testing

extension Pods {
    /// The hostile-image corpus (Tests/Corpus/hostile, plus images too big to keep that
    /// are made here: 100k entries, 2000 directories deep, a dependency cycle, a diamond 50
    /// deep) through every command that reads an image: actool validate, cat-manifest,
    /// image-id and patch-manifest; rkt fetch, image render and run. Every command ends by
    /// itself (no signal, no hang) and fails with a message or succeeds; nothing is written
    /// outside its target; the host's files stay as they were.
    @Suite struct HostileCorpus {
        @Test(.timeLimit(.minutes(10)))
        func everyCommandOnEveryHostileImage() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            // The store and the renders on tmpfs: ext4 takes seconds per 10k new inodes
            // right after many were deleted (cp -a too), and the 100k-entry image does both.
            let renders = world.scratch.mkdir("renders")
            for directory in [world.data, renders] {
                guard mount("tmpfs", directory, "tmpfs", 0, "size=4g,mode=0755") == 0 else {
                    Issue.record("cannot mount a tmpfs on \(directory): \(String(cString: strerror(errno)))")
                    return
                }
            }
            defer {
                _ = world.rkt(["gc", "--grace-period=0s"])
                for directory in [world.data, renders] { umount2(directory, Int32(MNT_DETACH)) }
            }
            let corpus = repositoryRoot + "/Tests/Corpus/hostile"
            var images = directoryEntries(corpus).filter { $0.hasSuffix(".aci") }.map { corpus + "/" + $0 }
            #expect(images.count >= 11, "the checked-in corpus: \(images)")
            let made = world.scratch.mkdir("made")
            let (big, members) = try Self.makeBigImages(made)
            images += big
            let base = made + "/base.aci"
            try writeBusyboxImage(
                base,
                manifest:
                    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"localhost/corpus-base","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}"#
            )
            let outside = world.scratch.mkdir("outside")
            world.scratch.write("outside/secret", "secret\n")
            let passwd = FileManager.default.contents(atPath: "/etc/passwd")
            let actool = buildDirectory + "/actool"
            // A bomb stops at 64 MiB (the store's limit, RKT_MAX_IMAGE_SIZE); names are under
            // localhost, so a dependency looked for by discovery never leaves the machine.
            let environment = ProcessInfo.processInfo.environment.merging(["RKT_MAX_IMAGE_SIZE": String(64 << 20)]) { $1 }
            func rkt(_ args: [String]) throws -> RunResult {
                try ChildProcess(world.rktPath, world.arguments(args), scratch: world.scratch, environment: environment).wait(timeout: 120)
            }
            #expect(try rkt(["fetch", "--pull-policy=never", base]).code == 0)
            var outcomes: [String: [String: Int32]] = [:]
            var commands = 0
            var seconds: [String: Double] = [:]
            // A cycle's and a diamond's members are fetched (the store needs them), only
            // their tops go through every command.
            for member in members {
                let fetched = try rkt(["fetch", "--pull-policy=never", member])
                commands += 1
                #expect(!fetched.signaled && !fetched.timedOut && (fetched.code == 0 || !fetched.err.isEmpty), "\(member): \(fetched)")
            }
            for (index, image) in images.enumerated() {
                let name = Files.baseName(of: image)
                let started = Date()
                defer { seconds[name] = Date().timeIntervalSince(started) }
                var results: [(String, RunResult)] = []
                func record(_ command: String, _ result: RunResult) {
                    results.append((command, result))
                    outcomes[name, default: [:]][command] = result.code
                }
                for command in [["validate"], ["cat-manifest"], ["image-id"]] {
                    record(command[0], try ChildProcess(actool, command + [image], scratch: world.scratch).wait(timeout: 120))
                }
                let patched = world.scratch.file("patched-\(index).aci")
                record(
                    "patch-manifest", try ChildProcess(actool, ["patch-manifest", "--set-annotation=example.com/x=y", image, patched], scratch: world.scratch).wait(timeout: 120))
                unlink(patched)
                let fetch = try rkt(["fetch", "--pull-policy=never", image])
                record("fetch", fetch)
                // A cycle's or a diamond's members are stored even when their dependencies
                // are not there yet; the last fetched is the top.
                if let last = fetch.outLines.last, case let key = String(last), key.hasPrefix("sha512-") {
                    let rendered = renders + "/\(index)"
                    record("image render", try rkt(["image", "render", key, rendered]))
                    try? Files.removeTree(rendered)
                    record("run", try rkt(["run", "--net=host", key]))
                    _ = try rkt(["gc", "--grace-period=0s"])
                }
                for (command, result) in results {
                    commands += 1
                    #expect(!result.signaled && !result.timedOut, "\(name): \(command) did not end by itself: \(result)")
                    #expect(result.code == 0 || !result.err.isEmpty, "\(name): \(command) failed without a message: \(result)")
                }
                for path in ["/tmp/hostile-escape", "/tmp/hostile-absolute", world.scratch.path + "/../hostile-escape", made + "/../hostile-escape"] {
                    #expect(!fileExists(path), "\(name): \(path) was written")
                }
                #expect(directoryEntries(outside) == ["secret"] && readText(outside + "/secret") == "secret\n", "\(name): the sentinel changed")
                #expect(FileManager.default.contents(atPath: "/etc/passwd") == passwd, "\(name): /etc/passwd changed")
            }
            print("hostile corpus: slowest: \(seconds.sorted { $0.value > $1.value }.prefix(4).map { "\($0.key) \(Int($0.value * 1000)) ms" })")
            print(
                "hostile corpus: \(images.count + members.count) images, \(commands) commands, each ended by itself; exit codes: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))" })"
            )
            #expect(world.rkt(["gc", "--grace-period=0s"]).code == 0)
            #expect(world.allPodDirectories().isEmpty)
        }

        /// Images too big to check in: made with TarWriter, dependencies under localhost.
        static func makeBigImages(_ directory: String) throws -> (tops: [String], members: [String]) {
            func manifest(_ name: String, dependencies: [String] = ["corpus-base"]) -> String {
                let deps = dependencies.map { #"{"imageName":"localhost/\#($0)","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}"# }
                return
                    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"localhost/\#(name)","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"},"dependencies":[\#(deps.joined(separator: ","))]}"#
            }
            func write(_ name: String, _ manifest: String, _ entries: [TarWriter.Entry] = []) throws -> String {
                let path = directory + "/" + name + ".aci"
                let writer = try TarWriter(path: path, compression: .gzip)
                try writer.write(.file("manifest", manifest))
                try writer.write(.directory("rootfs"))
                for entry in entries { try writer.write(entry) }
                try writer.close()
                return path
            }
            var images: [String] = [], members: [String] = []
            // 100k entries: 100 directories of 1000 empty files.
            var wide: [TarWriter.Entry] = []
            for d in 0..<100 {
                wide.append(.directory("rootfs/d\(d)"))
                for f in 0..<1000 { wide.append(TarWriter.Entry(name: "rootfs/d\(d)/f\(f)", kind: .file([]))) }
            }
            images.append(try write("hundred-thousand-entries", manifest("hundred-thousand-entries"), wide))
            // 2000 directories deep (a path of 4000 bytes and more).
            images.append(try write("two-thousand-deep", manifest("two-thousand-deep"), TarWriter.Entry.nested(depth: 2000, leaf: "bottom", "x")))
            // A cycle: a needs b, b needs a.
            members.append(try write("cycle-b", manifest("cycle-b", dependencies: ["cycle-a"])))
            images.append(try write("cycle-a", manifest("cycle-a", dependencies: ["cycle-b", "corpus-base"])))
            // A diamond 50 deep: each level's two images both need the next level's two.
            for level in stride(from: 50, through: 1, by: -1) {
                let next = level == 50 ? ["corpus-base"] : ["diamond-\(level + 1)-l", "diamond-\(level + 1)-r"]
                for side in ["l", "r"] { members.append(try write("diamond-\(level)-\(side)", manifest("diamond-\(level)-\(side)", dependencies: next))) }
            }
            images.append(try write("diamond-top", manifest("diamond-top", dependencies: ["diamond-1-l", "diamond-1-r"])))
            return (images, members)
        }
    }
}
