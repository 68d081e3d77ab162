import Glibc
import LinuxSystem

/// Where a command writes: the process's stdout and stderr, or buffers in tests.
public final class Console {
    private let writeOut: ([UInt8]) -> Void
    private let writeErr: ([UInt8]) -> Void

    public init(out: @escaping ([UInt8]) -> Void, err: @escaping ([UInt8]) -> Void) {
        writeOut = out
        writeErr = err
    }

    /// The process's standard output and error, unbuffered (each call is one write).
    public static func standard() -> Console {
        // A failed write of the tool's own output has nowhere to be reported.
        Console(out: { try? Files.writeAll(1, $0, path: "/dev/stdout") }, err: { try? Files.writeAll(2, $0, path: "/dev/stderr") })
    }

    public func out(_ bytes: [UInt8]) { writeOut(bytes) }
    public func out(_ text: String) { writeOut(Array(text.utf8)) }

    /// One diagnostic line on stderr (actool's `stderr()` helper).
    public func error(_ text: String) { writeErr(Array((text + "\n").utf8)) }
    /// `prefix` and `detail` on one stderr line; `detail` as bytes, which need not be UTF-8
    /// (a decorated JSON syntax error quotes the source's own bytes).
    public func error(_ prefix: String, detail: [UInt8]) {
        writeErr(Array(prefix.utf8) + detail + [0x0a])
    }

    /// Raw text on stderr (usage blocks).
    public func errText(_ text: String) { writeErr(Array(text.utf8)) }
}
