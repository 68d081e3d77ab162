import Dispatch
import Glibc
import GoCompat
import ImageKit
import ImageStore
import LinuxSystem
import OCIImage
import RktConfig
import Synchronization

/// The key a lower layer's converted image is remembered under in the store's download
/// records: the digests of the layers up to it, chained (as OCI's ChainID chains
/// uncompressed ones), so equal keys mean equal stacks.
enum StackKey {
    static let scheme = "docker2aci-layer:"

    static func keys(_ digests: [OCIDigest]) -> [String] {
        var keys: [String] = []
        var chain = ""
        for digest in digests {
            chain = chain.isEmpty ? digest.description : OCIDigest(sha256Of: Array((chain + " " + digest.description).utf8)).description
            keys.append(scheme + chain)
        }
        return keys
    }
}

extension Fetcher {
    /// rkt's `fetchSingleImageByDockerURL` with docker2aci's registry backend: the image
    /// manifest (through a manifest list or index, to this machine's platform), its
    /// config, and its layers, downloaded in parallel into unnamed files under the
    /// store's tmp, each checked against its digest as it arrives, then converted and
    /// imported. The download is remembered under `url` with the manifest's digest, so a
    /// fetch of an unchanged image downloads nothing but the manifest.
    func fetchDocker(_ reference: DockerReference, url: String) throws -> ImageRecord {
        try requireUnsignedAllowed()
        let remote = try store.remote(for: url)
        let stored = remote.flatMap { try? store.record(idPrefix: $0.blobKey) }
        if options.pullPolicy != .update, let stored {
            diag("using image from local store for url \(url)")
            return stored
        }
        guard options.pullPolicy != .never else {
            throw FetchError(
                "unable to fetch docker image from URL \(goQuote(url)): either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled"
            )
        }
        diag("fetching image from \(url)")
        do {
            let image = try RegistryImage(
                reference, insecureTLS: options.insecure.contains(.tls), allowHTTP: options.insecure.contains(.http),
                credentials: options.dockerCredentials[reference.registry])
            if let remote, let stored, remote.etag == image.manifestDigest.description {
                diag("image for \(url) is unchanged (manifest \(image.manifestDigest)), not fetching.")
                try saveDockerRemote(url, key: stored.key, manifestDigest: image.manifestDigest)
                return stored
            }
            let needed = try layersNeeded(image.manifest.layers.map(\.digest))
            let input = try image.download(needed: needed, topFirst: options.squash, directory: scratchDirectory, progress: progressSink)
            defer {
                image.stop()
                finishProgress()
            }
            let record: ImageRecord
            do {
                record = try importConverted(input)
            } catch {
                // A download that failed is why the conversion could not read on.
                throw image.failure ?? error
            }
            try saveDockerRemote(url, key: record.key, manifestDigest: image.manifestDigest)
            return record
        } catch let error as FetchError {
            throw error.wrapped("error converting docker image to ACI")
        } catch let error as OCIError {
            throw FetchError(error.message).wrapped("error converting docker image to ACI")
        }
    }

    private func saveDockerRemote(_ url: String, key: String, manifestDigest: OCIDigest) throws {
        try store.saveRemote(
            RemoteRecord(
                aciURL: url, sigURL: "", etag: manifestDigest.description, blobKey: key,
                downloadTime: WallClock.seconds(), cacheMaxAge: 0))
    }
}

/// An image in a registry, resolved to this machine's manifest, whose layers download
/// into files a conversion reads as they grow (`download`). What `rkt fetch docker://`
/// and `actool convert docker://` share.
public final class RegistryImage: @unchecked Sendable {
    public let reference: DockerReference
    public let manifest: OCIImageManifest
    /// The digest of this machine's image manifest (docker2aci's `manifesthash`).
    public let manifestDigest: OCIDigest
    private let client: RegistryClient
    private var downloads: LayerDownloads?

    /// Connects (the API check, authentication when asked) and resolves the manifest,
    /// through a manifest list or index, to linux and this machine's architecture.
    public init(_ reference: DockerReference, insecureTLS: Bool, allowHTTP: Bool, credentials: BasicCredentials?) throws(FetchError) {
        self.reference = reference
        client = RegistryClient(reference, insecureTLS: insecureTLS, allowHTTP: allowHTTP, credentials: credentials)
        try client.connect()
        (manifest, manifestDigest) = try RegistryImage.resolve(client)
    }

