import Glibc
import LinuxSystem

/// A fresh directory under /tmp for one test, with helpers to lay files out in it.
/// `remove()` deletes it without following links or entering another file system (a
/// mount a test leaked is never walked into).
public final class Scratch: @unchecked Sendable {
    public let path: String
    private let removeOnDeinit: Bool
    private var counter = 0

    /// - Parameters:
    ///   - prefix: names the directory (`/tmp/PREFIX-XXXXXX`), so a leftover says whose it is.
    ///   - removeOnDeinit: remove it when the value goes away, not only on `remove()`.
    public init(_ prefix: String = "test", removeOnDeinit: Bool = false) {
        do {
            path = try Files.makeTemporaryDirectory("/tmp/\(prefix)-")
        } catch {
            preconditionFailure("cannot make a scratch directory: \(error)")
        }
        self.removeOnDeinit = removeOnDeinit
    }

    deinit { if removeOnDeinit { remove() } }

    /// The path of `name` inside.
    public func file(_ name: String) -> String { path + "/" + name }

    /// A number not given before by this scratch (for unique names).
    public func next() -> Int {
        counter += 1
        return counter
    }

    /// Makes directory `name` (and its parents); returns its path.
    @discardableResult
    public func mkdir(_ name: String) -> String {
        try? Files.makeDirectories(file(name))
        return file(name)
    }

    /// Writes file `name` (parents made as needed).
    public func write(_ name: String, _ bytes: [UInt8]) {
        try? Files.makeDirectories(Files.directory(of: file(name)))
        do {
            try Files.writeFile(file(name), bytes)
        } catch {
            preconditionFailure("cannot write \(name): \(error)")
        }
    }

    public func write(_ name: String, _ text: String) { write(name, Array(text.utf8)) }

    /// The bytes of file `name` (empty when it cannot be read).
    public func bytes(_ name: String) -> [UInt8] {
        (try? Files.readFile(file(name), limit: 1 << 30)) ?? []
    }

    public func symlink(_ target: String, _ name: String) { _ = Glibc.symlink(target, file(name)) }

    public func remove() { try? Files.removeTree(path, stayOnDevice: true) }
}

/// The text of the file at `path`, nil when it cannot be read.
public func readText(_ path: String) -> String? {
    (try? Files.readFile(path, limit: 1 << 30)).map { String(decoding: $0, as: UTF8.self) }
}

/// What one run of a tool (in-process or a child) printed and returned.
public struct RunResult: CustomStringConvertible, Sendable {
    public var code: Int32
    public var out: String
    public var err: String
    /// True when the process was killed by a signal (then `code` is the signal number).
    public var signaled = false
    public var timedOut = false

    public init(code: Int32, out: String, err: String, signaled: Bool = false, timedOut: Bool = false) {
        self.code = code
        self.out = out
        self.err = err
        self.signaled = signaled
        self.timedOut = timedOut
    }

    public var description: String {
        "exit \(signaled ? "signal " : "")\(code)\(timedOut ? " (TIMED OUT)" : "")\n--- stdout:\n\(out)--- stderr:\n\(err)"
    }

    /// Stdout's lines, without the empty one after a final newline.
    public var outLines: [String] { Self.lines(out) }
    public var errLines: [String] { Self.lines(err) }

    private static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
