import AppcSchema
import Glibc
import GoCompat
import ImageKit
import ImageStore
import LinuxSystem
import OCIImage
import RktConfig

/// rkt's `--pull-policy`.
public enum PullPolicy: String, Sendable, CaseIterable {
    /// Use the store when it has the image, else fetch (run/prepare default).
    case new
    /// Always fetch remote images (fetch default); local files are always read.
    case update
    /// Only the store (and local files).
    case never
}

/// How `Fetcher` works.
public struct FetchOptions: Sendable {
    /// `--insecure-options`.
    public var insecure: InsecureOptions = []
    /// `--pull-policy`: `rkt fetch` uses `.update`, run/prepare `.new`.
    public var pullPolicy: PullPolicy = .update
    /// `--signature`: a local signature file for the image (used by `fetch(_:)`).
    public var signature: String?
    /// `--system-config` (trusted keys under `trustedkeys/`).
    public var systemConfig = "/usr/lib/rkt"
    /// `--local-config`.
    public var localConfig = "/etc/rkt"
    /// `--debug`: the `image: ` diagnostics.
    public var debug = false
    /// Draw a progress bar for downloads on stderr when it is a terminal.
    public var progress = false
    /// `--trust-keys-from-https`: keys discovered over HTTPS are trusted without review.
    public var trustKeysFromHTTPS = false
    /// Fetch the image's dependencies too, by name and labels (rkt's `WithDeps`, on for
    /// fetch, run and prepare).
    public var withDependencies = true
    /// `Authorization` header values by host (`host` or `host:port`), from rkt's `auth.d`:
    /// sent with discovery requests and with HTTPS image and signature downloads.
    public var authorization: [String: String] = [:]
    /// Docker registries' credentials by registry host (`registry-1.docker.io`,
    /// `127.0.0.1:5000`), from rkt's `auth.d` `dockerAuth` entries.
    public var dockerCredentials: [String: BasicCredentials] = [:]
    /// Convert Docker and OCI images to one image (docker2aci's default, rkt's way);
    /// false: one image per layer, the top one depending on the others by ID.
    public var squash = true
    /// Ignore HTTP cache lifetimes (rkt's `NoCache`).
    public var noCache = false
    /// Port for meta discovery instead of 443/80 (tests and private registries).
    public var discoveryPort: UInt?
    /// The largest image body downloaded (`RKT_MAX_IMAGE_SIZE`, else 64 GiB): a compressed
    /// image is never larger than the uncompressed limit.
    public var maxImageSize = ImageStore.maxImageSize

    /// Defaults as for `rkt fetch`.
    public init(
        insecure: InsecureOptions = [], pullPolicy: PullPolicy = .update, signature: String? = nil,
        systemConfig: String = "/usr/lib/rkt", localConfig: String = "/etc/rkt", debug: Bool = false,
        progress: Bool = false
    ) {
        self.insecure = insecure
        self.pullPolicy = pullPolicy
        self.signature = signature
        self.systemConfig = systemConfig
        self.localConfig = localConfig
        self.debug = debug
        self.progress = progress
    }
}

/// Gets images into the store the way `rkt fetch` does (rkt's `rkt/image` package):
/// local files, `file://` and `http(s)://` URLs, and image names through the store or
/// appc discovery, checking signatures against trusted keys unless
/// `--insecure-options=image`.
///
/// Diagnostics go to `log`, one Go `log.Print` message per call, already carrying rkt's
/// logger prefix (`image: signature verified:\n  Signer <s@example.com>`); the CLI writes
/// each with a newline to stderr. Errors are rkt's wrapped chains: print
/// `fetch: ` + `error.render(debug:)`.
///
/// Downloads go to unnamed files under `store.casDirectory/tmp` and are verified before
/// `ImageStore.importImage`, so a failed check, a broken connection or a killed process
/// leaves the store as it was.
public final class Fetcher {
    /// The store images go to.
    public let store: ImageStore
    /// The options in force.
    public var options: FetchOptions
    private let log: (String) -> Void
    private let io: TrustIO
    private var keystore: Keystore? {
        options.insecure.contains(.image) ? nil : Keystore(systemConfig: options.systemConfig, localConfig: options.localConfig)
    }
    var scratchDirectory: String { store.casDirectory + "/tmp" }

