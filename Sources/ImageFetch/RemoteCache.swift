import Foundation
import Glibc
import ImageKit
import ImageStore
import LinuxSystem

/// rkt's `remote` table: which store key a URL was last downloaded as, with its ETag and
/// cache lifetime. Kept as `cas/db/remotes.json` beside the image index, changed under
/// its own `flock` (`cas/db/remotes.lock`), written atomically.
struct RemoteCache {
    struct Remote: Codable, Equatable {
        var aciURL: String
        var sigURL: String
        var etag: String
        var blobKey: String
        /// Seconds since the epoch.
        var downloadTime: Double
        var cacheMaxAge: Int
    }

    let store: ImageStore
    var path: String { store.casDirectory + "/db/remotes.json" }
    var lockPath: String { store.casDirectory + "/db/remotes.lock" }

    /// The record for `url` whose image is still in the store.
    func remote(for url: String) -> Remote? {
        guard let lock = try? lock(exclusive: false) else { return nil }
        defer { withExtendedLifetime(lock) {} }
        guard let remote = load().first(where: { $0.aciURL == url }) else { return nil }
        guard (try? store.record(idPrefix: remote.blobKey)) != nil else { return nil }
        return remote
    }

    /// Adds or replaces the record for `remote.aciURL`.
    func save(_ remote: Remote) throws(FetchError) {
        let lock = try lock(exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        var all = load().filter { $0.aciURL != remote.aciURL }
        all.append(remote)
        let data: Data
        do {
            data = try JSONEncoder().encode(all)
        } catch {
            throw FetchError("\(path): \(error)")
        }
        let file: AtomicFile
        do {
            file = try AtomicFile(path: path, mode: 0o644)
        } catch {
            throw FetchError(error.description)
        }
        try FetchError.wrapping { () throws(SystemError) in try Files.writeAll(file.fd, Array(data), path: path) }
        do {
            try file.commit(replace: true)
        } catch {
            throw FetchError(error.description)
        }
    }

    private func load() -> [Remote] {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return [] }
        return (try? JSONDecoder().decode([Remote].self, from: data)) ?? []
    }

    private func lock(exclusive: Bool) throws(FetchError) -> FileLock {
        let lock: FileLock?
        do {
            lock = try FileLock.acquire(lockPath, exclusive: exclusive)
        } catch {
            throw FetchError(error.description)
        }
        guard let lock else { throw FetchError("lock \(lockPath): busy") }
        return lock
    }
}