    /// Fetches the config and starts downloading the `needed` layers (all by default),
    /// four at a time, in the order a conversion reads them (`topFirst` when squashing).
    /// Returns what to convert; layers not needed have no file.
    public func download(
        needed: [Bool]? = nil, topFirst: Bool, directory: String, progress: (String) -> ProgressSink? = { _ in nil }
    ) throws(FetchError) -> ConversionInput {
        let configBytes = try client.smallBlob(manifest.config, limit: OCIImageConfig.sizeLimit)
        let config: OCIImageConfig
        do {
            config = try OCIImageConfig.decode(configBytes, what: "config \(manifest.config.digest)")
        } catch {
            throw FetchError(error.message)
        }
        let needed = needed ?? manifest.layers.map { _ in true }
        let count = needed.filter { $0 }.count
        let order = topFirst ? Array(manifest.layers.indices.reversed()) : Array(manifest.layers.indices)
        let downloads = try LayerDownloads(
            manifest.layers, needed: needed, order: order, client: client, directory: directory,
            progress: progress(count == 1 ? "layer" : "\(count) layers"))
        self.downloads = downloads
        let layers = manifest.layers.indices.map { index in
            downloads.files[index].map { LayerBlob(digest: manifest.layers[index].digest, download: $0) }
                ?? LayerBlob(digest: manifest.layers[index].digest, fd: -1)
        }
        return ConversionInput(
            reference: reference, manifestDigest: manifestDigest, configDigest: manifest.config.digest, config: config, layers: layers)
    }

    /// The first download that failed, if any.
    public var failure: FetchError? { downloads?.failure }

    /// Stops what is still downloading and waits for it.
    public func stop() { downloads?.stop() }

    deinit { stop() }

    /// The image manifest for this machine, and its digest.
    private static func resolve(_ client: RegistryClient) throws(FetchError) -> (OCIImageManifest, OCIDigest) {
        try OCIManifestDocument.resolve(
            try client.manifest(client.reference.manifestReference), platform: .host,
            describe: { "manifest \(client.reference.repository)@\($0)" }, describeList: { _ in "manifest list of \(client.reference)" },
            load: { (chosen: OCIDescriptor) throws(FetchError) -> FetchedDocument in
                let document = try client.manifest(chosen.digest.description)
                guard Int64(document.bytes.count) == chosen.size || chosen.size == 0 else {
                    throw FetchError("manifest \(chosen.digest): \(document.bytes.count) bytes, the list says \(chosen.size)")
                }
                return document
            },
            failure: { FetchError($0.message) })
    }
}

/// The layers of an image downloading, four at a time, into files the conversion reads
/// as they grow, with one progress line for all.
final class LayerDownloads: @unchecked Sendable {
    /// By layer; nil for a layer not needed.
    let files: [GrowingFile?]
    private let group = DispatchGroup()
    private let cancelled = Atomic<Bool>(false)
    private let errors = Mutex<[Int: FetchError]>([:])
    private let done: Mutex<[Int64]>

    init(
        _ layers: [OCIDescriptor], needed: [Bool], order: [Int], client: RegistryClient, directory: String, progress: ProgressSink?
    ) throws(FetchError) {
        var made: [GrowingFile?] = []
        for index in layers.indices {
            made.append(needed[index] ? try FetchError.wrapping { () throws(SystemError) in try GrowingFile(directory: directory) } : nil)
        }
        let files = made
        self.files = files
        done = Mutex(Array(repeating: 0, count: layers.count))
        let total = layers.indices.filter { needed[$0] }.reduce(Int64(0)) { $0 + layers[$1].size }
        /// Drawn under `done`'s lock only.
        final class Draw: @unchecked Sendable {
            let sink: ProgressSink?
            init(_ sink: ProgressSink?) { self.sink = sink }
        }
        let draw = Draw(progress)
        let gate = DispatchSemaphore(value: 4)
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            defer { group.leave() }
            for index in order {
                guard let file = files[index] else { continue }
                gate.wait()
                group.enter()
                DispatchQueue.global(qos: .userInitiated).async { [self] in
                    defer {
                        gate.signal()
                        group.leave()
                    }
                    do throws(FetchError) {
                        try client.blob(layers[index], into: file, cancelled: { self.cancelled.load(ordering: .relaxed) }) { written in
                            self.done.withLock { done in
                                done[index] = written
                                draw.sink?(done.reduce(0, +), total)
                            }
                        }
                    } catch {
                        // A download stopped on purpose did not fail.
                        if !self.cancelled.load(ordering: .relaxed) { errors.withLock { $0[index] = error } }
                    }
                }
            }
        }
    }

    /// The first failure, in layer order.
    var failure: FetchError? {
        errors.withLock { errors in errors.keys.min().flatMap { errors[$0] } }
    }

    /// Stops what is still downloading and waits for every download to end.
    func stop() {
        cancelled.store(true, ordering: .relaxed)
        for file in files { file?.fail("cancelled") }
        group.wait()
    }
}
