import Glibc

/// A depth-first walk of everything below a directory: names in byte order, links never
/// followed, and no recursion, so a tree of any depth is walked on any stack (an image
/// can nest its directories thousands deep). Each directory's descriptor stays open while
/// its children are walked: the tools raise their open-file limit at start, as Go does.
public enum DirectoryWalk {
    public struct Entry {
        /// The directory holding the entry, open while the entry is visited and left.
        public let parent: Int32
        public let name: [UInt8]
        /// The path below the walked directory, `/`-separated.
        public let relative: [UInt8]
        public let info: stat

        public var isDirectory: Bool { info.st_mode & S_IFMT == S_IFDIR }
    }

    /// Walks the directory `root` (left open). `visit` sees every entry, parents before
    /// children, and returns whether to walk a directory; `enter` gets such a directory's
    /// descriptor before its names are read, `leave` after its children were walked.
    /// Failures of the walk's own calls are turned into `E` by `failure`; `rootPath` names
    /// `root` in them. An entry gone between listing and looking is skipped.
    public static func run<E: Error>(
        _ root: Int32, rootPath: String, failure: (SystemError) -> E,
        visit: (Entry) throws(E) -> Bool,
        enter: (Entry, Int32) throws(E) -> Void = { _, _ in },
        leave: (Entry, Int32) throws(E) -> Void = { _, _ in }
    ) throws(E) {
        func describe(_ relative: [UInt8]) -> String {
            relative.isEmpty ? rootPath : rootPath + "/" + String(decoding: relative, as: UTF8.self)
        }
        var stack: [Frame]
        do throws(SystemError) {
            stack = [Frame(fd: root, names: try names(in: root, path: rootPath), entry: nil)]
        } catch {
            throw failure(error)
        }
        defer { for frame in stack where frame.entry != nil { close(frame.fd) } }
        while let top = stack.indices.last {
            guard stack[top].next < stack[top].names.count else {
                let frame = stack.removeLast()
                if let entry = frame.entry {
                    defer { close(frame.fd) }
                    try leave(entry, frame.fd)
                }
                continue
            }
            let name = stack[top].names[stack[top].next]
            stack[top].next += 1
            let parent = stack[top].fd
            let relative = stack[top].entry.map { $0.relative + [UInt8(ascii: "/")] + name } ?? name
            var info = stat()
            if withCName(name, { fstatat(parent, $0, &info, AT_SYMLINK_NOFOLLOW) }) != 0 {
                if errno == ENOENT { continue }
                throw failure(SystemError("stat", describe(relative)))
            }
            let entry = Entry(parent: parent, name: name, relative: relative, info: info)
            guard try visit(entry), entry.isDirectory else { continue }
            let sub = withCName(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            guard sub >= 0 else { throw failure(SystemError("open", describe(relative))) }
            do {
                try enter(entry, sub)
            } catch {
                close(sub)
                throw error
            }
            let children: [[UInt8]]
            do throws(SystemError) {
                children = try names(in: sub, path: describe(relative))
            } catch {
                close(sub)
                throw failure(error)
            }
            stack.append(Frame(fd: sub, names: children, entry: entry))
        }
    }

    /// A directory being walked: its descriptor, names, the next one to visit.
    private struct Frame {
        let fd: Int32
        let names: [[UInt8]]
        var next = 0
        let entry: Entry?

        init(fd: Int32, names: [[UInt8]], entry: Entry?) {
            self.fd = fd
            self.names = names
            self.entry = entry
        }
    }

    /// `name` as a NUL-terminated C string for the duration of `body`.
    public static func withCName<T, E: Error>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> T) throws(E) -> T {
        let text = (name + [0]).map { CChar(bitPattern: $0) }
        return try text.withUnsafeBufferPointer { (bytes) throws(E) -> T in
            guard let base = bytes.baseAddress else { preconditionFailure("a C string is never empty") }
            return try body(base)
        }
    }

    /// The names in the directory `fd` (not `.` and `..`), in byte order.
    public static func names(in fd: Int32, path: String) throws(SystemError) -> [[UInt8]] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw SystemError("read directory", path, code: code)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}
