import GoCompat
import ImageKit

/// acirenderer's choice of files (appc-spec.md §7.2), made from the layer indexes
/// instead of the archives (they list the same entries in the same order).
struct Selection {
    struct Chosen {
        /// Position in the dependency list.
        let image: Int
        let entry: LayerEntry
    }

    /// Chosen entries, in extraction order: list order, then archive order.
    var chosen: [Chosen] = []
    /// The rootfs directory's own entry: every image provides it; the last one extracted wins.
    var rootfs: LayerEntry?

    /// Walks the list in order. For each image, each entry below the rootfs is taken unless:
    /// * the image has a `pathWhitelist` and the entry is a non-directory not listed in it;
    /// * an "upper" whitelist applies (`upperWhitelist`) and does not list the entry
    ///   (directories included);
    /// * an earlier image already provided the path (the first provider wins);
    /// * an earlier image provided one of its parents as a non-directory.
    /// Entries below a symlinked or file parent inside one image were already left out
    /// when the layer was extracted.
    static func choose(_ images: [ResolvedImage], indexes: [LayerIndex]) -> Selection {
        var selection = Selection()
        var provided = ProvidedPaths()
        for (position, image) in images.enumerated() {
            let own = image.manifest.pathWhitelist.isEmpty ? nil : whitelist(image.manifest.pathWhitelist)
            let upper = upperWhitelist(images, position)
            for entry in indexes[position].entries {
                switch entry.kind {
                case .implicitDirectory, .manifest: continue
                default: break
                }
                if entry.path.isEmpty {
                    selection.rootfs = entry
                    continue
                }
                let isDirectory = entry.kind == .directory
                if let own, !isDirectory, !own.contains(entry.path) { continue }
                if let upper, !upper.contains(entry.path) { continue }
                guard provided.provide(entry.path, isDirectory: isDirectory) else { continue }
                selection.chosen.append(Chosen(image: position, entry: entry))
            }
        }
        return selection
    }

    /// The whitelist that filters the image at `position` from above: walking back to the
    /// top of the list, remembering the level of the image visited just before, an image
    /// with a lower level and a non-empty whitelist becomes the candidate; the last (top-
    /// most) candidate applies. For true ancestors that is the top-most ancestor with a
    /// whitelist, but an earlier sibling with dependencies of its own also qualifies
    /// (acirenderer's quirk, kept: `A → [B, C]`, `C → [D]`, C whitelisted filters B too).
    static func upperWhitelist(_ images: [ResolvedImage], _ position: Int) -> Set<RelativePath>? {
        var result: Set<RelativePath>?
        var level = images[position].level
        var i = position
        while i >= 0 {
            let image = images[i]
            if image.level < level, !image.manifest.pathWhitelist.isEmpty {
                result = whitelist(image.manifest.pathWhitelist)
            }
            level = image.level
            i -= 1
        }
        return result
    }

    /// Whitelist entries joined onto `rootfs` and cleaned (`/etc/x/` → `etc/x` below the
    /// rootfs). Entries that land outside the rootfs can match nothing.
    static func whitelist(_ paths: [String]) -> Set<RelativePath> {
        var set = Set<RelativePath>()
        for path in paths {
            let joined = GoPath.clean(bytes: Array("rootfs/".utf8) + Array(path.utf8))
            if let relative = BytePath.belowRootfs(joined) { set.insert(relative) }
        }
        return set
    }
}

/// The paths earlier images provided.
private struct ProvidedPaths {
    private enum State { case implicit, directory, nonDirectory }
    private var tree = PathTree<State>(root: .directory)

    /// Records `path` as provided; false (nothing recorded) when an earlier image already
    /// provided it, or provided one of its parents as a non-directory.
    mutating func provide(_ path: RelativePath, isDirectory: Bool) -> Bool {
        let components = PathTree<State>.components(path[...])
        guard !components.isEmpty else { return false }
        let state: State = isDirectory ? .directory : .nonDirectory
        guard let (node, existed) = tree.node(at: components, intermediate: .implicit, leaf: state, allowsDescent: { $0 != .nonDirectory }) else {
            return false
        }
        guard existed else { return true }
        guard tree[node] == .implicit else { return false }
        tree[node] = state
        return true
    }
}