    /// - Parameters:
    ///   - log: receives stderr messages without the `fetch: ` prefix.
    ///   - stdout: receives stdout lines some paths print (the fingerprints of a key
    ///     offered by discovery); the process's stdout by default.
    public init(
        store: ImageStore, options: FetchOptions, log: @escaping (String) -> Void,
        stdout: ((String) -> Void)? = nil
    ) {
        self.store = store
        self.options = options
        self.log = log
        let standard = TrustIO.standard
        io = TrustIO(
            stdout: stdout ?? standard.stdout, stderr: log, isTerminal: standard.isTerminal,
            readLine: standard.readLine)
    }

    // MARK: Public entry points

    /// Fetches one image argument (a path ending in `.aci`, a `file://` or `http(s)://`
    /// URL, or `name[:version][,label=value...]`) into the store and returns its record.
    /// `signature` overrides `options.signature` for this image.
    public func fetch(_ image: String, signature: String? = nil) throws(FetchError) -> ImageRecord {
        do {
            let record = try fetchSingle(image, signature: signature ?? options.signature)
            if options.withDependencies { try fetchDependencies(of: record) }
            return record
        } catch {
            throw Fetcher.fetchError(error)
        }
    }

    /// Fetches a dependency the renderer needs: with a pinned `imageID` already in the
    /// store, that image (no network); otherwise by name and labels under the pull
    /// policy. A pinned ID must match: `StoreError.hashMismatch` otherwise (from the store
    /// when importing, so nothing is stored). Other failures are `FetchError`s.
    public func fetchDependency(_ dependency: Dependency) throws -> ImageRecord {
        let pinned = dependency.imageID.map { $0.description }
        if let pinned, let record = try? store.record(idPrefix: ImageFetchID.prefix(pinned)) {
            return record
        }
        var labels: [String: String] = [:]
        for label in dependency.labels { labels[label.name.description] = label.value }
        let app = try AppName(name: dependency.imageName.description, labels: labels)
        do {
            let record = try fetchName(app, image: app.description, signature: nil, expectedID: pinned)
            if let pinned, !record.key.hasPrefix(String(pinned.prefix(record.key.count))) {
                throw StoreError.hashMismatch(expected: String(pinned.prefix(record.key.count)), actual: record.key)
            }
            return record
        } catch let error as StoreError {
            if case .hashMismatch = error { throw error }
            throw FetchError(error.description)
        }
    }

    /// rkt's `fetchImageDeps`: every dependency of `record`, recursively, by name and labels.
    public func fetchDependencies(of record: ImageRecord) throws(FetchError) {
        do {
            var queue = [record.key]
            var seen: Set<String> = [record.key]
            while !queue.isEmpty {
                let key = queue.removeFirst()
                let manifest: ImageManifest
                do {
                    manifest = try store.manifest(key)
                } catch {
                    throw FetchError(error.description).wrapped("failed to get dependencies for image ID \(goQuote(key))")
                }
                for dependency in manifest.dependencies {
                    let fetched: ImageRecord
                    do {
                        fetched = try fetchDependency(dependency)
                    } catch let error as FetchError {
                        throw Self.missingDependency(error, dependency, of: manifest.name.value)
                    } catch let error as StoreError {
                        if case .hashMismatch = error { throw error }
                        throw Self.missingDependency(FetchError(error.description), dependency, of: manifest.name.value)
                    } catch {
                        throw FetchError("\(error)")
                    }
                    if seen.insert(fetched.key).inserted { queue.append(fetched.key) }
                }
            }
        } catch {
            throw Fetcher.fetchError(error)
        }
    }

    /// A dependency that could not be had: the line users see (the innermost message) names
    /// it, the image that needs it, and how to put it in the store.
    static func missingDependency(_ error: FetchError, _ dependency: Dependency, of image: String) -> FetchError {
        let name = dependency.imageName.description
        let how =
            dependency.imageID.map { "rkt fetch the .aci file whose ID is \($0.description)" }
            ?? "rkt fetch \(name), or rkt fetch the .aci file that holds it"
        return FetchError(
            chain: error.chain.dropLast()
                + ["\(error.message): dependency \(goQuote(name)) of image \(goQuote(image)) is not in the store and could not be fetched; fetch it first: \(how)"])
    }

