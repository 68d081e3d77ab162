import AppcSchema
import Glibc
import GoCompat
import LinuxSystem

/// The ACI rules actool enforces on an archive or an image layout (appc-spec.md §1.2, §8.2).
public enum ImageValidator {
    /// Largest manifest read into memory. Real manifests are a few KiB; this bounds a hostile one.
    public static let manifestLimit = 16 << 20

    /// Checks an archive entry by entry, in one streaming pass (`aci.ValidateArchive`).
    /// Returns the decoded manifest.
    @discardableResult
    public static func validateArchive(_ reader: TarReader) throws(ImageKitError) -> ImageManifest {
        var seen = Set<String>()
        var names: [String] = []
        var manifest: [UInt8]?
        var sawRootfs = false
        while let entry = try reader.next() {
            let name = entry.cleanedName
            switch name {
            case ".":
                continue
            case "manifest":
                // Several manifest entries concatenate, as in Go.
                let room = manifestLimit - (manifest?.count ?? 0)
                let data = try reader.readData(limit: room)
                manifest = (manifest ?? []) + data
            case "rootfs":
                guard entry.kind == .directory else { throw .invalidImage("rootfs is not a directory") }
                sawRootfs = true
            default:
                guard seen.insert(name).inserted else {
                    throw .invalidImage("duplicate file entry in archive: \(name)")
                }
                names.append(name)
            }
        }
        let found = manifest
        return try checkContents(hasManifest: found != nil, sawRootfs: sawRootfs, names: names) { found ?? [] }
    }

    /// Checks an image layout directory (`aci.ValidateLayout`). Returns the decoded manifest.
    @discardableResult
    public static func validateLayout(path: String) throws(ImageKitError) -> ImageManifest {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .invalidImage("error accessing layout: stat \(path): \(errnoText(errno))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .invalidImage("given path \(goQuote(path)) is not a directory")
        }
        // Go walks without following symlinks: a symlinked layout is not descended.
        var linkInfo = stat()
        guard lstat(path, &linkInfo) == 0, linkInfo.st_mode & S_IFMT == S_IFDIR else {
            throw .invalidImage("no image manifest found in layout")
        }
        // Everything under rootfs/ starts with "rootfs", so only the top level can break a rule.
        let names = try FileSystem.sortedEntries(of: path)
        var hasManifest = false
        let manifestPath = GoPath.clean(path + "/manifest")
        var sawRootfs = false
        var others: [String] = []
        for name in names {
            let full = GoPath.clean(path + "/" + name)
            switch name {
            case "manifest":
                // Opened during the walk (whatever its type), read only after the other checks.
                try FileSystem.checkOpenable(full)
                hasManifest = true
            case "rootfs":
                var rootfs = stat()
                guard lstat(full, &rootfs) == 0, rootfs.st_mode & S_IFMT == S_IFDIR else {
                    throw .invalidImage("rootfs is not a directory")
                }
                sawRootfs = true
            default:
                others.append(name)
            }
        }
        return try checkContents(hasManifest: hasManifest, sawRootfs: sawRootfs, names: others) { () throws(ImageKitError) in
            do {
                return try FileSystem.readFile(manifestPath, limit: manifestLimit)
            } catch {
                throw .invalidImage("error reading image manifest: \(error)")
            }
        }
    }

    /// The checks made after the walk, in Go's order (`aci.validate`).
    private static func checkContents(
        hasManifest: Bool, sawRootfs: Bool, names: [String],
        readManifest: () throws(ImageKitError) -> [UInt8]
    ) throws(ImageKitError) -> ImageManifest {
        guard hasManifest else { throw .invalidImage("no image manifest found in layout") }
        guard sawRootfs else { throw .invalidImage("no rootfs found in layout") }
        let manifest = try readManifest()
        let decoded: ImageManifest
        do {
            decoded = try ImageManifest.decode(manifest)
        } catch {
            throw .invalidImage("image manifest validation failed: \(error)")
        }
        // A string-prefix test, as in Go: `rootfs-extra` passes.
        for name in names where !name.hasPrefix("rootfs") {
            throw .invalidImage("unrecognized file path in layout: \(goQuote(name))")
        }
        return decoded
    }
}
