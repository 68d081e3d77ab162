import CLinux
import Glibc
import LinuxSystem

/// What an output may receive beyond plain files and directories.
struct Privileges: Equatable {
    /// Owners from the image (chown); otherwise everything belongs to the caller.
    var owners: Bool
    /// setuid/setgid bits from the image; otherwise they are cleared.
    var specialBits: Bool
    /// Character and block devices; otherwise they are left out.
    var devices: Bool

    static let all = Privileges(owners: true, specialBits: true, devices: true)
    static let none = Privileges(owners: false, specialBits: false, devices: false)

    /// What this process may give an output of its own: everything as root, nothing otherwise.
    static var process: Privileges { Sys.isRoot ? .all : .none }

    /// For an output directory created inside `parent`: as root, a directory owned by
    /// another user gets owners but neither devices nor setuid/setgid bits (its owner
    /// could otherwise use them to gain root).
    static func output(inside parent: String) -> Privileges {
        guard Sys.isRoot else { return .none }
        var info = stat()
        guard stat(parent, &info) == 0, info.st_uid == 0 else {
            return Privileges(owners: true, specialBits: false, devices: false)
        }
        return .all
    }
}

/// Owner, mode and time of one entry, as the image gives them.
struct Metadata {
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var mtime: Int64
    var mtimeNanoseconds: Int64

    init(mode: UInt32, uid: UInt32, gid: UInt32, mtime: Int64, mtimeNanoseconds: Int64) {
        self.mode = mode & 0o7777
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    init(_ entry: LayerEntry) {
        self.init(mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, mtimeNanoseconds: entry.mtimeNanoseconds)
    }

    /// Both timestamps set to the modification time.
    var times: [timespec] {
        let t = timespec(tv_sec: Int(mtime), tv_nsec: Int(mtimeNanoseconds))
        return [t, t]
    }

    /// What an output with `privileges` records: special bits dropped, the caller as owner.
    func limited(to privileges: Privileges) -> Metadata {
        var m = self
        if !privileges.specialBits { m.mode &= ~UInt32(0o6000) }
        if !privileges.owners {
            m.uid = geteuid()
            m.gid = getegid()
        }
        return m
    }
}

/// Walks directories below a root, one component at a time, never following a
/// symbolic link: a component that is not a directory stops the walk. Keeps the
/// handles of the last walked chain open, since archive entries come grouped by
/// directory: a path is compared with the last one byte by byte and only the
/// components after their common part are opened, so even a deep tree is walked in
/// time linear in the length of its names.
final class DirectoryWalker {
    let rootFd: Int32
    let rootPath: String
    /// The open chain: each directory's handle and where its name ends in `current`.
    private var stack: [(end: Int, fd: Int32)] = []
    /// The path of the open chain (`stack.last.end` bytes of it are valid).
    private var current: [UInt8] = []

    init(rootFd: Int32, rootPath: String) {
        self.rootFd = rootFd
        self.rootPath = rootPath
    }

    deinit { reset() }

    func reset() {
        while let top = stack.popLast() { close(top.fd) }
        current = []
    }

    /// The directory that holds `relative` (a handle valid until the next call) and the
    /// last name. Missing directories are created (0755, reported to `created`) when
    /// `create` is set. Nil when a parent is not a directory, or is missing and `create`
    /// is not set, or `relative` is the root.
    func parent(
        of relative: RelativePath, create: Bool,
        created: (RelativePath) -> Void = { _ in }
    ) throws(RenderError) -> (fd: Int32, name: [UInt8])? {
        guard !relative.isEmpty else { return nil }
        let nameStart = (relative.lastIndex(of: BytePath.slash) ?? -1) + 1
        let dirEnd = max(nameStart - 1, 0)
        let name = Array(relative[nameStart...])
        try checkComponent(name, relative)
        guard let fd = try directory(relative, end: dirEnd, create: create, created: created) else { return nil }
        return (fd, name)
    }

