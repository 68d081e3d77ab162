import Glibc
import GoCompat
import ImageKit

/// Writes the files of a stack of layers as one ACI's rootfs, as the layers would be
/// extracted one over the other (whiteouts and opaque directories applied), reading each
/// layer once, top layer first: an entry is written unless a layer above provided its
/// path, removed it, or made one of its parents a file, a link or an opaque directory.
/// Memory grows with the number of paths, not with the size of the files.
final class LayerSquasher {
    private enum Kind { case implicit, directory, nonDirectory, removed }
    private struct Node {
        var kind: Kind
        /// The layer (index, base = 0) that made the node.
        var layer: Int
        /// Lower layers' entries below it are hidden.
        var opaque = false
    }

    /// A hard link whose target is not (yet) written: resolved by the first layer at or
    /// below its own that has the target as a file.
    private struct PendingLink {
        var path: [UInt8]
        var target: [UInt8]
        var layer: Int
    }

    private let writer: ACIWriter
    private var tree = PathTree<Node>(root: Node(kind: .directory, layer: Int.max))
    private var pending: [PendingLink] = []

    /// Links docker2aci adds to a converted image where the top layer has nothing.
    static let stdioLinks: [(path: String, target: String)] = [
        ("dev/stdin", "/proc/self/fd/0"), ("dev/stdout", "/dev/console"), ("dev/stderr", "/dev/console"), ("dev/fd", "/proc/self/fd"),
    ]

    init(writer: ACIWriter) {
        self.writer = writer
    }

    /// Writes the layers' surviving entries below `rootfs/`; `layers` are base first.
    func squash(_ layers: [LayerBlob]) throws(OCIError) {
        for index in layers.indices.reversed() {
            try squash(layers[index], index: index, isTop: index == layers.count - 1)
        }
        if let link = pending.first {
            throw .layer(
                "hard link \(goQuote(text(link.path))) points to \(goQuote(text(link.target))), which no layer below it provides")
        }
    }

    private func squash(_ layer: LayerBlob, index: Int, isTop: Bool) throws(OCIError) {
        let (stream, reader) = try layer.open()
        defer { stream.close() }
        var masks: [(path: [UInt8], opaque: Bool)] = []
        /// Files written from this layer; files left out, with their link target if a link.
        var written: Set<[UInt8]> = []
        var skipped: [[UInt8]: [UInt8]] = [:]
        var seen: Set<[UInt8]> = []
        try layer.reading {
            while let header = try reader.next() {
                switch try LayerEntry.read(header, reader, layer: layer.digest) {
                case .ignored: continue
                case let .whiteout(path): masks.append((path, false))
                case let .opaque(path): masks.append((path, true))
                case let .path(path, kind, target):
                    seen.insert(path)
                    if path == Array("dev".utf8), kind != .directory {
                        throw OCIError.layer("layer \(layer.digest): invalid layer: \"/dev\" is not a directory")
                    }
                    let keep = try choose(path, isDirectory: kind == .directory, layer: index, digest: layer.digest)
                    guard keep else {
                        if kind == .regular || kind == .hardlink { skipped[path] = target ?? path }
                        continue
                    }
                    let name = rootfs(path)
                    if let target {
                        if written.contains(target) {
                            try writer.copyCurrentEntry(of: reader, name: name, hardlinkTarget: rootfs(target))
                            written.insert(path)
                        } else {
                            pending.append(PendingLink(path: path, target: target, layer: index))
                        }
                    } else {
                        try writer.copyCurrentEntry(of: reader, name: name, hardlinkTarget: nil)
                        if kind == .regular { written.insert(path) }
                    }
                }
            }
            if isTop { try writeStdioLinks(seen: seen, layer: index, digest: layer.digest) }
            try layer.finish(stream)
        }
        try resolveLinks(in: layer, index: index, written: written, skipped: skipped)
        for mask in masks { applyMask(mask.path, opaque: mask.opaque, layer: index) }
    }

