// libFuzzer target: the layer extractor writing an image's rootfs into a scratch root,
// with the privileges of root (owners, devices, setuid bits). Any entry that lands
// outside that root is a crash. The root is FUZZ_SCRATCH/a/b/root; `a` also holds a
// canary file. After each input, FUZZ_SCRATCH may hold only `a`, `a` only `b` and the
// unchanged canary, `b` only `root`. scripts/fuzz.sh runs this target in a mount
// namespace where every mount but FUZZ_SCRATCH and the fuzzer's output directory is
// read-only, so a write that climbs further, or follows an absolute symlink, fails
// with EROFS: an extraction error that mentions it is a crash too.
// fuzz-modules: ImageRender ImageStore SQLite ImageKit AppcSchema GoJSON GoCompat LinuxSystem CLinux CRootPath CPodCommon
// fuzz-link: -larchive -lcrypto -lz -lsqlite3
// fuzz-sandbox: read-only host
import Glibc
import LinuxSystem

@testable import ImageRender

private let box: String = {
    guard let value = getenv("FUZZ_SCRATCH").map({ String(cString: $0) }), !value.isEmpty else {
        fatalError("FUZZ_SCRATCH is not set: run this target through scripts/fuzz.sh, which sandboxes it")
    }
    // The sandbox must be real, or an escape could write to the host.
    let probe = "/tmp/fuzz-extract-probe-\(getpid())"
    let fd = open(probe, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
    if fd >= 0 {
        close(fd)
        unlink(probe)
        fatalError("/tmp is writable: this target must run in scripts/fuzz.sh's read-only mount namespace")
    }
    precondition(errno == EROFS, "probe of /tmp: \(String(cString: strerror(errno)))")
    return value
}()

private let canary = Array("canary".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExtract(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let a = box + "/a", b = a + "/b", root = b + "/root"
    do {
        try Files.removeTree(a)
        try Files.makeDirectories(root)
        try Files.writeFile(a + "/canary", canary)
    } catch {
        fatalError("scratch root: \(error)")
    }
    guard let file = try? TemporaryFile(directory: box) else { fatalError("no scratch file in \(box)") }
    if let data, size > 0 { precondition(write(file.fd, data, size) == size, "write") }
    do {
        let output = try OutputTree(path: root, privileges: .process)
        _ = try LayerExtractor.extract(archive: file.procPath, into: output, limit: 16 << 20)
    } catch {
        let text = "\(error)"
        precondition(!text.contains(String(cString: strerror(EROFS))), "an entry was written outside the root: \(text)")
    }
    expectOnly(["a"], in: box)
    expectOnly(["b", "canary"], in: a)
    expectOnly(["root"], in: b)
    let kept = try? Files.readFile(a + "/canary", limit: 64)
    precondition(kept == canary, "the canary next to the root changed")
    return 0
}

/// Fails unless `directory` holds exactly `names`.
private func expectOnly(_ names: Set<String>, in directory: String) {
    guard let found = try? Files.sortedNames(directory) else { fatalError("cannot list \(directory)") }
    precondition(Set(found) == names, "outside the root, \(directory) holds \(found)")
}