    /// The directory `relative[..<end]` (end at a component boundary).
    private func directory(
        _ relative: RelativePath, end dirEnd: Int, create: Bool,
        created: (RelativePath) -> Void
    ) throws(RenderError) -> Int32? {
        // The longest common byte prefix with the open chain, then the open directories
        // wholly inside it (ending at a component boundary of both).
        var common = 0
        let limit = min(dirEnd, stack.last?.end ?? 0)
        relative.withUnsafeBufferPointer { new in
            current.withUnsafeBufferPointer { old in
                while common < limit && new[common] == old[common] { common += 1 }
            }
        }
        while let top = stack.last, top.end > common || (top.end < dirEnd && relative[top.end] != BytePath.slash) {
            close(top.fd)
            stack.removeLast()
        }
        var fd = stack.last?.fd ?? rootFd
        var start = stack.last.map { $0.end + 1 } ?? 0
        while start < dirEnd {
            var stop = start
            while stop < dirEnd && relative[stop] != BytePath.slash { stop += 1 }
            let name = Array(relative[start..<stop])
            try checkComponent(name, relative)
            let cName = cString(name)
            var child = openat(fd, cName, clinux_o_path() | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child < 0 && errno == ENOENT && create {
                if mkdirat(fd, cName, 0o700) != 0 && errno != EEXIST {
                    throw .system(SystemError("mkdir", describe(Array(relative[..<stop]))))
                }
                // rkt creates missing parents 0755 regardless of the umask.
                fchmodat(fd, cName, 0o755, 0)
                created(Array(relative[..<stop]))
                child = openat(fd, cName, clinux_o_path() | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if child < 0 {
                let code = errno
                if code == ENOTDIR || code == ELOOP || code == ENOENT { return nil }
                throw .system(SystemError("open", describe(Array(relative[..<stop])), code: code))
            }
            if current.count < stop { current.append(contentsOf: repeatElement(0, count: stop - current.count)) }
            current.withUnsafeMutableBufferPointer { old in
                relative.withUnsafeBufferPointer { new in
                    for i in start..<stop { old[i] = new[i] }
                    if start > 0 { old[start - 1] = BytePath.slash }
                }
            }
            stack.append((stop, child))
            fd = child
            start = stop + 1
        }
        return fd
    }

    private func checkComponent(_ name: [UInt8], _ relative: RelativePath) throws(RenderError) {
        guard !name.isEmpty, name != [BytePath.dot], name != [BytePath.dot, BytePath.dot] else {
            throw .unsafeEntry(name: BytePath.text(relative), reason: "bad path component")
        }
    }

    func describe(_ relative: RelativePath) -> String {
        rootPath + "/" + BytePath.text(relative)
    }
}

/// A directory being filled with entries, safely: every name is resolved below the
/// root one component at a time without following symbolic links, new files are
/// created exclusively and never opened through a link, and directory modes and
/// times are applied at the end (deepest first), so an image cannot make its own
/// directories unwritable half-way.
final class OutputTree {
    let path: String
    let rootFd: Int32
    let privileges: Privileges
    private let walker: DirectoryWalker
    private let linkWalker: DirectoryWalker
    private var pendingDirectories: [(path: RelativePath, metadata: Metadata)] = []
    /// Directories created only as parents of other entries, in creation order.
    private(set) var implicitDirectories: [RelativePath] = []

    /// Opens the existing directory `path`.
    convenience init(path: String, privileges: Privileges) throws(RenderError) {
        self.init(fd: try Sys.openDirectory(path), path: path, privileges: privileges)
    }

    /// Takes over `fd`, an open directory; `path` is for messages.
    init(fd: Int32, path: String, privileges: Privileges) {
        self.path = path
        self.privileges = privileges
        rootFd = fd
        walker = DirectoryWalker(rootFd: rootFd, rootPath: path)
        linkWalker = DirectoryWalker(rootFd: rootFd, rootPath: path)
    }

    /// A new directory `name` inside the root (mode 0700 until `finish()` applies its own),
    /// as an output of its own.
    func subtree(_ name: String) throws(RenderError) -> OutputTree {
        guard mkdirat(rootFd, name, 0o700) == 0 else { throw .system(SystemError("mkdir", path + "/" + name)) }
        let fd = openat(rootFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .system(SystemError("open", path + "/" + name)) }
        return OutputTree(fd: fd, path: path + "/" + name, privileges: privileges)
    }

    deinit {
        walker.reset()
        linkWalker.reset()
        close(rootFd)
    }

    func describe(_ relative: RelativePath) -> String {
        relative.isEmpty ? path : path + "/" + BytePath.text(relative)
    }

    /// The directory that will hold `relative` (created as needed) and the last name.
    /// Nil when a parent is not a directory: the entry is masked, as acirenderer skips it.
    func parent(of relative: RelativePath) throws(RenderError) -> (fd: Int32, name: [UInt8])? {
        try walker.parent(of: relative, create: true) { implicitDirectories.append($0) }
    }

    /// An existing entry's directory and name, for a hardlink's target (no creation).
    func existing(_ relative: RelativePath) throws(RenderError) -> (fd: Int32, name: [UInt8])? {
        try linkWalker.parent(of: relative, create: false)
    }

    // MARK: Entries

    /// A directory; its mode, owner and time are applied by `finish()`. An existing
    /// directory (an implicit parent, or the root) is adopted.
    @discardableResult
    func makeDirectory(_ parent: (fd: Int32, name: [UInt8]), relative: RelativePath, metadata: Metadata) throws(RenderError) -> Metadata {
        let cName = cString(parent.name)
        if mkdirat(parent.fd, cName, 0o700) != 0 {
            let code = errno
            guard code == EEXIST else { throw .system(SystemError("mkdir", describe(relative), code: code)) }
            var info = stat()
            guard fstatat(parent.fd, cName, &info, AT_SYMLINK_NOFOLLOW) == 0, Sys.isDirectory(info) else {
                throw .conflict(name: BytePath.text(relative))
            }
        }
        return setDirectoryMetadata(relative, metadata)
    }

    /// Records the metadata the directory `relative` gets at the end (the root: `[]`).
    @discardableResult
    func setDirectoryMetadata(_ relative: RelativePath, _ metadata: Metadata) -> Metadata {
        let applied = metadata.limited(to: privileges)
        pendingDirectories.append((relative, applied))
        return applied
    }

    /// Creates a regular file (replacing a non-directory of that name) open for writing.
    func createFile(_ parent: (fd: Int32, name: [UInt8]), relative: RelativePath) throws(RenderError) -> Int32 {
        let cName = cString(parent.name)
        for attempt in 0..<2 {
            let fd = openat(parent.fd, cName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { return fd }
            let code = errno
            guard code == EEXIST, attempt == 0 else { throw .system(SystemError("open", describe(relative), code: code)) }
            try removeNonDirectory(parent, relative: relative)
        }
        throw .system(SystemError("open", describe(relative), code: EEXIST))
    }

    /// Owner, mode and times of a file open as `fd`.
    @discardableResult
    func finishFile(_ fd: Int32, relative: RelativePath, metadata: Metadata) throws(RenderError) -> Metadata {
        let applied = metadata.limited(to: privileges)
        // chown before chmod: chown clears setuid/setgid bits.
        if privileges.owners, fchown(fd, applied.uid, applied.gid) != 0 {
            throw .system(SystemError("chown", describe(relative)))
        }
        guard fchmod(fd, mode_t(applied.mode)) == 0 else { throw .system(SystemError("chmod", describe(relative))) }
        guard futimens(fd, applied.times) == 0 else { throw .system(SystemError("utimes", describe(relative))) }
        return applied
    }

    /// A symbolic link; its text is never interpreted.
    @discardableResult
    func symlink(_ parent: (fd: Int32, name: [UInt8]), relative: RelativePath, target: [UInt8], metadata: Metadata) throws(RenderError) -> Metadata {
        let cName = cString(parent.name)
        let cTarget = cString(target)
        for attempt in 0..<2 {
            if symlinkat(cTarget, parent.fd, cName) == 0 { break }
            let code = errno
            guard code == EEXIST, attempt == 0 else { throw .system(SystemError("symlink", describe(relative), code: code)) }
            try removeNonDirectory(parent, relative: relative)
        }
        var applied = metadata.limited(to: privileges)
        applied.mode = 0o777
        if privileges.owners, fchownat(parent.fd, cName, applied.uid, applied.gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw .system(SystemError("lchown", describe(relative)))
        }
        guard utimensat(parent.fd, cName, applied.times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .system(SystemError("utimes", describe(relative)))
        }
        return applied
    }

    /// A fifo or device node (`type` is S_IFIFO, S_IFCHR or S_IFBLK). Devices need
    /// `privileges.devices`; the caller checks.
    @discardableResult
    func node(
        _ parent: (fd: Int32, name: [UInt8]), relative: RelativePath, type: mode_t, major: UInt32, minor: UInt32,
        metadata: Metadata
    ) throws(RenderError) -> Metadata {
        let cName = cString(parent.name)
        let device = type == S_IFIFO ? 0 : dev_t(clinux_makedev(major, minor))
        for attempt in 0..<2 {
            if mknodat(parent.fd, cName, type | 0o600, device) == 0 { break }
            let code = errno
            guard code == EEXIST, attempt == 0 else { throw .system(SystemError("mknod", describe(relative), code: code)) }
            try removeNonDirectory(parent, relative: relative)
        }
        let applied = metadata.limited(to: privileges)
        if privileges.owners, fchownat(parent.fd, cName, applied.uid, applied.gid, AT_SYMLINK_NOFOLLOW) != 0 {
            throw .system(SystemError("chown", describe(relative)))
        }
        // The node was just made by us in a directory only we can write: no link can stand in its place.
        guard fchmodat(parent.fd, cName, mode_t(applied.mode), 0) == 0 else {
            throw .system(SystemError("chmod", describe(relative)))
        }
        guard utimensat(parent.fd, cName, applied.times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw .system(SystemError("utimes", describe(relative)))
        }
        return applied
    }

    /// A hard link to an existing entry (never through a symbolic link: if the source
    /// is a link, the link itself is linked). Returns errno on failure, 0 on success.
    func link(from source: (fd: Int32, name: [UInt8]), to parent: (fd: Int32, name: [UInt8]), relative: RelativePath) throws(RenderError) -> Int32 {
        let from = cString(source.name)
        let to = cString(parent.name)
        for attempt in 0..<2 {
            if linkat(source.fd, from, parent.fd, to, 0) == 0 { return 0 }
            let code = errno
            guard code == EEXIST, attempt == 0 else { return code }
            try removeNonDirectory(parent, relative: relative)
        }
        return EEXIST
    }

    /// Clears the way for a later entry of the same name; a directory is a conflict.
    private func removeNonDirectory(_ parent: (fd: Int32, name: [UInt8]), relative: RelativePath) throws(RenderError) {
        let cName = cString(parent.name)
        var info = stat()
        if fstatat(parent.fd, cName, &info, AT_SYMLINK_NOFOLLOW) == 0, Sys.isDirectory(info) {
            throw .conflict(name: BytePath.text(relative))
        }
        guard unlinkat(parent.fd, cName, 0) == 0 || errno == ENOENT else {
            throw .system(SystemError("unlink", describe(relative)))
        }
    }

    // MARK: Finishing

    /// Applies the recorded directory metadata, deepest directories first. The last
    /// record of a directory wins.
    func finish() throws(RenderError) {
        var latest: [RelativePath: Metadata] = [:]
        for (relative, metadata) in pendingDirectories { latest[relative] = metadata }
        pendingDirectories.removeAll()
        // Each depth counted once, not in every comparison (deep trees would go cubic).
        let ordered = latest.map { (depth: $0.key.isEmpty ? -1 : $0.key.count { $0 == BytePath.slash }, key: $0.key, metadata: $0.value) }
            .sorted { a, b in a.depth != b.depth ? a.depth > b.depth : a.key.lexicographicallyPrecedes(b.key) }
        for (_, relative, metadata) in ordered {
            try applyDirectoryMetadata(relative, metadata)
        }
        walker.reset()
        linkWalker.reset()
    }

    private func applyDirectoryMetadata(_ relative: RelativePath, _ metadata: Metadata) throws(RenderError) {
        var fd = rootFd
        var opened = false
        if !relative.isEmpty {
            guard let parent = try existing(relative) else { return }
            fd = openat(parent.fd, cString(parent.name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw .system(SystemError("open", describe(relative))) }
            opened = true
        }
        defer { if opened { close(fd) } }
        if privileges.owners, fchown(fd, metadata.uid, metadata.gid) != 0 {
            throw .system(SystemError("chown", describe(relative)))
        }
        guard fchmod(fd, mode_t(metadata.mode)) == 0 else { throw .system(SystemError("chmod", describe(relative))) }
        guard futimens(fd, metadata.times) == 0 else { throw .system(SystemError("utimes", describe(relative))) }
    }
}
