import Glibc
import ImageKit
import TestSupport

let validManifest = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"}"#

/// The entries of a minimal valid image.
func minimalImage(manifest: String = validManifest) -> [TarWriter.Entry] {
    [.file("manifest", manifest), .directory("rootfs"), .directory("rootfs/bin"), .file("rootfs/bin/hello", "hello\n", mode: 0o755)]
}

/// Writes an archive into `dir` and returns its path.
func makeArchive(
    _ dir: Scratch, _ name: String, _ entries: [TarWriter.Entry],
    format: TarWriter.Format = .pax, compression: TarWriter.Compression = .none
) throws -> String {
    let path = dir.file(name)
    let writer = try TarWriter(path: path, format: format, compression: compression)
    for entry in entries { try writer.write(entry) }
    try writer.close()
    return path
}

/// SHA-512 of a file's bytes, as `sha512sum` would give it.
func sha512Hex(of bytes: [UInt8]) -> String {
    let hasher = ContentHasher()
    hasher.update(bytes)
    return ImageID(digest: hasher.finalize()).hex
}

/// Runs a shell command; returns its exit status.
@discardableResult
func shell(_ command: String) -> Int32 {
    let status = system(command)
    return (status >> 8) & 0xff
}
