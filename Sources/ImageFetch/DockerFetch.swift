import Dispatch
import Glibc
import GoCompat
import ImageKit
import ImageStore
import LinuxSystem
import OCIImage
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
            let client = RegistryClient(
                reference, insecureTLS: options.insecure.contains(.tls), allowHTTP: options.insecure.contains(.http),
                credentials: options.dockerCredentials[reference.registry])
            try client.connect()
            let (manifest, manifestDigest) = try resolveManifest(client)
            if let remote, let stored, remote.etag == manifestDigest.description {
                diag("image for \(url) is unchanged (manifest \(manifestDigest)), not fetching.")
                try saveDockerRemote(url, key: stored.key, manifestDigest: manifestDigest)
                return stored
            }
            let configBytes = try client.smallBlob(manifest.config, limit: OCIImageConfig.sizeLimit)
            let config = try OCIImageConfig.decode(configBytes, what: "config \(manifest.config.digest)")
            let needed = try layersNeeded(manifest.layers.map(\.digest))
            let files = try download(manifest.layers, needed: needed, client: client)
            let layers = manifest.layers.indices.map { LayerBlob(digest: manifest.layers[$0].digest, fd: files[$0]?.fd ?? -1) }
            let record = try withExtendedLifetime(files) {
                try importConverted(
                    ConversionInput(
                        reference: reference, manifestDigest: manifestDigest, configDigest: manifest.config.digest, config: config,
                        layers: layers))
            }
            try saveDockerRemote(url, key: record.key, manifestDigest: manifestDigest)
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
                downloadTime: Double(WallClock.nanoseconds() / 1_000_000_000), cacheMaxAge: 0))
    }

    /// The image manifest for this machine, and its digest.
    private func resolveManifest(_ client: RegistryClient) throws -> (OCIImageManifest, OCIDigest) {
        var (bytes, mediaType, digest) = try client.manifest(client.reference.manifestReference)
        for _ in 0..<4 {
            let what = "manifest \(client.reference.repository)@\(digest)"
            switch try OCIManifestDocument.decode(bytes, mediaType: mediaType, what: what) {
            case let .image(manifest): return (manifest, digest)
            case let .index(entries):
                let chosen = try PlatformChoice.choose(entries, platform: .host, what: "manifest list of \(client.reference)")
                (bytes, mediaType, digest) = try client.manifest(chosen.digest.description)
                guard Int64(bytes.count) == chosen.size || chosen.size == 0 else {
                    throw FetchError("manifest \(chosen.digest): \(bytes.count) bytes, the list says \(chosen.size)")
                }
            }
        }
        throw FetchError("manifest lists nested too deep in \(client.reference)")
    }

    /// Downloads the needed layers, four at a time, with one progress line for all.
    private func download(_ layers: [OCIDescriptor], needed: [Bool], client: RegistryClient) throws -> [TemporaryFile?] {
        final class Slot: @unchecked Sendable {
            var file: TemporaryFile?
            var error: (any Error)?
            var done: Int64 = 0
        }
        /// The progress line, drawn under `lock` only.
        final class Progress: @unchecked Sendable {
            let draw: ProgressSink?
            init(_ draw: ProgressSink?) { self.draw = draw }
        }
        let slots = layers.map { _ in Slot() }
        var files: [TemporaryFile?] = []
        for index in layers.indices {
            files.append(needed[index] ? try FetchError.wrapping { () throws(SystemError) in try TemporaryFile(directory: scratchDirectory) } : nil)
            slots[index].file = files[index]
        }
        let wanted = layers.indices.filter { needed[$0] }
        let total = wanted.reduce(Int64(0)) { $0 + layers[$1].size }
        let progress = Progress(progressSink(wanted.count == 1 ? "layer" : "\(wanted.count) layers"))
        let lock = Mutex(())
        let gate = DispatchSemaphore(value: 4)
        let group = DispatchGroup()
        for index in wanted {
            let slot = slots[index]
            let descriptor = layers[index]
            gate.wait()
            group.enter()
            DispatchQueue.global(qos: .userInitiated).async {
                defer {
                    gate.signal()
                    group.leave()
                }
                do {
                    guard let file = slot.file else { return }
                    try client.blob(descriptor, into: file) { written in
                        lock.withLock { _ in
                            slot.done = written
                            progress.draw?(slots.reduce(0) { $0 + $1.done }, total)
                        }
                    }
                } catch {
                    slot.error = error
                }
            }
        }
        group.wait()
        finishProgress()
        if let error = slots.lazy.compactMap(\.error).first { throw error }
        return files
    }
}