    // MARK: Dispatch

    private func fetchSingle(_ image: String, signature: String?) throws -> ImageRecord {
        switch try ImageReference.parse(image) {
        case let .file(path): return try fetchFile(path, signature: signature)
        case let .url(url): return try fetchURL(url, signature: signature)
        case let .name(app): return try fetchName(app, image: image, signature: signature, expectedID: nil)
        case let .local(location): return try fetchLocal(location, image: image)
        case let .docker(reference, url): return try fetchDocker(reference, url: url)
        }
    }

    static func fetchError(_ error: any Error) -> FetchError {
        if let e = error as? FetchError { return e }
        if let e = error as? StoreError { return FetchError(e.description) }
        if let e = error as? ImageKitError { return FetchError(e.description) }
        if let e = error as? OCIError { return FetchError(e.message) }
        return FetchError("\(error)")
    }

    func diag(_ message: String) {
        if options.debug { log("image: " + message) }
    }

    // MARK: Files

    /// rkt's `fileFetcher`, remembering each import: a file unchanged since (and checked
    /// against the same signature file and trusted keys) is not read again.
    private func fetchFile(_ path: String, signature: String?) throws -> ImageRecord {
        diag("using image from file \(path)")
        let absolute = Paths.absolute(path)
        guard let keystore else {
            let fd = try openFile(absolute, context: "error opening ACI file")
            defer { close(fd) }
            return try importFile(fd: fd, path: absolute, signatureState: { _ in nil }, verify: { [] })
        }
        let ascPath = signature ?? ImageReference.signaturePath(for: absolute)
        let ascFD = try openFile(ascPath, context: "error opening signature file")
        defer { close(ascFD) }
        let fd = try openFile(absolute, context: "error opening ACI file")
        defer { close(fd) }
        let ascIdentity = try FetchError.wrapping { () throws(SystemError) in try FileIdentity(fd: ascFD, path: ascPath) }
        return try importFile(
            fd: fd, path: absolute,
            signatureState: { name in ascIdentity.description + "|" + (try keystore.keyringState(for: name)) },
            verify: {
                let manifest = try Fetcher.manifest(of: "/proc/self/fd/\(fd)")
                do {
                    return try self.verify(
                        keystore, name: manifest.name.description, data: "/proc/self/fd/\(fd)",
                        signature: "/proc/self/fd/\(ascFD)")
                } catch let error as FetchError {
                    throw error.wrapped("image \(goQuote(manifest.name.description)) verification failed")
                }
            })
    }

    /// Imports the image file open as `fd`, unless the store remembers importing this file
    /// in this very state, with the same `signatureState` (a text that changes with the
    /// signature file and the keys trusted for the image's name; nil without a check).
    /// `verify` checks the signature and returns the signers, printed either way.
    private func importFile(
        fd: Int32, path: String, signatureState: (String) throws -> String?, verify: () throws -> [String]
    ) throws -> ImageRecord {
        let before = try FetchError.wrapping { () throws(SystemError) in try FileIdentity(fd: fd, path: path) }
        if options.pullPolicy != .update, let known = try store.importedFile(path), known.identity == before.description,
            let record = try? store.record(idPrefix: known.key), try signatureState(record.name) == known.signature
        {
            diag("using image from local store for unchanged file \(path)")
            if known.signature != nil { printIdentities(known.signers) }
            return record
        }
        let signers = try verify()
        if !signers.isEmpty { printIdentities(signers) }
        let record = try importImage("/proc/self/fd/\(fd)", expectedID: nil, latest: false)
        // Remembered only when the file did not change while it was read.
        if (try? FileIdentity(fd: fd, path: path)) == before {
            try store.rememberImport(
                ImportedFile(path: path, identity: before.description, signature: try signatureState(record.name), signers: signers, key: record.key))
        }
        return record
    }

