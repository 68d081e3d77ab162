import Glibc
import LinuxSystem

/// Writing a pod's own files. The pod directory is private to the pod's lock holder, so a
/// plain create-and-write is enough (no temporary file, no rename).
enum PodFiles {
    static func write(_ bytes: some Collection<UInt8>, to path: String, mode: mode_t = 0o644) throws(PodError) {
        try PodError.wrapping { () throws(SystemError) in try Files.writeFile(path, bytes, mode: mode) }
    }

    static func makeDirectories(_ path: String) throws(PodError) {
        try PodError.wrapping { () throws(SystemError) in try Files.makeDirectories(path) }
    }
}
