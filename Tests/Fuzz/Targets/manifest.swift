// libFuzzer target: image and pod manifests through the decoder, the validator and the
// canonical encoder. What decodes must encode (or fail with a message), and the
// canonical form must decode again to the same canonical form.
// fuzz-modules: AppcSchema GoJSON GoCompat
import AppcSchema

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    roundTrip(ImageManifest.self, bytes)
    roundTrip(PodManifest.self, bytes)
    return 0
}

private func roundTrip<M: Manifest>(_ type: M.Type, _ bytes: [UInt8]) {
    guard let manifest = try? M.decode(bytes), let once = try? manifest.encoded() else { return }
    let text = String(decoding: once, as: UTF8.self)
    guard let again = try? M.decode(once) else { fatalError("\(M.self): its canonical form does not decode: \(text)") }
    guard let twice = try? again.encoded(), twice == once else { fatalError("\(M.self): the canonical form changes when decoded again: \(text)") }
}
