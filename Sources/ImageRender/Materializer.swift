import CLinux
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

/// Builds an output rootfs from layer trees and a selection, in extraction order.
///
/// * `.hardlink`: every chosen non-directory is a hard link to the layer's inode;
///   only directories are new. This is what the tree store uses: a pod mounts the tree
///   read-only (an overlay lower layer), so nothing ever writes through those links,
///   and an image's files exist once on disk however many trees use them. Where a
///   link is refused (another file system, the link count limit), the file is copied.
/// * `.copy`: a plain, independent copy (reflinked where the file system can),
///   limited by the output's privileges: `rkt image render` / `extract` output.
///
/// Hardlink entries of the images are resolved in the output, as rkt does: they
/// link to whatever is at their target path by then (possibly an upper image's file).
final class Materializer {
    enum Mode { case hardlink, copy }

    let output: OutputTree
    let mode: Mode
    private let layers: [LayerSource]
    /// Content digests of the regular files written, by path (for the tree hash).
    private(set) var digests: [RelativePath: String] = [:]

    /// A layer's rootfs opened for reading.
    final class LayerSource {
        let layer: Layer
        let fd: Int32
        let walker: DirectoryWalker

        init(_ layer: Layer) throws(RenderError) {
            self.layer = layer
            fd = try Sys.openDirectory(layer.rootfs)
            walker = DirectoryWalker(rootFd: fd, rootPath: layer.rootfs)
        }

        deinit {
            walker.reset()
            close(fd)
        }

        func entry(_ relative: RelativePath) throws(RenderError) -> (fd: Int32, name: [UInt8]) {
            guard let found = try walker.parent(of: relative, create: false) else {
                throw .damaged("layer \(layer.key) lacks \(goQuote(BytePath.text(relative))); it will be extracted again")
            }
            return found
        }
    }

    /// - Parameter layers: one per list position (a layer may appear more than once).
    init(output: OutputTree, mode: Mode, layers: [Layer]) throws(RenderError) {
        self.output = output
        self.mode = mode
        var opened: [String: LayerSource] = [:]
        var sources: [LayerSource] = []
        for layer in layers {
            if let source = opened[layer.key] {
                sources.append(source)
            } else {
                let source = try LayerSource(layer)
                opened[layer.key] = source
                sources.append(source)
            }
        }
        self.layers = sources
    }

    func run(_ selection: Selection) throws(RenderError) {
        if let rootfs = selection.rootfs {
            output.setDirectoryMetadata([], Metadata(rootfs))
        }
        for chosen in selection.chosen {
            try place(chosen.entry, from: layers[chosen.image])
        }
        try output.finish()
    }

    private func place(_ entry: LayerEntry, from layer: LayerSource) throws(RenderError) {
        guard let parent = try output.parent(of: entry.path) else { return }
        let metadata = Metadata(entry)
        switch entry.kind {
        case .directory:
            try output.makeDirectory(parent, relative: entry.path, metadata: metadata)
        case .hardlink:
            try linkInOutput(entry, parent: parent)
        case .file:
            if mode == .hardlink, try linkFromLayer(entry, layer: layer, parent: parent) {
                digests[entry.path] = entry.digest
                return
            }
            try copyFile(entry, from: layer, parent: parent)
            digests[entry.path] = entry.digest
        case .symlink:
            if mode == .hardlink, try linkFromLayer(entry, layer: layer, parent: parent) { return }
            try output.symlink(parent, relative: entry.path, target: entry.target, metadata: metadata)
        case .fifo, .characterDevice, .blockDevice:
            if entry.kind != .fifo, !output.privileges.devices { return }
            if mode == .hardlink, try linkFromLayer(entry, layer: layer, parent: parent) { return }
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .characterDevice ? S_IFCHR : S_IFBLK
            try output.node(parent, relative: entry.path, type: type, major: entry.major, minor: entry.minor, metadata: metadata)
        case .implicitDirectory, .manifest:
            return
        }
    }

    /// Links the layer's inode in; false when the file system refuses (then copy).
    private func linkFromLayer(_ entry: LayerEntry, layer: LayerSource, parent: (fd: Int32, name: [UInt8])) throws(RenderError) -> Bool {
        let source = try layer.entry(entry.path)
        let code = try output.link(from: source, to: parent, relative: entry.path)
        switch code {
        case 0: return true
        case EXDEV, EMLINK, EPERM, EACCES: return false
        case ENOENT: throw .damaged("layer \(layer.layer.key) lacks \(goQuote(BytePath.text(entry.path))); it will be extracted again")
        default: throw .system(SystemError("link", output.describe(entry.path), code: code))
        }
    }

    /// An image's hardlink: to whatever the output holds at the target path now.
    private func linkInOutput(_ entry: LayerEntry, parent: (fd: Int32, name: [UInt8])) throws(RenderError) {
        let name = BytePath.text(entry.path), target = BytePath.text(entry.target)
        guard let source = try output.existing(entry.target) else { throw .missingLinkTarget(name: name, target: target) }
        let code = try output.link(from: source, to: parent, relative: entry.path)
        if code == ENOENT { throw .missingLinkTarget(name: name, target: target) }
        guard code == 0 else { throw .system(SystemError("link", output.describe(entry.path), code: code)) }
        if let digest = digests[entry.target] { digests[entry.path] = digest }
    }

    private func copyFile(_ entry: LayerEntry, from layer: LayerSource, parent: (fd: Int32, name: [UInt8])) throws(RenderError) {
        let source = try layer.entry(entry.path)
        // O_NONBLOCK: a damaged layer's fifo in the place of a file does not block the copy.
        let input = openat(source.fd, cString(source.name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw .system(SystemError("open", layer.layer.rootfs + "/" + BytePath.text(entry.path))) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw .damaged("layer \(layer.layer.key): \(goQuote(BytePath.text(entry.path))) is not a regular file")
        }
        let out = try output.createFile(parent, relative: entry.path)
        defer { close(out) }
        // A reflink where the file system can; else the data extents only, so a sparse
        // file stays sparse (a few bytes of image must not become gigabytes on disk).
        if clinux_clone_file(input, out) != 0 {
            let code = clinux_copy_sparse(input, out, Int64(info.st_size))
            guard code == 0 else { throw .system(SystemError("copy", output.describe(entry.path), code: code)) }
        }
        try output.finishFile(out, relative: entry.path, metadata: Metadata(entry))
    }
}
