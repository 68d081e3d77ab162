import CArchive
import Foundation
import TestSupport
import Testing

@testable import ImageKit

/// A layout on disk with a few kinds of entries.
private func makeLayout(_ s: Scratch, _ name: String = "layout", manifest: String = validManifest) {
    s.layout(name, manifest: manifest)
    s.write(name + "/rootfs/etc/config", "key=value\n")
    _ = link(s.file(name + "/rootfs/etc/config"), s.file(name + "/rootfs/etc/hardlink"))
    _ = symlink("/etc/config", s.file(name + "/rootfs/etc/symlink"))
    _ = mkfifo(s.file(name + "/rootfs/fifo"), 0o644)
}

/// Names in archive order, cleaned.
private func entryNames(_ path: String) throws -> [String] {
    let reader = try TarReader(try ACIStream(path: path, pipelined: false), hashing: false)
    var names: [String] = []
    while let entry = try reader.next() { names.append(entry.cleanedName) }
    return names
}

private func leftovers(_ s: Scratch) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: s.path)) ?? []).filter { $0.hasPrefix(".tmp.") }
}

struct BuildTests {
    @Test func roundTripBuildValidateCatManifest() throws {
        let s = Scratch()
        defer { s.remove() }
        makeLayout(s)
        let r = actool("build", s.file("layout"), s.file("out.aci"))
        #expect(r.code == 0 && r.err.isEmpty && r.out.isEmpty)
        #expect(actool("validate", s.file("out.aci")).code == 0)
        #expect(actool("cat-manifest", s.file("out.aci")).out == validManifest + "\n")
        let names = try entryNames(s.file("out.aci"))
        #expect(
            names == [
                "manifest", "rootfs", "rootfs/bin", "rootfs/bin/hello", "rootfs/etc", "rootfs/etc/config",
                "rootfs/etc/hardlink", "rootfs/etc/symlink", "rootfs/fifo",
            ])
        // The manifest is alone in the first gzip member.
        let fd = open(s.file("out.aci"), O_RDONLY)
        defer { close(fd) }
        let member = try #require(GzipProbe.firstMember(fd: fd, limit: 1 << 20))
        #expect(TarProbe.soleManifestEntry(member.content) != nil)
    }

    @Test func entryKindsSurvive() throws {
        let s = Scratch()
        defer { s.remove() }
        makeLayout(s)
        #expect(actool("build", "--no-compression", s.file("layout"), s.file("out.aci")).code == 0)
        let reader = try TarReader(try ACIStream(path: s.file("out.aci"), pipelined: false), hashing: false)
        var kinds: [String: TarEntryHeader.Kind] = [:]
        while let entry = try reader.next() { kinds[entry.cleanedName] = entry.kind }
        #expect(kinds["rootfs/etc/config"] == .regular)
        #expect(kinds["rootfs/etc/hardlink"] == .hardlink)
        #expect(kinds["rootfs/etc/symlink"] == .symlink)
        #expect(kinds["rootfs/fifo"] == .fifo)
    }

    /// mknod needs root (RootGate).
    @Test(.needsRoot) func socketsAreSkippedAndDevicesKept() throws {
        try #require(getuid() == 0, "this test needs root (it creates a device node)")
        let s = Scratch()
        defer { s.remove() }
        makeLayout(s)
        #expect(mknod(s.file("layout/rootfs/null"), S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = s.file("layout/rootfs/sock")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        defer { close(sock) }
        #expect(actool("build", s.file("layout"), s.file("out.aci")).code == 0)
        let names = try entryNames(s.file("out.aci"))
        #expect(names.contains("rootfs/null"))
        #expect(!names.contains("rootfs/sock"))
    }

    @Test func reproducibleBuildsGiveTheSameBytes() throws {
        let s = Scratch()
        defer { s.remove() }
        makeLayout(s)
        #expect(actool("build", "--reproducible", s.file("layout"), s.file("a.aci")).code == 0)
        // New mtimes everywhere in the tree.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        for p in ["layout/rootfs/etc/config", "layout/rootfs/bin/hello", "layout/rootfs", "layout/manifest"] {
            #expect(utimensat(AT_FDCWD, s.file(p), &times, 0) == 0)
        }
        #expect(actool("build", "--reproducible", s.file("layout"), s.file("b.aci")).code == 0)
        #expect(s.bytes("a.aci") == s.bytes("b.aci"))
        #expect(actool("image-id", s.file("a.aci")).out == actool("image-id", s.file("b.aci")).out)
        // Without --reproducible the mtimes show.
        #expect(actool("build", s.file("layout"), s.file("c.aci")).code == 0)
        #expect(s.bytes("a.aci") != s.bytes("c.aci"))
    }

    @Test func sourceDateEpochIsHonoured() throws {
        let s = Scratch()
        defer { s.remove() }
        makeLayout(s)
        #expect(shellStatus("SOURCE_DATE_EPOCH=1700000000 '\(actoolPath)' build '\(s.file("layout"))' '\(s.file("a.aci"))'") == 0)
        #expect(
            shellStatus("sleep 1; touch '\(s.file("layout/rootfs/etc/config"))'; SOURCE_DATE_EPOCH=1700000000 '\(actoolPath)' build '\(s.file("layout"))' '\(s.file("b.aci"))'")
                == 0)
        #expect(s.bytes("a.aci") == s.bytes("b.aci"))
        let reader = try TarReader(try ACIStream(path: s.file("a.aci"), pipelined: false), hashing: false)
        _ = try reader.next()
        #expect(archive_mtime(reader) == 1_700_000_000)
        #expect(shellStatus("SOURCE_DATE_EPOCH=yesterday '\(actoolPath)' build '\(s.file("layout"))' '\(s.file("c.aci"))' 2>/dev/null") == 1)
    }

    @Test func actoolsMessagesAndNothingLeftBehind() throws {
        let s = Scratch()
        defer { s.remove() }
        makeLayout(s)
        #expect(actool("build", s.file("layout")).err == "build: Must provide directory and output file\n")
        #expect(actool("build", s.file("layout"), s.file("out.tar")).err == "build: Extension must be .aci (given .tar)\n")
        #expect(
            actool("build", s.file("nope"), s.file("out.aci")).err
                == "build: Layout failed validation: error accessing layout: stat \(s.file("nope")): no such file or directory\n")
        s.layout("linked")
        try FileManager.default.removeItem(atPath: s.file("linked/rootfs"))
        _ = symlink(s.file("layout/rootfs"), s.file("linked/rootfs"))
        #expect(actool("build", s.file("linked"), s.file("out.aci")).err == "build: Layout failed validation: rootfs is not a directory\n")
        s.layout("bad", manifest: #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"Bad"}"#)
        #expect(actool("build", s.file("bad"), s.file("out.aci")).err.hasPrefix("build: Layout failed validation: image manifest validation failed: ACIdentifier"))
        #expect(!FileManager.default.fileExists(atPath: s.file("out.aci")))
        #expect(actool("build", s.file("layout"), s.file("out.aci")).code == 0)
        let before = s.bytes("out.aci")
        let exists = actool("build", s.file("layout"), s.file("out.aci"))
        #expect(exists.code == 1)
        #expect(exists.err == "build: Target file exists (try --overwrite)\n")
        #expect(s.bytes("out.aci") == before)
        #expect(actool("build", "--overwrite", "--no-compression", s.file("layout"), s.file("out.aci")).code == 0)
        #expect(s.bytes("out.aci") != before)
        #expect(
            actool("build", s.file("layout"), s.file("missing-dir/out.aci")).err
                == "build: Unable to open target \(s.file("missing-dir/out.aci")): open \(s.file("missing-dir/out.aci")): no such file or directory\n")
        #expect(leftovers(s).isEmpty)
    }

    @Test func oddNamesAndBigFiles() throws {
        let s = Scratch()
        defer { s.remove() }
        s.layout("layout")
        let odd = s.file("layout/rootfs/") + String(decoding: [0x62, 0x61, 0x64], as: UTF8.self)
        var raw = Array(odd.utf8)
        raw.append(0xff)
        raw.append(0)
        #expect(raw.withUnsafeBufferPointer { creat(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 0o644) } >= 0)
        s.write("layout/rootfs/café", "x")
        let big = [UInt8](repeating: 0x5a, count: 64 << 20)
        s.write("layout/rootfs/big", big)
        #expect(actool("build", s.file("layout"), s.file("out.aci")).code == 0)
        #expect(actool("validate", s.file("out.aci")).code == 0)
        let reader = try TarReader(try ACIStream(path: s.file("out.aci"), pipelined: true), hashing: false)
        var names: [[UInt8]] = []
        var bigSize: Int64 = -1
        while let entry = try reader.next() {
            names.append(entry.rawName)
            if entry.cleanedName == "rootfs/big" { bigSize = entry.size }
        }
        #expect(names.contains(Array("rootfs/bad".utf8) + [0xff]))
        #expect(names.contains(Array("rootfs/café".utf8)))
        #expect(bigSize == 64 << 20)
    }

    @Test func killedBuildLeavesNothing() throws {
        let s = Scratch()
        defer { s.remove() }
        s.layout("layout")
        // Incompressible data takes the compressor seconds, so the kill lands mid-write.
        shellStatus("head -c 256M /dev/urandom > '\(s.file("layout/rootfs/big"))'")
        shellStatus("'\(actoolPath)' build '\(s.file("layout"))' '\(s.file("out.aci"))' & pid=$!; sleep 0.5; kill -9 $pid; wait $pid")
        #expect(!FileManager.default.fileExists(atPath: s.file("out.aci")))
        #expect(leftovers(s).isEmpty)
    }
}

private func archive_mtime(_ reader: TarReader) -> Int {
    guard let entry = reader.currentEntry else { return -1 }
    return archive_entry_mtime(entry)
}

@discardableResult
func shellStatus(_ command: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try? process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
