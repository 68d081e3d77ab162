import Foundation
import Glibc
import ImageKit

/// Writing a pod's own files. The pod directory is private to the pod's lock holder, so a
/// plain create-and-write is enough (no temporary file, no rename).
enum PodFiles {
    static func write(_ bytes: some Collection<UInt8>, to path: String, mode: mode_t = 0o644) throws(PodError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system(operation: "create", path: path, errno: errno) }
        defer { close(fd) }
        do throws(ImageKitError) {
            try writeAll(fd: fd, path: path, Array(bytes))
        } catch {
            throw .invalid("\(error)")
        }
    }

    static func makeDirectories(_ path: String) throws(PodError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .invalid("cannot create \(path): \(error.localizedDescription)")
        }
    }
}
