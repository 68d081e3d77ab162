import Foundation
import Glibc
import ImageKit
import TestSupport
import Testing

/// `actool build` and `patch-manifest --replace` killed (SIGKILL) at seeded random
/// points: the output is absent or a whole valid image, the image being patched is byte
/// for byte the original or wholly patched, no temporary file is left, and a rerun
/// succeeds. `FAULT_SEED=N` replays a run; `FAULT_ROUNDS=N` sets its length.
struct ActoolFaultTests {
    @Test(.timeLimit(.minutes(5)))
    func killedBuildsAndPatchesLoseNothing() throws {
        let s = Scratch()
        defer { s.remove() }
        s.layout("layout")
        // Incompressible data, so that every command takes long enough to be hit mid-way.
        shellStatus("head -c 24M /dev/urandom > '\(s.file("layout/rootfs/noise"))'")
        // Ours (spliced), and a foreign one (one gzip member, manifest last: rewritten).
        #expect(try actoolBinary(["build", s.file("layout"), s.file("ours.aci")], in: s.path).code == 0)
        shellStatus("cd '\(s.file("layout"))' && tar -czf '\(s.file("foreign.aci"))' rootfs manifest")
        let originals = ["ours.aci": s.bytes("ours.aci"), "foreign.aci": s.bytes("foreign.aci")]
        let rootfs = try originals.keys.reduce(into: [String: [String]]()) { $0[$1] = try Self.rootfsListing(s.file($1)) }
        var random = SplitMix64(seed: FaultRun.seed)
        var timings: [String: Double] = [:]
        for name in ["build", "ours.aci", "foreign.aci"] {
            let started = Date()
            if name == "build" {
                _ = try Self.run(["build", "--overwrite", s.file("layout"), s.file("timing.aci")], killAfter: nil)
                unlink(s.file("timing.aci"))
            } else {
                s.write("timing.aci", originals[name] ?? [])
                _ = try Self.run(["patch-manifest", "--replace", "--set-annotation=example.com/a=b", s.file("timing.aci")], killAfter: nil)
            }
            timings[name] = Date().timeIntervalSince(started)
        }
        unlink(s.file("timing.aci"))
        var kills: [String: Int] = [:]
        for round in 0..<FaultRun.rounds {
            let context = "seed \(FaultRun.seed), round \(round)"
            let name = ["build", "ours.aci", "foreign.aci"][Int(random.next() % 3)]
            let delay = (timings[name] ?? 0.2) * 1.1 * Double(random.next() % 1000) / 1000
            if name == "build" {
                unlink(s.file("out.aci"))
                let killed = try Self.run(["build", s.file("layout"), s.file("out.aci")], killAfter: delay)
                if killed { kills["build", default: 0] += 1 }
                if FileManager.default.fileExists(atPath: s.file("out.aci")) {
                    #expect(try Self.rootfsListing(s.file("out.aci")) == rootfs["ours.aci"], "\(context): a built image is whole")
                }
            } else {
                s.write("target.aci", originals[name] ?? [])
                // Annotations of different lengths: some patches fit in place, some do not.
                let value = String(repeating: "v", count: Int(random.next() % 40))
                let killed = try Self.run(
                    ["patch-manifest", "--replace", "--set-annotation=example.com/fault=\(value)", s.file("target.aci")], killAfter: delay)
                if killed { kills[name, default: 0] += 1 }
                let now = s.bytes("target.aci")
                if now != originals[name] {
                    #expect(try Self.rootfsListing(s.file("target.aci")) == rootfs[name], "\(context): \(name) wholly patched")
                    let manifest = actool("cat-manifest", s.file("target.aci"))
                    #expect(manifest.out.contains(#""example.com/fault","value":"\#(value)""#), "\(context): \(name): \(manifest)")
                }
            }
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: s.path)) ?? []).filter { $0.hasPrefix(".") && !$0.hasPrefix(".std") }
            #expect(left.isEmpty, "\(context) (\(name) after \(delay) s): left \(left)")
        }
        print("faults: seed \(FaultRun.seed), actool commands killed mid-way: \(kills.sorted { $0.key < $1.key }) of \(FaultRun.rounds)")
        #expect(kills.values.reduce(0, +) > 0, "seed \(FaultRun.seed): nothing was killed mid-way")
        unlink(s.file("out.aci"))
        #expect(try actoolBinary(["build", s.file("layout"), s.file("out.aci")], in: s.path).code == 0, "a rerun succeeds")
    }

    /// Runs `actool ARGS`, killing it after `killAfter` seconds; whether it was killed.
    static func run(_ args: [String], killAfter: Double?) throws -> Bool {
        let process = try startActool(args)
        if let killAfter {
            usleep(UInt32(killAfter * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        if killAfter == nil { #expect(process.terminationStatus == 0, "actool \(args)") }
        return process.terminationReason == .uncaughtSignal
    }

    /// Every entry but the manifest: name, size and a digest of the data, in order.
    static func rootfsListing(_ path: String) throws -> [String] {
        let stream = try ACIStream(path: path, pipelined: false)
        defer { stream.close() }
        let reader = try TarReader(stream, hashing: false)
        var listing: [String] = []
        while let header = try reader.next() {
            let data = try reader.readData(limit: 64 << 20)
            guard header.cleanedName != "manifest" else { continue }
            let hasher = ContentHasher()
            hasher.update(data)
            listing.append("\(header.name) \(header.size) \(hasher.finalize())")
        }
        return listing
    }
}

/// Two `patch-manifest --replace` of one file at once, many times over: both succeed or
/// one fails with a clear message; the file is always a whole image with the same rootfs
/// and at least one of the patches, and no temporary file is left.
struct ActoolConcurrencyTests {
    @Test(.timeLimit(.minutes(3)))
    func twoPatchesOfOneFile() throws {
        let s = Scratch()
        defer { s.remove() }
        s.layout("layout")
        shellStatus("head -c 4M /dev/urandom > '\(s.file("layout/rootfs/noise"))'")
        #expect(try actoolBinary(["build", s.file("layout"), s.file("image.aci")], in: s.path).code == 0)
        let rootfs = try ActoolFaultTests.rootfsListing(s.file("image.aci"))
        let original = s.bytes("image.aci")
        var outcomes: [String: Int] = [:]
        for round in 0..<max(20, FaultRun.rounds) {
            s.write("image.aci", original)
            // Same-sized patches (in place) in even rounds, different sizes (spliced) in odd ones.
            let values = round % 2 == 0 ? ["aaaa", "bbbb"] : ["a", String(repeating: "b", count: 300)]
            let processes = try values.map { value in
                try startActool(["patch-manifest", "--replace", "--set-annotation=example.com/\(value.prefix(1))=\(value)", s.file("image.aci")])
            }
            for process in processes { process.waitUntilExit() }
            let codes = processes.map(\.terminationStatus)
            outcomes[codes.map(String.init).joined(separator: "+"), default: 0] += 1
            #expect(codes.contains(0), "round \(round): neither patch succeeded: \(codes)")
            #expect(try ActoolFaultTests.rootfsListing(s.file("image.aci")) == rootfs, "round \(round): the rootfs is whole")
            let manifest = actool("cat-manifest", s.file("image.aci")).out
            #expect(values.contains { manifest.contains(#""value":"\#($0)""#) }, "round \(round): \(manifest)")
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: s.path)) ?? []).filter { $0.hasPrefix(".") && !$0.hasPrefix(".std") }
            #expect(left.isEmpty, "round \(round): left \(left)")
        }
        print("concurrency: \(max(20, FaultRun.rounds)) rounds of two patch-manifest --replace of one file, exit codes: \(outcomes.sorted { $0.key < $1.key })")
    }
}
