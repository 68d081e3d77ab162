import AppcSchema
import ImageStore

/// One image of a flattened dependency list.
public struct ResolvedImage: Sendable, Equatable {
    /// The store key (`sha512-` + 64 hex).
    public let key: String
    /// 0 for the image rendered, 1 for its dependencies, and so on.
    public let level: Int
    /// The image's manifest from the store.
    public let manifest: ImageManifest

    /// Creates a list element.
    public init(key: String, level: Int, manifest: ImageManifest) {
        self.key = key
        self.level = level
        self.manifest = manifest
    }
}

/// Called for a dependency that is not in the store: it should fetch the image and
/// import it (e.g. by discovery), or throw. The lookup is then repeated once.
public typealias DependencyFetcher = (_ dependency: Dependency) throws -> Void

/// Builds appc's flattened dependency list (appc-spec.md §7.1).
struct DependencyResolver {
    let store: ImageStore
    let fetcher: DependencyFetcher?
    /// A runaway diamond (every level depending twice on the next) doubles the list per level.
    static let maximumImages = 4096

    /// Start with the image at level 0; walking the list, every image's dependencies are
    /// inserted right after it, one by one, so they end up in reverse declaration order
    /// (`A → [B, C]`, `C → [D]` gives `A, C, D, B`). A diamond lists the shared image twice.
    /// An image depending on one of its own ancestors is a cycle, reported with the chain.
    func list(for key: String) throws(RenderError) -> [ResolvedImage] {
        // Diamonds repeat images: each dependency is looked up, and each manifest read, once.
        var keys: [Dependency: String] = [:]
        var manifests: [String: ImageManifest] = [:]
        func manifest(_ key: String) throws(RenderError) -> ImageManifest {
            if let known = manifests[key] { return known }
            let loaded = try self.manifest(key)
            manifests[key] = loaded
            return loaded
        }
        var images = [ResolvedImage(key: key, level: 0, manifest: try manifest(key))]
        var position = 0
        while position < images.count {
            let image = images[position]
            for dependency in image.manifest.dependencies {
                let depKey: String
                if let known = keys[dependency] {
                    depKey = known
                } else {
                    depKey = try resolve(dependency)
                    keys[dependency] = depKey
                }
                let ancestors = Self.ancestors(of: position, in: images)
                if let repeated = ancestors.firstIndex(where: { $0.key == depKey }) {
                    let chain = ancestors[...repeated].reversed().map { $0.manifest.name.description }
                    throw .dependencyCycle(chain + [dependency.imageName.description])
                }
                guard images.count < Self.maximumImages else { throw .tooManyImages(limit: Self.maximumImages) }
                images.insert(ResolvedImage(key: depKey, level: image.level + 1, manifest: try manifest(depKey)), at: position + 1)
            }
            position += 1
        }
        return images
    }

    /// The image at `position` and its ancestors, nearest first: walking back, each
    /// earlier image with a lower level than the last one taken.
    static func ancestors(of position: Int, in images: [ResolvedImage]) -> [ResolvedImage] {
        var chain = [images[position]]
        var level = images[position].level
        var i = position - 1
        while i >= 0, level > 0 {
            if images[i].level < level {
                chain.append(images[i])
                level = images[i].level
            }
            i -= 1
        }
        return chain
    }

    /// The store key for a dependency: by `imageID` prefix when given, else by name and
    /// labels with rkt's preference. A missing image goes to the fetcher once.
    func resolve(_ dependency: Dependency) throws(RenderError) -> String {
        if let key = try lookup(dependency) { return key }
        if let fetcher {
            try Self.run(fetcher, dependency)
            if let key = try lookup(dependency) { return key }
        }
        if let id = dependency.imageID, !id.isEmpty { throw .store(.noImageIDs) }
        throw .discoveryFailed(name: dependency.imageName.description)
    }

    /// The key, or nil when the store has no such image.
    private func lookup(_ dependency: Dependency) throws(RenderError) -> String? {
        if let id = dependency.imageID, !id.isEmpty {
            do throws(StoreError) {
                return try store.record(idPrefix: id.description).key
            } catch {
                if error == .noImageIDs { return nil }
                throw .store(error)
            }
        }
        do throws(StoreError) {
            return try store.record(name: dependency.imageName.description, labels: dependency.labels).key
        } catch {
            if case .nameNotFound = error { return nil }
            throw .store(error)
        }
    }

    private static func run(_ fetcher: DependencyFetcher, _ dependency: Dependency) throws(RenderError) {
        do {
            try fetcher(dependency)
        } catch let error as RenderError {
            throw error
        } catch {
            throw .fetchFailed("\(error)")
        }
    }

    private func manifest(_ key: String) throws(RenderError) -> ImageManifest {
        do throws(StoreError) {
            return try store.manifest(key)
        } catch {
            throw .store(error)
        }
    }
}