    /// Whether the entry at `path` of layer `layer` survives, recording it if so.
    private func choose(_ path: [UInt8], isDirectory: Bool, layer: Int, digest: OCIDigest) throws(OCIError) -> Bool {
        var blockedHere = false
        let leaf = Node(kind: isDirectory ? .directory : .nonDirectory, layer: layer)
        let found = tree.node(at: PathTree<Node>.components(path[...]), intermediate: Node(kind: .implicit, layer: layer), leaf: leaf) { node in
            if node.kind == .nonDirectory, node.layer == layer { blockedHere = true }
            return node.kind != .nonDirectory && node.kind != .removed && !node.opaque
        }
        guard let (index, existed) = found else {
            if blockedHere {
                throw .layer("layer \(digest): \(goQuote(text(path))) is below a file or link of the same layer")
            }
            return false
        }
        guard existed else { return true }
        let node = tree[index]
        guard node.layer == layer else {
            // Provided or removed by a layer above; an implicit directory (something
            // above put files below it) still takes this layer's directory entry.
            if node.kind == .implicit, isDirectory {
                tree[index] = leaf
                return true
            }
            return false
        }
        // The same path twice in one layer: the later entry wins, as in extraction.
        let wasDirectory = node.kind == .directory || node.kind == .implicit
        guard wasDirectory == isDirectory else {
            throw .layer("layer \(digest): \(goQuote(text(path))) is both a directory and not one")
        }
        tree[index] = leaf
        return true
    }

    /// Hides what a whiteout or opaque marker of layer `layer` names from the layers below.
    private func applyMask(_ path: [UInt8], opaque: Bool, layer: Int) {
        let removed = Node(kind: opaque ? .implicit : .removed, layer: layer, opaque: opaque)
        let found = tree.node(at: PathTree<Node>.components(path[...]), intermediate: Node(kind: .implicit, layer: layer), leaf: removed) {
            $0.kind != .nonDirectory && $0.kind != .removed && !$0.opaque
        }
        guard let (index, existed) = found, existed else { return }
        switch tree[index].kind {
        case .implicit, .directory:
            // Re-created in this layer or above: the lower directory and all below it go.
            if !opaque, tree[index].kind == .implicit { tree[index].kind = .directory }
            tree[index].opaque = true
        case .nonDirectory, .removed: break
        }
    }

    private func writeStdioLinks(seen: Set<[UInt8]>, layer: Int, digest: OCIDigest) throws(OCIError) {
        for link in LayerSquasher.stdioLinks {
            let path = Array(link.path.utf8)
            guard !seen.contains(path), try choose(path, isDirectory: false, layer: layer, digest: digest) else { continue }
            let header = ACIWriter.Header(name: rootfs(path), kind: .symlink(target: Array(link.target.utf8)), mode: 0o777)
            do {
                try writer.write(header)
            } catch {
                throw .image(error)
            }
        }
    }

    /// Writes the pending links whose target this layer has: as links when the target
    /// was written from it, else (the target is hidden by a layer above) the target's
    /// content under the first link's name, the others linked to that.
    private func resolveLinks(in layer: LayerBlob, index: Int, written: Set<[UInt8]>, skipped: [[UInt8]: [UInt8]]) throws(OCIError) {
        var materialize: [[UInt8]: [PendingLink]] = [:]
        var order: [[UInt8]] = []
        var remaining: [PendingLink] = []
        for link in pending {
            guard link.layer >= index else {
                remaining.append(link)
                continue
            }
            // A left-out link's target is its own target's file.
            var target = link.target
            var hops = 0
            while let next = skipped[target], next != target, hops < 64 {
                target = next
                hops += 1
            }
            if written.contains(target) {
                try write(link: link.path, to: target)
            } else if skipped[target] != nil {
                if materialize[target] == nil { order.append(target) }
                materialize[target, default: []].append(link)
            } else {
                remaining.append(link)
            }
        }
        pending = remaining
        guard !order.isEmpty else { return }
        let (stream, reader) = try layer.open()
        defer { stream.close() }
        try layer.reading {
            while let header = try reader.next() {
                guard header.kind == .regular, case let .path(path, _, _) = try LayerEntry.read(header, reader, layer: layer.digest),
                    let links = materialize.removeValue(forKey: path), let first = links.first
                else { continue }
                try writer.copyCurrentEntry(of: reader, name: rootfs(first.path), hardlinkTarget: nil)
                for link in links.dropFirst() { try write(link: link.path, to: first.path) }
            }
        }
    }

    private func write(link path: [UInt8], to target: [UInt8]) throws(OCIError) {
        let header = ACIWriter.Header(name: rootfs(path), kind: .hardlink(target: rootfs(target)), mode: 0o644)
        do {
            try writer.write(header)
        } catch {
            throw .image(error)
        }
    }

    private func rootfs(_ path: [UInt8]) -> [UInt8] { Array("rootfs/".utf8) + path }
    private func text(_ path: [UInt8]) -> String { String(decoding: path, as: UTF8.self) }
}
