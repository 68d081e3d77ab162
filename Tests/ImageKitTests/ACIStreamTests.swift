import GoCompat
import TestSupport
import Testing

@testable import ImageKit

struct ACIStreamTests {
    @Test(arguments: [TarWriter.Compression.gzip, .bzip2, .xz])
    func imageIDIsTheHashOfTheUncompressedTar(compression: TarWriter.Compression) throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        let plain = try makeArchive(dir, "plain.aci", minimalImage())
        let packed = try makeArchive(dir, "packed.aci", minimalImage(), compression: compression)
        let expected = sha512Hex(of: dir.bytes("plain.aci"))
        for pipelined in [false, true] {
            let a = try ACIStream(path: plain, pipelined: pipelined)
            #expect(a.fileType == .tar)
            #expect(try a.imageID().hex == expected)
            let b = try ACIStream(path: packed, pipelined: pipelined)
            #expect(b.fileType != .tar)
            #expect(try b.imageID().hex == expected)
        }
    }

    @Test func trailingBytesAfterTheEndOfArchiveCount() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        _ = try makeArchive(dir, "a.aci", minimalImage())
        let withTail = dir.bytes("a.aci") + Array("trailing junk".utf8)
        dir.write("b.aci", withTail)
        let reader = try TarReader(try ACIStream(path: dir.file("b.aci"), pipelined: true), hashing: true)
        #expect(try reader.next()?.name == "manifest")
        #expect(try reader.imageID().hex == sha512Hex(of: withTail))
    }

    @Test func multiMegabyteStreamThroughThePipeline() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        var big = [UInt8](repeating: 0, count: 5 << 20)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        let entries = minimalImage() + [TarWriter.Entry(name: "rootfs/big", kind: .file(big))]
        _ = try makeArchive(dir, "plain.aci", entries)
        let gz = try makeArchive(dir, "gz.aci", entries, compression: .gzip)
        let reader = try TarReader(try ACIStream(path: gz, pipelined: true), hashing: true)
        var names: [String] = []
        while let entry = try reader.next() { names.append(entry.cleanedName) }
        #expect(names == ["manifest", "rootfs", "rootfs/bin", "rootfs/bin/hello", "rootfs/big"])
        #expect(try reader.imageID().hex == sha512Hex(of: dir.bytes("plain.aci")))
    }

    @Test func stoppingEarlyStopsTheReadAhead() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        let big = [UInt8](repeating: 7, count: 20 << 20)
        let gz = try makeArchive(dir, "gz.aci", minimalImage() + [TarWriter.Entry(name: "rootfs/big", kind: .file(big))], compression: .gzip)
        for _ in 0..<20 {
            let stream = try ACIStream(path: gz, pipelined: true)
            let reader = try TarReader(stream, hashing: false)
            #expect(try reader.next()?.cleanedName == "manifest")
            stream.close()
        }
    }

    @Test func entryKindsAndCleanNames() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        let path = try makeArchive(
            dir, "k.aci",
            [
                .directory("./rootfs/"),
                TarWriter.Entry(name: "rootfs//link", kind: .symlink("/etc/passwd")),
                TarWriter.Entry(name: "rootfs/hard", kind: .hardlink("rootfs/link")),
                TarWriter.Entry(name: "rootfs/fifo", kind: .fifo),
                TarWriter.Entry(name: "rootfs/null", kind: .characterDevice(major: 1, minor: 3)),
                .file("rootfs/a/../b", "x"),
            ])
        let reader = try TarReader(try ACIStream(path: path, pipelined: false), hashing: false)
        var seen: [(String, TarEntryHeader.Kind)] = []
        while let entry = try reader.next() { seen.append((entry.cleanedName, entry.kind)) }
        #expect(seen.map(\.0) == ["rootfs", "rootfs/link", "rootfs/hard", "rootfs/fifo", "rootfs/null", "rootfs/b"])
        #expect(seen.map(\.1) == [.directory, .symlink, .hardlink, .fifo, .characterDevice, .regular])
    }

    @Test func goPathClean() {
        #expect(GoPath.clean("") == ".")
        #expect(GoPath.clean("./") == ".")
        #expect(GoPath.clean("rootfs/") == "rootfs")
        #expect(GoPath.clean("./rootfs//a/") == "rootfs/a")
        #expect(GoPath.clean("/rootfs/a") == "/rootfs/a")
        #expect(GoPath.clean("../x") == "../x")
        #expect(GoPath.clean("rootfs/../../x") == "../x")
        #expect(GoPath.clean("/../x") == "/x")
        #expect(GoPath.clean("a/b/../c/.") == "a/c")
    }

    @Test func badFilesFailClearly() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        #expect(throws: ImageKitError.system(SystemError("open", dir.file("missing"), code: 2))) {
            try ACIStream(path: dir.file("missing"), pipelined: false)
        }
        dir.write("empty", [])
        #expect(throws: ImageKitError.notAnArchive) { try ACIStream(path: dir.file("empty"), pipelined: false) }
        dir.write("garbage", (0..<600).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
        #expect(throws: ImageKitError.unknownFileType) { try ACIStream(path: dir.file("garbage"), pipelined: false) }
        dir.write("short.gz", [0x1f, 0x8b, 0x08])
        #expect(throws: ImageKitError.archive("unexpected EOF")) { try ACIStream(path: dir.file("short.gz"), pipelined: false) }
        dir.write("method.gz", [0x1f, 0x8b, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: ImageKitError.archive("gzip: invalid header")) { try ACIStream(path: dir.file("method.gz"), pipelined: false) }
        dir.write("bad.bz2", Array("BZh9 this is not bzip2 data at all".utf8))
        #expect(throws: ImageKitError.self) { _ = try ACIStream(path: dir.file("bad.bz2"), pipelined: false).imageID() }
        dir.mkdir("adir")
        #expect(throws: ImageKitError.system(SystemError("read", dir.file("adir"), code: 21))) {
            try ACIStream(path: dir.file("adir"), pipelined: false)
        }
    }

    @Test(arguments: [TarWriter.Compression.gzip, .bzip2, .xz])
    func truncatedCompressedStreamIsUnexpectedEOF(compression: TarWriter.Compression) throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        let big = (0..<(300 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31 ^ $0 >> 5) }
        _ = try makeArchive(dir, "a.aci", minimalImage() + [TarWriter.Entry(name: "rootfs/big", kind: .file(big))], compression: compression)
        let whole = dir.bytes("a.aci")
        dir.write("cut.aci", Array(whole.prefix(whole.count / 2)))
        for pipelined in [false, true] {
            #expect(throws: ImageKitError.archive("unexpected EOF")) {
                _ = try ACIStream(path: dir.file("cut.aci"), pipelined: pipelined).imageID()
            }
        }
    }

    /// gzip streams fail in Go's words, after every byte that decompresses was read;
    /// members are read one after another (Go's multistream mode).
    @Test func gzipMembersAndErrorsAsGoReadsThem() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        // A stored block: final, LEN 5, NLEN its complement, "hello", then CRC-32 and length.
        let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
        let hello: [UInt8] = header + [1, 5, 0, 0xfa, 0xff] + Array("hello".utf8) + [0x86, 0xa6, 0x10, 0x36, 5, 0, 0, 0]
        func read(_ bytes: [UInt8]) -> (data: [UInt8], error: ImageKitError?) {
            dir.write("s.gz", bytes)
            var data: [UInt8] = []
            do {
                let stream = try ACIStream(path: dir.file("s.gz"), pipelined: false)
                defer { stream.close() }
                while true {
                    let chunk = try stream.chunks.nextChunk()
                    if chunk.isEmpty { return (data, nil) }
                    data += chunk
                }
            } catch {
                return (data, error)
            }
        }
        #expect(read(hello).data == Array("hello".utf8) && read(hello).error == nil)
        #expect(read(hello + hello + hello).data == Array("hellohellohello".utf8))
        // Cut in the second member: the first one's bytes come first.
        let cut = read(hello + hello.prefix(17))
        #expect(cut.data == Array("hellohe".utf8) && cut.error == .archive("unexpected EOF"))
        #expect(read(hello + [0x1f]).error == .archive("unexpected EOF"))
        #expect(read(hello + Array(repeating: 0, count: 12)).error == .archive("gzip: invalid header"))
        var badCRC = hello
        badCRC[20] ^= 1
        #expect(read(badCRC).error == .archive("gzip: invalid checksum"))
        var badLength = hello
        badLength[13] = 0
        #expect("\(read(badLength).error.map { "\($0)" } ?? "")".hasPrefix("flate: corrupt input before offset "))
    }

    @Test func tarCutAtAMemberBoundaryIsAccepted() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        _ = try makeArchive(dir, "a.aci", [.file("manifest", "{}"), .directory("rootfs")])
        // Two headers and one data block; drop the end-of-archive blocks.
        dir.write("cut.aci", Array(dir.bytes("a.aci").prefix(3 * 512)))
        let reader = try TarReader(try ACIStream(path: dir.file("cut.aci"), pipelined: false), hashing: false)
        #expect(try reader.next()?.name == "manifest")
        #expect(try reader.next()?.cleanedName == "rootfs")
        #expect(try reader.next() == nil)
        // A cut inside a header is not.
        dir.write("cut2.aci", Array(dir.bytes("a.aci").prefix(3 * 512 + 100)))
        let reader2 = try TarReader(try ACIStream(path: dir.file("cut2.aci"), pipelined: false), hashing: false)
        _ = try reader2.next()
        _ = try reader2.next()
        #expect(throws: ImageKitError.archive("unexpected EOF")) { _ = try reader2.next() }
    }

    @Test func emptyAndGarbageInsideGzip() throws {
        let dir = Scratch("imagekit-test")
        defer { dir.remove() }
        dir.write("raw", [])
        shell("gzip -c '\(dir.file("raw"))' > '\(dir.file("empty.gz"))'")
        let empty = try TarReader(try ACIStream(path: dir.file("empty.gz"), pipelined: false), hashing: false)
        #expect(try empty.next() == nil)
        dir.write("junk", (0..<2048).map { UInt8(truncatingIfNeeded: $0 * 13 + 5) })
        shell("gzip -c '\(dir.file("junk"))' > '\(dir.file("junk.gz"))'")
        let junk = try TarReader(try ACIStream(path: dir.file("junk.gz"), pipelined: false), hashing: false)
        #expect(throws: ImageKitError.archive("archive/tar: invalid tar header")) { _ = try junk.next() }
    }
}
