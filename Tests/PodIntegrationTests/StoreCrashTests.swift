import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// The image store under SIGKILL and under concurrent commands from several processes:
    /// the index never names a missing or wrong blob, nothing is lost or appears, and the
    /// store keeps working. Seeded: `FAULT_SEED=N` replays a run, `FAULT_ROUNDS=N` sets
    /// the kills' rounds (twice as many as the pod rounds).
    @Suite struct StoreCrashes {
        /// Kills `fetch` (of files, and over HTTP from a server on loopback), `image rm` and
        /// `image gc` at random points; after each kill the
        /// store lists and every listed image's blob hashes to its key; at the end a rerun
        /// succeeds, gc leaves no unlisted blob, and a pod runs.
        @Test(.timeLimit(.minutes(5)))
        func killedStoreCommandsLeaveAConsistentStore() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let seed = FaultRun.seed
            var random = SplitMix64(seed: seed)
            // Images big enough (4 MiB that gzip cannot shrink: 64 KiB of noise, repeated
            // beyond deflate's 32 KiB window) that a kill lands inside a copy.
            var images = [world.image]
            for i in 0..<4 {
                let chunk = random.printableText(64 << 10)
                let noise = String(repeating: chunk, count: 64)
                images.append(try world.scratch.image("big-\(i).aci", name: "example.com/big-\(i)", files: ["noise": noise]))
            }
            let served = world.scratch.mkdir("served")
            for (index, image) in images.enumerated() { link(image, served + "/\(index).aci") }
            let server = try TestServer(root: served)
            let urls = images.indices.map { server.base + "/\($0).aci" }
            var kills = 0
            for round in 0..<(2 * FaultRun.rounds) {
                let stored = try StoreState(world).keys
                let command: [String]
                switch round % 4 {
                case 0: command = ["fetch"] + images
                case 1 where !stored.isEmpty: command = ["image", "rm"] + stored
                case 3: command = ["--insecure-options=image,http", "fetch"] + urls
                default: command = ["image", "gc", "--grace-period=0s"]
                }
                let child = try ChildProcess(world.rktPath, world.arguments(command), scratch: world.scratch)
                usleep(UInt32(random.next() % 150_000))
                kill(child.pid, SIGKILL)
                let result = child.wait(timeout: 60)
                if result.signaled { kills += 1 }
                #expect(result.signaled || result.code == 0, "seed \(seed), round \(round): \(result) \(result.err)")
                try StoreState(world).expectConsistent("seed \(seed), round \(round) (\(command.joined(separator: " ").prefix(40)))")
            }
            print("faults: seed \(seed), store commands killed mid-way: \(kills) of \(2 * FaultRun.rounds)")
            #expect(kills > 0, "seed \(seed): no command was killed mid-way")
            let fetched = world.rkt(["fetch", "--full"] + images)
            #expect(fetched.code == 0, "\(fetched)")
            #expect(world.rkt("image", "gc").code == 0)
            let state = try StoreState(world)
            try state.expectConsistent("seed \(seed), after a rerun")
            #expect(state.keys.count == images.count)
            #expect(state.blobKeys == Set(state.keys), "gc leaves no unlisted blob")
            let busybox = String(fetched.outLines.first ?? "")
            #expect(world.rkt("run", busybox, "--exec", "/bin/true").code == 0)
            #expect(world.rkt("image", "verify", busybox).code == 0)
        }

        /// Two fetches of the same images, a removal, two collections and a listing, all at
        /// once, three times over: every command succeeds; what was fetched is there, what
        /// was removed is gone, nothing else appears.
        @Test(.timeLimit(.minutes(5)))
        func concurrentFetchRemoveAndCollect() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            for round in 0..<3 {
                let fresh = try (0..<10).map { try world.scratch.image("r\(round)-\($0).aci", name: "example.com/r\(round)-\($0)") }
                let old = try (0..<6).map { try world.scratch.image("o\(round)-\($0).aci", name: "example.com/o\(round)-\($0)") }
                let oldKeys = world.rkt(["fetch", "--full"] + old).outLines.map { String($0) }
                #expect(oldKeys.count == 6)
                let before = Set(try StoreState(world).keys)
                let commands: [[String]] = [
                    ["fetch", "--full"] + fresh,
                    ["fetch", "--full"] + fresh.reversed(),
                    ["image", "rm"] + oldKeys.prefix(3),
                    ["image", "gc"],
                    ["image", "gc"],
                    ["image", "list", "--no-legend"],
                ]
                let children = try commands.map { try ChildProcess(world.rktPath, world.arguments($0), scratch: world.scratch) }
                let results = children.map { $0.wait(timeout: 120) }
                for (command, result) in zip(commands, results) {
                    #expect(result.code == 0, "round \(round): \(command.prefix(2)): \(result)")
                }
                let freshKeys = Set(results[0].outLines.map { String($0) })
                #expect(freshKeys == Set(results[1].outLines.map { String($0) }))
                #expect(freshKeys.count == 10)
                let state = try StoreState(world)
                try state.expectConsistent("round \(round)")
                #expect(Set(state.keys) == before.subtracting(oldKeys.prefix(3)).union(freshKeys), "round \(round)")
                #expect(state.blobKeys == Set(state.keys), "round \(round): no unlisted blob after gc")
            }
        }
    }
}

/// What the store holds: the listed keys and the blobs on disk.
private struct StoreState {
    let keys: [String]
    let blobKeys: Set<String>
    let data: String

    init(_ world: PodWorld) throws {
        data = world.data
        let list = world.rkt("image", "list", "--no-legend", "--full", "--fields=id")
        guard list.code == 0 else { throw PodTestError("image list failed: \(list)") }
        keys = list.outLines.map { String($0) }.filter { !$0.isEmpty }
        var blobs: Set<String> = []
        let root = world.data + "/cas/blob/sha512"
        for fan in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            blobs.formUnion((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + fan)) ?? [])
        }
        blobKeys = blobs
    }

    /// Every listed image has its manifest and a blob whose hash is its key; nothing is
    /// left under a name in cas/tmp.
    func expectConsistent(_ context: String) throws {
        for key in keys {
            let fan = String(key.dropFirst(7).prefix(2))
            let blob = data + "/cas/blob/sha512/\(fan)/\(key)"
            #expect(FileManager.default.fileExists(atPath: data + "/cas/imageManifest/sha512/\(fan)/\(key)"), "\(context): \(key)'s manifest")
            #expect(FileManager.default.fileExists(atPath: blob), "\(context): \(key)'s blob")
            if FileManager.default.fileExists(atPath: blob) {
                #expect(try "sha512-" + decompressedSHA512(blob).prefix(64) == key, "\(context): \(key)'s blob hashes to another key")
            }
        }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: data + "/cas/tmp")) ?? []
        #expect(leftovers.isEmpty, "\(context): cas/tmp holds \(leftovers)")
    }
}
