// libFuzzer target: `patch-manifest`'s write path (ImagePatcher) on any image, spliced
// or rewritten, gzip or plain, in place or to a new file. When patching succeeds, the
// patched image must lead with the new manifest and hold every other entry of the
// original with the same name, type, mode, owner, link target and bytes; reading it
// must fail where reading the original failed, and only there. The last input byte
// picks the compression, `--replace` and whether the manifest grows.
// fuzz-modules: ImageKit AppcSchema GoJSON GoCompat LinuxSystem CLinux CRootPath CPodCommon
// fuzz-link: -larchive -lcrypto -lz
import AppcSchema
import CArchive
import Glibc
import ImageKit
import LinuxSystem

/// scripts/fuzz.sh's scratch directory, removed after the run.
private let scratch: String = {
    guard let value = getenv("FUZZ_SCRATCH").map({ String(cString: $0) }), !value.isEmpty else {
        fatalError("FUZZ_SCRATCH is not set: run this target through scripts/fuzz.sh")
    }
    return value
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let choice = bytes.last ?? 0
    let compression: ImageCompression = choice & 1 == 0 ? .defaultGzip : .none
    let inPlace = choice & 2 != 0
    let grows = choice & 4 != 0
    let input = scratch + "/input.aci", output = inPlace ? input : scratch + "/output.aci"
    unlink(output)
    do {
        try Files.writeFile(input, bytes)
    } catch {
        fatalError("scratch image: \(error)")
    }
    let original = Contents.read(input)
    var newManifests: [[UInt8]] = []
    let method: ImagePatcher.Method
    do {
        let file = try AtomicFile(path: output)
        defer { file.discard() }
        method = try ImagePatcher.patch(input: input, into: file, compression: compression, inPlace: inPlace) { manifest in
            var patch = ManifestPatch()
            if grows { patch.setAnnotations = ["example.com/fuzz=" + String(repeating: "x", count: size % 300)] }
            var patched = manifest
            try patch.apply(to: &patched)
            newManifests.append(try patched.encoded())
            return newManifests[newManifests.count - 1]
        }
        if method != .splicedInPlace { try file.commit(replace: true) }
    } catch {
        // A failed --replace leaves the input byte for byte.
        if inPlace {
            precondition((try? Files.readFile(input, limit: size + 1)) == bytes, "a failed in-place patch changed the input: \(error)")
        }
        return 0
    }
    let patched = Contents.read(output)
    // (An image without a manifest is copied as it is, as actool copies it.)
    precondition(patched.manifests.first == newManifests.first, "\(method): the patched image does not lead with the new manifest")
    precondition(patched.manifests.count == original.manifests.count, "\(method): manifests were lost or added")
    precondition(
        patched.entries == original.entries,
        "\(method): the patched image's entries differ: \(original.entries.count) before, \(patched.entries.count) after")
    precondition(
        (patched.failure == nil) == (original.failure == nil),
        "\(method): reading the original failed with \(original.failure ?? "nothing"), the patched one with \(patched.failure ?? "nothing")")
    return 0
}

/// What an image holds, as far as it can be read.
private struct Contents {
    struct Entry: Equatable {
        var name: [UInt8]
        var kind: TarEntryHeader.Kind
        var mode: UInt32
        var uid: Int64
        var gid: Int64
        var link: [UInt8]?
        var data: [UInt8]
    }

    var manifests: [[UInt8]] = []
    var entries: [Entry] = []
    var failure: String?

    static func read(_ path: String) -> Contents {
        var contents = Contents()
        do {
            let stream = try ACIStream(path: path, pipelined: false)
            defer { stream.close() }
            let reader = try TarReader(stream, hashing: false)
            while let header = try reader.next() {
                let data = try reader.readData(limit: 1 << 20)
                if header.cleanedName == "manifest" {
                    contents.manifests.append(data)
                    continue
                }
                guard let entry = reader.currentEntry else { break }
                let link =
                    TarReader.entryBytes(archive_entry_symlink(entry), archive_entry_symlink_utf8(entry))
                    ?? TarReader.entryBytes(archive_entry_hardlink(entry), archive_entry_hardlink_utf8(entry))
                // libarchive's writer ends a directory's name with "/" (a rewritten image's
                // headers are libarchive's): every reader takes both as the same name.
                var name = header.rawName
                while header.kind == .directory, name.count > 1, name.last == UInt8(ascii: "/") { name.removeLast() }
                contents.entries.append(
                    Entry(
                        name: name, kind: header.kind, mode: UInt32(archive_entry_mode(entry)),
                        uid: archive_entry_uid(entry), gid: archive_entry_gid(entry), link: link, data: data))
            }
        } catch {
            contents.failure = "\(error)"
        }
        return contents
    }
}
