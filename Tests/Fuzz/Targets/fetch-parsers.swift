// libFuzzer target: what rkt parses from the network before anything is trusted: the
// discovery page's <meta> tags (HTML) and an armored OpenPGP key ring (armor, CRC-24,
// packet framing, fingerprints). Any input may be refused; none may crash or hang.
// fuzz-modules: ImageFetch ImageStore ImageKit OCIImage RktConfig AppcSchema GoJSON GoCompat LinuxSystem SQLite CLinux CRootPath CPodCommon
// fuzz-link: -larchive -lcrypto -lz -lsqlite3
@testable import ImageFetch

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFetchParsers(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for meta in Discovery.metaTags(bytes) {
        precondition(meta.name.hasPrefix("ac-"), "a meta tag not named ac-*: \(meta)")
    }
    if let entities = try? OpenPGP.readArmoredKeyRing(bytes) {
        for entity in entities { precondition(entity.fingerprint.count == 20, "fingerprint of \(entity.fingerprint.count) bytes") }
    }
    return 0
}
