import Glibc
import ImageKit

/// A fresh directory under /tmp, removed by `remove()`.
struct TempDir {
    let path: String

    init() {
        var template = Array("/tmp/imagekit-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(name)")
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func write(_ name: String, _ text: String) { write(name, Array(text.utf8)) }

    func read(_ name: String) -> [UInt8] {
        (try? FileSystem.readFile(file(name), limit: 1 << 30)) ?? []
    }

    func mkdir(_ name: String) { _ = Glibc.mkdir(file(name), 0o755) }

    func symlink(_ target: String, _ name: String) { _ = Glibc.symlink(target, file(name)) }

    func remove() { _ = system("rm -rf '\(path)'") }
}

let validManifest = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"}"#

/// The entries of a minimal valid image.
func minimalImage(manifest: String = validManifest) -> [TarWriter.Entry] {
    [.file("manifest", manifest), .directory("rootfs"), .directory("rootfs/bin"), .file("rootfs/bin/hello", "hello\n", mode: 0o755)]
}

/// Writes an archive into `dir` and returns its path.
func makeArchive(
    _ dir: TempDir, _ name: String, _ entries: [TarWriter.Entry],
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
    let hasher = SHA512Hasher()
    hasher.update(bytes)
    return ImageID(digest: hasher.finalize()).hex
}

/// Runs a shell command; returns its exit status.
@discardableResult
func shell(_ command: String) -> Int32 {
    let status = system(command)
    return (status >> 8) & 0xff
}
