import AppcSchema
import CArchive
import Glibc
import ImageKit
import LinuxSystem
import OCIImage
import TestSupport

/// One entry of a written ACI, as a test checks it.
struct WrittenEntry: Equatable, CustomStringConvertible {
    var name: String
    var kind: TarEntryHeader.Kind
    var link: String = ""
    var text: String = ""

    var description: String { "\(name) \(kind)\(link.isEmpty ? "" : " -> " + link)\(text.isEmpty ? "" : " " + text)" }
}

/// The entries of the ACI at `path`, in order (files' contents as text).
func entries(of path: String) throws -> [WrittenEntry] {
    let stream = try ACIStream(path: path, pipelined: false)
    defer { stream.close() }
    let reader = try TarReader(stream, hashing: false)
    var out: [WrittenEntry] = []
    while let header = try reader.next() {
        var entry = WrittenEntry(name: header.cleanedName, kind: header.kind)
        if let current = reader.currentEntry {
            if let link = archive_entry_symlink(current) { entry.link = String(cString: link) }
            if let link = archive_entry_hardlink(current) { entry.link = String(cString: link) }
        }
        if header.kind == .regular { entry.text = String(decoding: try reader.readData(limit: 1 << 20), as: UTF8.self) }
        out.append(entry)
    }
    return out
}

/// Converts the layout image squashed into `out`; returns what was written.
@discardableResult
func convertSquashed(_ location: String, to out: String, scratch: Scratch) throws -> ConvertedImage {
    guard let parsed = LocalImage.Location(location) else { throw OCIError.reference("bad location \(location)") }
    let image = try LocalImage.open(parsed, scratch: scratch.path)
    let file = try AtomicFile(path: out)
    let written = try ACIConverter.writeSquashed(image.input, to: file.fd, path: out, compression: .none)
    try file.commit(replace: true)
    return written
}

/// Names below `rootfs/` of the written image's entries.
func rootfsNames(_ list: [WrittenEntry]) -> [String] {
    list.compactMap { $0.name.hasPrefix("rootfs/") ? String($0.name.dropFirst(7)) : nil }
}
