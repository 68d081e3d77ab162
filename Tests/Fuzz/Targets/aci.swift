// libFuzzer target: an image file as actool and rkt read it: compression sniffing, the
// decompressors, the tar walk, manifest lookup and validation, the image ID. The input
// is an unnamed scratch file (O_TMPFILE) read through its /proc path.
// fuzz-modules: ImageKit AppcSchema GoJSON GoCompat LinuxSystem CLinux CRootPath CPodCommon
// fuzz-link: -larchive -lcrypto -lz
import Glibc
import ImageKit
import LinuxSystem

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzACI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let file = try? TemporaryFile(directory: "/tmp") else { fatalError("no scratch file in /tmp") }
    let fd = file.fd
    if let data, size > 0 { precondition(write(fd, data, size) == size, "write") }
    let path = "/proc/self/fd/\(fd)"
    if let summary = try? ImageSummary.read(path: path, listingFiles: true) {
        precondition(summary.id.hex.count == 128, "image ID \(summary.id)")
    }
    if let stream = try? ACIStream(path: path, pipelined: true) {
        defer { stream.close() }
        if let reader = try? TarReader(stream, hashing: true) { _ = try? ImageValidator.validateArchive(reader) }
    }
    return 0
}