    private func openFile(_ path: String, context: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FetchError("open \(path): \(errnoText(errno))").wrapped(context) }
        return fd
    }

    // MARK: Docker and OCI images

    /// Docker and OCI images carry no appc signature: rkt fetches them only with
    /// `--insecure-options=image`.
    func requireUnsignedAllowed() throws {
        guard options.insecure.contains(.image) else {
            throw FetchError("signature verification for docker images is not supported (try --insecure-options=image)")
        }
    }

    /// An OCI layout or a `docker save` archive on the local disk, converted and imported
    /// (always read, as a local ACI file is).
    private func fetchLocal(_ location: LocalImage.Location, image: String) throws -> ImageRecord {
        try requireUnsignedAllowed()
        diag("using image from file \(location.path)")
        do {
            let local = try LocalImage.open(location, scratch: scratchDirectory)
            return try importConverted(local.input)
        } catch let error as OCIError {
            throw FetchError(error.message).wrapped("error converting \(image) to ACI")
        }
    }

    /// Converts `input` into the store: one image, or (`squash` off) one per layer, the
    /// top one depending on the others by ID. Returns the top image's record.
    ///
    /// A lower layer's image depends on the layers below it (its whitelist lists their
    /// paths), so it is remembered under a key of the whole stack up to it
    /// (`StackKey`): a later image over the same lower layers reuses it, and its layer is
    /// neither converted nor, from a registry, downloaded (`layersNeeded`).
    func importConverted(_ input: ConversionInput) throws -> ImageRecord {
        let latest = input.reference.tag == DockerReference.defaultTag
        // Written straight into the store: the converter computes the ID as it writes.
        guard !options.squash else {
            return try store.importWritten(latest: latest) { fd in
                let written = try ACIConverter.writeSquashed(input, to: fd, path: "converted image", compression: .none, writeBehind: true)
                return (written.manifest, written.id)
            }
        }
        var stack = LayerImageStack()
        var record: ImageRecord?
        let keys = StackKey.keys(input.layers.map(\.digest))
        for index in input.layers.indices {
            let isTop = index == input.layers.count - 1
            var imported: ImageRecord
            var manifest: ImageManifest
            if !isTop, let reused = try reusedLayer(keys[index]) {
                (imported, manifest) = reused
            } else {
                var layerManifest: ImageManifest?
                imported = try store.importWritten(latest: isTop && latest) { fd in
                    let written = try ACIConverter.writeLayer(
                        input, index: index, over: stack, to: fd, path: "converted layer", compression: .none, writeBehind: true)
                    layerManifest = written.manifest
                    return (written.manifest, written.id)
                }
                guard let layerManifest else { throw FetchError("the converted layer has no manifest") }
                manifest = layerManifest
                if !isTop {
                    try store.saveRemote(
                        RemoteRecord(
                            aciURL: keys[index], sigURL: "", etag: "", blobKey: imported.key,
                            downloadTime: WallClock.seconds(), cacheMaxAge: 0))
                }
            }
            // Pinned by store key: a layer image reused from the store is known by no other.
            try stack.add(manifest, id: imported.key)
            record = imported
        }
        guard let record else { throw FetchError("the image has no layers") }
        return record
    }

    /// The stored image of a lower layer over the same stack, if any.
    private func reusedLayer(_ key: String) throws -> (ImageRecord, ImageManifest)? {
        guard let remote = try store.remote(for: key), let record = try? store.record(idPrefix: remote.blobKey),
            let manifest = try? store.manifest(record.key)
        else { return nil }
        return (record, manifest)
    }

    /// Which layers need their blob for `importConverted`: all of them squashed; only
    /// the top one and those no stored image covers, layer by layer.
    func layersNeeded(_ digests: [OCIDigest]) throws -> [Bool] {
        guard !options.squash else { return digests.map { _ in true } }
        let keys = StackKey.keys(digests)
        var needed: [Bool] = []
        for index in digests.indices {
            needed.append(index == digests.count - 1 ? true : try reusedLayer(keys[index]) == nil)
        }
        return needed
    }

    // MARK: URLs

    /// rkt's `fetchSingleImageByHTTPURL` + `httpFetcher`.
    private func fetchURL(_ url: String, signature: String?) throws -> ImageRecord {
        let remote = try store.remote(for: url)
        if options.pullPolicy != .update, let remote {
            diag("using image from local store for url \(url)")
            return try store.record(idPrefix: remote.blobKey)
        }
        guard options.pullPolicy != .never else {
            throw FetchError(
                "unable to fetch image from URL \(goQuote(url)): either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled"
            )
        }
        diag("remote fetching from URL \(goQuote(url))")
        if !options.noCache, let remote, Fetcher.useCached(remote) {
            diag("image for \(url) isn't expired, not fetching.")
            return try store.record(idPrefix: remote.blobKey)
        }
        diag("fetching image from \(url)")
        let asc = signature.map { Asc(location: $0, local: true) } ?? Asc(location: ImageReference.signatureURL(for: url), local: false)
        return try download(url, asc: asc, app: nil, remote: remote, latest: false, expectedID: nil)
    }

    /// rkt's cache rule: a download younger than its `max-age` is used as is.
    static func useCached(_ remote: RemoteRecord) -> Bool {
        let age = Int(WallClock.seconds() - remote.downloadTime)
        return remote.cacheMaxAge > 0 && age < remote.cacheMaxAge
    }

    // MARK: Names

    /// rkt's `fetchSingleImageByName`.
    private func fetchName(_ requested: AppName, image: String, signature: String?, expectedID: String?) throws -> ImageRecord {
        var app = requested
        if app.labels["arch"] == nil { app.labels["arch"] = OSArch.hostAppcArch }
        if app.labels["os"] == nil { app.labels["os"] = "linux" }
        if let problem = Label.validationError(app.labelList) {
            throw FetchError(problem).wrapped("invalid Appc distribution \(goQuote(image))")
        }
        if options.pullPolicy != .update {
            do {
                let record = try store.record(name: app.name, labels: app.labelList)
                diag("using image from local store for image name \(image)")
                return record
            } catch {
                if case .nameNotFound = error {
                } else {
                    throw FetchError(error.description).wrapped("cannot find image \(goQuote(image))")
                }
            }
        }
        guard options.pullPolicy != .never else {
            throw FetchError(
                "unable to fetch image from image name \(goQuote(image)): either image was not found in the store or store was disabled and fetching from remote yielded nothing or it was disabled"
            )
        }
        return try fetchByDiscovery(app, signature: signature, expectedID: expectedID)
    }

    private var transport: DiscoveryTransport {
        var transport = DiscoveryTransport(
            allowHTTP: options.insecure.contains(.http), insecureTLS: options.insecure.contains(.tls),
            port: options.discoveryPort)
        transport.authorization = options.authorization
        return transport
    }

    /// rkt's `nameFetcher.Hash`.
    private func fetchByDiscovery(_ app: AppName, signature: String?, expectedID: String?) throws -> ImageRecord {
        diag("searching for app image \(app.name)")
        let (found, attempts) = Discovery.aciEndpointsAndAttempts(app, transport: transport)
        if options.debug {
            for attempt in attempts {
                log("image: meta tag 'ac-discovery' not found on \(attempt.prefix)\n  └─\(attempt.error)")
            }
        }
        guard let endpoints = found else {
            throw FetchError("discovery failed").wrapped("discovery failed for \(goQuote(app.name))")
        }
        guard let endpoint = endpoints.first else {
            throw FetchError("no endpoints discovered").wrapped("discovery failed for \(goQuote(app.name))")
        }
        let latest = app.labels["version"] == nil
        diag("remote fetching from URL \(goQuote(endpoint.aci))")
        let asc = signature.map { Asc(location: $0, local: true) } ?? Asc(location: endpoint.asc, local: false)
        diag("fetching image from \(endpoint.aci)")
        let remote = try store.remote(for: endpoint.aci)
        if !options.noCache, let remote, Fetcher.useCached(remote) {
            diag("image for \(endpoint.aci) isn't expired, not fetching.")
            return try store.record(idPrefix: remote.blobKey)
        }
        return try download(endpoint.aci, asc: asc, app: app, remote: remote, latest: latest, expectedID: expectedID)
    }

    // MARK: Downloading and verifying

    struct Asc {
        var location: String
        var local: Bool
    }

    /// Downloads `url` (and its signature), verifies, imports and records the remote.
    /// `app` is set for discovered images: their name and labels must match.
    private func download(
        _ url: String, asc: Asc, app: AppName?, remote: RemoteRecord?,
        latest: Bool, expectedID: String?
    ) throws -> ImageRecord {
        let keystore = self.keystore
        if options.insecure.contains(.tls) && keystore != nil {
            log("image: warning: TLS verification has been disabled")
        }
        let aci = try FetchError.wrapping { () throws(SystemError) in try TemporaryFile(directory: scratchDirectory) }
        var response: HTTPResponse
        if let keystore {
            if let app { maybeFetchPublicKeys(app.name, keystore: keystore) }
            diag("downloading signature from \(asc.location)")
            var signatureFile: TemporaryFile? = try getSignature(asc)
            if let signatureFile, let app {
                try checkIdentity(app.name, keystore: keystore, signature: signatureFile)
            }
            response = try downloadImage(url, into: aci, etag: remote?.etag)
            if response.status == 304, let remote { return try store.record(idPrefix: remote.blobKey) }
            if signatureFile == nil {
                signatureFile = try getSignature(asc)
                if signatureFile == nil {
                    throw FetchError("error downloading the signature file: server asked to defer the download again")
                }
            }
            guard let signatureFile else { throw FetchError("error downloading the signature file") }
            let manifest = try Fetcher.manifest(of: aci.procPath)
            if let app { try Fetcher.validate(manifest, against: app) }
            let identities = try verify(
                keystore, name: manifest.name.description, data: aci.procPath,
                signature: signatureFile.procPath)
            printIdentities(identities)
        } else {
            response = try downloadImage(url, into: aci, etag: remote?.etag)
            if response.status == 304, let remote { return try store.record(idPrefix: remote.blobKey) }
        }
        let record = try importImage(aci.procPath, expectedID: expectedID, latest: latest)
        try store.saveRemote(
            RemoteRecord(
                aciURL: url, sigURL: asc.location, etag: response.etag ?? "",
                blobKey: record.key, downloadTime: WallClock.seconds(),
                cacheMaxAge: Fetcher.maxAge(response.cacheControl)))
        return record
    }

    /// The signature file, or nil when the server asked to defer it (HTTP 202).
    private func getSignature(_ asc: Asc) throws -> TemporaryFile? {
        let file = try FetchError.wrapping { () throws(SystemError) in try TemporaryFile(directory: scratchDirectory) }
        if asc.local {
            let data = try Paths.read(asc.location, limit: 1 << 20)
            try file.write(data)
            return file
        }
        let scheme = TrustStore.scheme(of: asc.location)
        guard scheme == "http" || scheme == "https" else {
            throw FetchError("invalid signature location: expected \"http(s)\" scheme, got \(goQuote(scheme))")
                .wrapped("error downloading the signature file")
        }
        do {
            try checkPlainHTTP(asc.location)
            let response = try client.get(asc.location, limit: 1 << 20, progress: progressSink("signature")) { (chunk: UnsafeRawBufferPointer) throws(FetchError) in
                try FetchError.wrapping { () throws(SystemError) in try file.write(chunk) }
            }
            finishProgress()
            switch response.status {
            case 200: return file
            case 202:
                log("image: server requested deferring the signature download")
                return nil
            default: throw FetchError("bad HTTP status code: \(response.status)")
            }
        } catch let error as FetchError {
            throw error.wrapped("error downloading the signature file")
        }
    }

    /// rkt's `DownloadImageWithETag`: 200 (body in `file`) or 304.
    private func downloadImage(_ url: String, into file: TemporaryFile, etag: String?) throws -> HTTPResponse {
        do {
            try checkPlainHTTP(url)
            var http = client
            if let etag, !etag.isEmpty { http.headers.append("If-None-Match: \(etag)") }
            // A compressed image is never larger than the uncompressed limit: a body that
            // goes on past it is refused as it streams, not after it filled the disk.
            let response = try http.get(
                url, limit: options.maxImageSize, limitName: "raise the limit with RKT_MAX_IMAGE_SIZE",
                progress: progressSink("ACI")
            ) { (chunk: UnsafeRawBufferPointer) throws(FetchError) in
                try FetchError.wrapping { () throws(SystemError) in try file.write(chunk) }
            }
            finishProgress()
            guard response.status == 200 || response.status == 304 else {
                throw FetchError("bad HTTP status code: \(response.status)")
            }
            return response
        } catch let error as FetchError {
            finishProgress()
            throw error.wrapped("error downloading ACI")
        }
    }

    private var client: HTTPClient {
        HTTPClient(
            insecureTLS: options.insecure.contains(.tls), allowHTTP: options.insecure.contains(.http),
            authorization: options.authorization)
    }

    /// Plain HTTP needs `--insecure-options=http`.
    private func checkPlainHTTP(_ url: String) throws {
        if TrustStore.scheme(of: url) == "http" && !options.insecure.contains(.http) {
            throw FetchError("plain HTTP is not allowed for \(goQuote(url)) (use --insecure-options=http)")
        }
    }

    /// rkt's `nameFetcher.checkIdentity`: before downloading the image, fail early when no
    /// trusted key can have made the signature.
    private func checkIdentity(_ name: String, keystore: Keystore, signature: TemporaryFile) throws {
        do {
            _ = try keystore.checkSignature(
                name: name, dataPath: "/dev/null", signaturePath: signature.procPath,
                scratch: scratchDirectory)
        } catch .unknownIssuer {
            log("image: if you expected the signing key to change, try running:")
            log("image:     rkt trust --prefix \(goQuote(name))")
            throw Keystore.CheckFailure.unknownIssuer.error
        } catch let .other(error) {
            // A signature that does not match the empty input is expected here.
            if error.message.hasPrefix("openpgp: invalid signature") { return }
            throw error
        }
    }

    /// rkt's `ValidateWithSignature`.
    private func verify(_ keystore: Keystore, name: String, data: String, signature: String) throws -> [String] {
        do {
            return try keystore.checkSignature(
                name: name, dataPath: data, signaturePath: signature,
                scratch: scratchDirectory)
        } catch .unknownIssuer {
            log("image: If you expected the signing key to change, try running:")
            log("image:     rkt trust --prefix <image>")
            throw Keystore.CheckFailure.unknownIssuer.error
        } catch let .other(error) {
            throw error
        }
    }

    /// rkt's `printIdentities`.
    private func printIdentities(_ identities: [String]) {
        log((["image: signature verified:"] + identities.map { "  " + $0 }).joined(separator: "\n"))
    }

    /// rkt's `maybeFetchPubKeys`: with no key trusted for the name's prefixes, offer the
    /// keys meta discovery lists (asking on a terminal, or trusting them with
    /// `--trust-keys-from-https`). Failures are only reported.
    private func maybeFetchPublicKeys(_ name: String, keystore: Keystore) {
        let exists: Bool
        do {
            exists = try keystore.trustedKeyPrefixExists(name)
        } catch {
            log("image: error checking for existing keys: \(error.message)")
            return
        }
        if exists {
            log("image: keys already exist for prefix \(goQuote(name)), not fetching again")
            return
        }
        var allowHTTP = false
        if options.insecure.contains(.pubkey) {
            log("image: signing keys may be downloaded from an insecure connection")
            allowHTTP = options.insecure.contains(.http)
        }
        guard !options.insecure.contains(.tls) || options.insecure.contains(.pubkey) else { return }
        let manager = TrustStore(
            systemConfig: options.systemConfig, localConfig: options.localConfig,
            insecureAllowHTTP: allowHTTP, insecureSkipTLSCheck: options.insecure.contains(.tls),
            trustKeysFromHTTPS: options.trustKeysFromHTTPS, debug: options.debug,
            discoveryPort: options.discoveryPort)
        let pubkeyIO = TrustIO(stdout: io.stdout, stderr: io.stderr, isTerminal: io.isTerminal, readLine: io.readLine)
        let locations: [String]
        do {
            locations = try manager.discoverKeyLocations(prefix: name, io: pubkeyIO)
        } catch {
            log("image: " + error.render("error determining key location", debug: options.debug))
            return
        }
        do {
            _ = try manager.add(
                keyFiles: locations, prefix: name,
                accept: options.trustKeysFromHTTPS ? .force : .ask, io: pubkeyIO)
        } catch {
            log("image: " + error.render("error adding keys", debug: options.debug))
        }
    }

    // MARK: Checks and import

    /// The image manifest of an ACI (Go's `aci.ManifestFromImage`).
    static func manifest(of path: String) throws -> ImageManifest {
        do {
            let stream = try ACIStream(path: path, pipelined: false)
            defer { stream.close() }
            let reader = try TarReader(stream, hashing: false)
            while let entry = try reader.next() {
                guard entry.cleanedName == "manifest" else { continue }
                let bytes = try reader.readData(limit: ImageValidator.manifestLimit)
                do {
                    return try ImageManifest.decode(bytes)
                } catch {
                    throw FetchError("image manifest validation failed: \(error)")
                }
            }
        } catch let error as ImageKitError {
            throw FetchError(error.description).wrapped("error extracting image manifest")
        }
        throw FetchError("missing manifest")
    }

    /// rkt's `ValidateName` and `ValidateLabels` for a discovered image.
    static func validate(_ manifest: ImageManifest, against app: AppName) throws {
        guard manifest.name.description == app.name else {
            throw FetchError("error when reading the app name: \(goQuote(app.name)) expected but \(goQuote(manifest.name.description)) found")
        }
        for key in app.labels.keys.sorted() {
            let wanted = app.labels[key] ?? ""
            guard let actual = manifest.label(key) else {
                throw FetchError("requested label \(goQuote(key)) not provided by the image manifest")
            }
            guard actual == wanted else {
                throw FetchError("requested value for label \(goQuote(key)): \(goQuote(wanted)) differs from fetched aci label value: \(goQuote(actual))")
            }
        }
    }

    private func importImage(_ path: String, expectedID: String?, latest: Bool) throws -> ImageRecord {
        try store.importImage(from: path, expectedID: expectedID, latest: latest)
    }

    /// rkt's `getMaxAge` over a `Cache-Control` header.
    static func maxAge(_ header: String?) -> Int {
        guard let header, !header.isEmpty else { return 0 }
        var maxAge = 0
        for part in header.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: " \t")
            var attribute = item
            var value = ""
            if let eq = item.firstIndex(of: "=") {
                attribute = String(item[..<eq])
                value = String(item[item.index(after: eq)...])
            }
            switch attribute.lowercased() {
            case "no-store", "no-cache": maxAge = 0
            case "max-age":
                guard let seconds = Int(value), !(seconds != 0 && value.hasPrefix("0")) else { break }
                maxAge = max(seconds, 0)
            default: break
            }
        }
        return maxAge
    }

    // MARK: Progress

    private var progressState: (label: String, last: Int64, drawn: Bool)?

    func progressSink(_ label: String) -> ProgressSink? {
        guard options.progress, isatty(2) == 1 else { return nil }
        progressState = (label, 0, false)
        return { [weak self] done, total in self?.drawProgress(done, total) }
    }

    private func drawProgress(_ done: Int64, _ total: Int64) {
        guard var state = progressState else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let tick = Int64(now.tv_sec)
        guard !state.drawn || tick > state.last || (total > 0 && done == total) else { return }
        state.last = tick
        state.drawn = true
        progressState = state
        let prefix = "Downloading \(state.label)"
        var line: String
        if total <= 0 {
            line = "\(prefix): \(ProgressBar.bytes(done)) of an unknown total size"
        } else {
            line =
                "\(prefix): " + ProgressBar.bar(done, total, width: max(10, 80 - prefix.count - 18)) + " "
                + ProgressBar.bytes(done) + " / " + ProgressBar.bytes(total)
        }
        try? Files.writeAll(2, Array(("\r" + line).utf8), path: "/dev/stderr")
    }

    func finishProgress() {
        if let state = progressState, state.drawn { try? Files.writeAll(2, [0x0a], path: "/dev/stderr") }
        progressState = nil
    }
}

/// Text progress bars like rkt's (mitchellh/ioprogress).
enum ProgressBar {
    static func bar(_ done: Int64, _ total: Int64, width: Int) -> String {
        let inner = max(width - 2, 1)
        let filled = total > 0 ? min(inner, Int(Double(done) / Double(total) * Double(inner))) : 0
        var text = "["
        text += String(repeating: "=", count: filled)
        text += String(repeating: " ", count: inner - filled)
        return text + "]"
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(n) B" }
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) \(units[unit])"
    }
}

/// Image ID helpers for pinned dependencies.
enum ImageFetchID {
    /// A pinned `sha512-...` ID cut to the store key length.
    static func prefix(_ id: String) -> String {
        String(id.prefix(ImageID.algorithmPrefix.count + 64))
    }
}
