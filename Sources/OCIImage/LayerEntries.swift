import CArchive
import GoCompat
import ImageKit

/// A layer blob on the local disk: its digest, and an open descriptor (not closed here)
/// or a file still being downloaded (read as it grows, whole only once checked).
public struct LayerBlob: Sendable {
    public var digest: OCIDigest
    public var fd: Int32
    public var download: GrowingFile?

    public init(digest: OCIDigest, fd: Int32) {
        self.digest = digest
        self.fd = fd
    }

    public init(digest: OCIDigest, download: GrowingFile) {
        self.digest = digest
        fd = -1
        self.download = download
    }

    /// Opens the layer's tar stream from its start.
    func open() throws(OCIError) -> (ACIStream, TarReader) {
        do throws(ImageKitError) {
            let path = "layer \(digest)"
            let stream: ACIStream
            if let download {
                stream = try ACIStream(layer: download, path: path)
            } else {
                stream = try ACIStream(layerFD: fd, path: path)
            }
            return (stream, try TarReader(stream, hashing: false))
        } catch {
            throw .layer("layer \(digest): \(error.description)")
        }
    }

    /// Runs `body` (a walk of this layer), every failure told as this layer's.
    func reading(_ body: () throws -> Void) throws(OCIError) {
        do {
            try body()
        } catch let error as OCIError {
            throw error
        } catch let error as ImageKitError {
            throw .layer("layer \(digest): \(error.description)")
        } catch {
            throw .layer("layer \(digest): \(error)")
        }
    }

    /// Reads the rest of the layer after its tar's end: a download is then whole and
    /// checked against its digest (or the read fails), a local file's compressed
    /// stream checked to its trailer.
    func finish(_ stream: ACIStream) throws(OCIError) {
        do {
            try stream.drain()
        } catch {
            throw .layer("layer \(digest): \(error.description)")
        }
    }
}

/// What one entry of a layer means for the image (OCI image spec, "Image Layer
/// Filesystem Changeset"): a path below the root, a whiteout, or the root itself.
enum LayerEntry {
    /// A file, directory, link or device at `path` (relative, cleaned, never empty);
    /// a hard link's target likewise.
    case path([UInt8], kind: TarEntryHeader.Kind, hardlinkTarget: [UInt8]?)
    /// `.wh.NAME`: NAME is removed from the layers below.
    case whiteout([UInt8])
    /// `.wh..wh..opq`: the directory's contents in the layers below are hidden.
    case opaque([UInt8])
    /// The root (`./`), other whiteout metadata (`.wh..wh.plnk`), sockets: nothing to write.
    case ignored

    static let whiteoutPrefix = Array(".wh.".utf8)
    static let opaqueMarker = Array(".wh..wh..opq".utf8)

    /// Classifies the entry `reader` is on. A name or link target that leaves the root
    /// (`../x`) is an error, as Docker's extraction refuses it (an absolute name is taken
    /// below the root, as Docker takes it).
    static func read(_ header: TarEntryHeader, _ reader: TarReader, layer: OCIDigest) throws(OCIError) -> LayerEntry {
        let path = try relative(header.rawName, layer: layer, what: "entry")
        guard !path.isEmpty else { return .ignored }
        let components = PathTree<Int>.components(path[...])
        let base = Array(components.last ?? [])
        let parent = Array(path.prefix(max(0, path.count - base.count - 1)))
        if base.starts(with: whiteoutPrefix) {
            if base == opaqueMarker { return .opaque(parent) }
            let name = Array(base.dropFirst(whiteoutPrefix.count))
            // `.wh..wh.*` is whiteout metadata of aufs, nothing to remove.
            if name.isEmpty || name.starts(with: whiteoutPrefix) { return .ignored }
            let removed = try relative(parent + [UInt8(ascii: "/")] + name, layer: layer, what: "whiteout")
            guard !removed.isEmpty else { throw .layer("layer \(layer): whiteout \(goQuote(header.name)) removes the root") }
            return .whiteout(removed)
        }
        if header.kind == .socket || header.kind == .other { return .ignored }
        var target: [UInt8]?
        if header.kind == .hardlink, let entry = reader.currentEntry {
            let raw = TarReader.entryBytes(archive_entry_hardlink(entry), archive_entry_hardlink_utf8(entry)) ?? []
            target = try relative(raw, layer: layer, what: "hard link target")
            if target?.isEmpty == true { throw .layer("layer \(layer): hard link \(goQuote(header.name)) points to the root") }
        }
        return .path(path, kind: header.kind, hardlinkTarget: target)
    }

    /// `name` cleaned and made relative to the root; empty for the root itself.
    static func relative(_ name: [UInt8], layer: OCIDigest, what: String) throws(OCIError) -> [UInt8] {
        var cleaned = GoPath.clean(bytes: name)
        if cleaned == [UInt8(ascii: ".")] { return [] }
        if cleaned == Array("..".utf8) || cleaned.starts(with: Array("../".utf8)) {
            throw .layer("layer \(layer): \(what) \(goQuote(String(decoding: name, as: UTF8.self))) is outside the image's root")
        }
        while cleaned.first == UInt8(ascii: "/") { cleaned.removeFirst() }
        return cleaned
    }
}
