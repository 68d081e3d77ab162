import AppcSchema

/// What one streaming pass over an image tells: its manifest, its ID and, when
/// asked, the paths of its files. Used to inject an image as a dependency.
public struct ImageSummary: Sendable {
    public let manifest: ImageManifest
    public let id: ImageID
    /// Absolute paths (as the app sees them) of every non-directory entry under rootfs,
    /// in archive order; empty unless requested.
    public let filePaths: [String]

    public static func read(path: String, listingFiles: Bool = false) throws(ImageKitError) -> ImageSummary {
        let stream = try ACIStream(path: path, pipelined: true)
        defer { stream.close() }
        let reader = try TarReader(stream, hashing: true)
        var manifest: ImageManifest?
        var files: [String] = []
        while let entry = try reader.next() {
            let name = entry.cleanedName
            if name == "manifest", manifest == nil {
                do {
                    manifest = try ImageManifest.decode(try reader.readData(limit: ImageValidator.manifestLimit))
                } catch let error as ManifestError {
                    throw .invalidImage("image manifest validation failed: \(error)")
                } catch {
                    throw error as? ImageKitError ?? .invalidImage("\(error)")
                }
            } else if listingFiles, entry.kind != .directory, name.hasPrefix("rootfs/") {
                files.append(String(name.dropFirst("rootfs".count)))
            }
        }
        guard let manifest else { throw .invalidImage("no image manifest found in layout") }
        return ImageSummary(manifest: manifest, id: try reader.imageID(), filePaths: files)
    }

    /// The dependency entry that pins this image: its name, full image ID, and its
    /// `version`, `os` and `arch` labels.
    public var dependency: Dependency {
        // A 128-hex sha512 ID always satisfies the schema's hash rule.
        let hash = try? ImageHash(id.description)
        let pinned = manifest.labels.filter { ["version", "os", "arch"].contains($0.name.description) }
        return Dependency(imageName: manifest.name, imageID: hash, labels: pinned)
    }
}
