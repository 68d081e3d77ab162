import Foundation
import Glibc
import LinuxSystem
import Testing

/// A scratch directory holding `root/` (the tree under test) and `host/` (a sentinel
/// standing for the host's files, which nothing may reach).
private final class Tree {
    let path = NSTemporaryDirectory() + "rootdir-" + UUID().uuidString
    var root: String { path + "/root" }
    var host: String { path + "/host" }

    init() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: host + "/secret", contents: Data("host\n".utf8))
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func link(_ name: String, _ target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
    }
    func file(_ name: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: root + "/" + name, contents: Data(text.utf8))
    }
    var hostListing: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: host)) ?? []).sorted() }
}

@Suite struct RootDirectoryTests {
    @Test func linksResolveInsideTheRoot() throws {
        let tree = try Tree()
        try FileManager.default.createDirectory(atPath: tree.root + "/usr/bin", withIntermediateDirectories: true)
        tree.file("usr/bin/secret", "image\n")
        try tree.link("bin", "usr/bin")
        try tree.link("abs", tree.host)  // absolute: means ROOT/<that path>
        try tree.link("up", "../../../../../../host")  // relative: stops at the root
        let root = try RootDirectory(path: tree.root)
        #expect(try root.resolve("/bin/secret") == "/usr/bin/secret")
        #expect(try root.resolve("/up/secret") == "/host/secret")
        #expect(try root.resolve(tree.host.dropFirst() + "") == tree.host)
        #expect(try root.readFile("/bin/secret", limit: 100) == Array("image\n".utf8))
        for path in ["/abs/secret", "/up/secret", "/../../host/secret"] {
            #expect(throws: SystemError.self) { try root.readFile(path, limit: 100) }
        }
    }

    @Test func loopsAndLongChainsAreRefused() throws {
        let tree = try Tree()
        try tree.link("loop", "loop")
        for i in 0..<100 { try tree.link("hop\(i)", i == 99 ? tree.host : "hop\(i + 1)") }
        let root = try RootDirectory(path: tree.root)
        for path in ["/loop/x", "/hop0/secret"] {
            #expect(throws: SystemError("resolve", tree.root + path, code: ELOOP)) { try root.open(path, create: .file) }
        }
        #expect(tree.hostListing == ["secret"])
    }

    /// /proc/self/root and the other magic links jump to another root: never followed,
    /// nor the plain ones on procfs.
    @Test func procfsLinksAreRefused() throws {
        let root = try RootDirectory(path: "/")
        #expect(throws: SystemError("resolve", "/proc/self/root/etc", code: ELOOP)) { try root.open("/proc/self/root/etc") }
        #expect(throws: SystemError.self) { try root.open("/proc/1/cwd") }
        #expect(root.isDirectory("/proc/sys"))
    }

    /// Creation follows links inside the root only: directories and files the image's links
    /// point at are made in the tree, never on the host.
    @Test func creationStaysInside() throws {
        let tree = try Tree()
        try tree.link("etc", tree.host)  // rootfs/etc -> /HOST
        try FileManager.default.createDirectory(atPath: tree.root + "/run", withIntermediateDirectories: true)
        try tree.link("resolv.conf", "run/resolv/resolv.conf")  // dangling, relative
        let root = try RootDirectory(path: tree.root)
        close(try root.open("/etc/hosts", create: .file))
        close(try root.open("/etc/made/deep", create: .directories))
        close(try root.open("/resolv.conf", create: .file))
        #expect(tree.hostListing == ["secret"])
        var info = stat()
        #expect(lstat(tree.root + tree.host + "/hosts", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(lstat(tree.root + tree.host + "/made/deep", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
        #expect(lstat(tree.root + "/run/resolv/resolv.conf", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        // A file in the way of a directory.
        #expect(throws: SystemError("resolve", tree.root + "/resolv.conf/x", code: ENOTDIR)) {
            try root.open("/resolv.conf/x", create: .directories)
        }
    }

    /// Reading is for regular files only: a fifo is refused at once instead of blocking.
    @Test func specialFilesAreNotRead() throws {
        let tree = try Tree()
        #expect(mkfifo(tree.root + "/fifo", 0o644) == 0)
        let root = try RootDirectory(path: tree.root)
        #expect(throws: SystemError("open", tree.root + "/fifo", code: EINVAL)) { try root.readFile("/fifo", limit: 10) }
        tree.file("big", String(repeating: "x", count: 100))
        #expect(throws: SystemError("read", tree.root + "/big", code: EFBIG)) { try root.readFile("/big", limit: 10) }
    }

    @Test func missingComponentsAreKept() throws {
        let tree = try Tree()
        try FileManager.default.createDirectory(atPath: tree.root + "/usr/lib", withIntermediateDirectories: true)
        try tree.link("lib", "/usr/lib")
        let root = try RootDirectory(path: tree.root)
        #expect(try root.resolve("/lib/missing/more") == "/usr/lib/missing/more")
        #expect(try root.resolve("/") == "/")
        #expect(try root.resolve("") == "/")
        #expect(!root.exists("/lib/missing"))
    }
}
