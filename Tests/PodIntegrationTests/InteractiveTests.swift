import Foundation
import Glibc
import Testing

/// A pseudo-terminal for a child's stdin/stdout/stderr, with everything the child writes
/// collected by a reader thread.
final class Terminal: @unchecked Sendable {
    let master: Int32
    let slave: Int32
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private var eof = false

    init() throws {
        // posix_openpt/unlockpt/ptsname by hand (Swift's Glibc module does not export them):
        // open the multiplexer, clear the lock (TIOCSPTLCK), ask for the number (TIOCGPTN).
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            throw PodTestError("cannot open a pty: \(String(cString: strerror(errno)))")
        }
        let name = "/dev/pts/\(number)"
        slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else { throw PodTestError("cannot open \(name): \(String(cString: strerror(errno)))") }
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(master, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                lock.lock()
                if n <= 0 { eof = true } else { buffer += chunk[0..<n] }
                lock.unlock()
                if n <= 0 { break }
            }
        }
        thread.start()
    }

    var slaveHandle: FileHandle { FileHandle(fileDescriptor: slave, closeOnDealloc: false) }

    /// Closes the parent's copy of the slave (after the child started), so that the
    /// reader sees EIO once the child and its descendants let go of it.
    func closeSlave() { close(slave) }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Waits until the output after `offset` contains `needle`; returns the index after it.
    func waitFor(_ needle: String, after offset: String.Index? = nil, timeout: TimeInterval) -> String.Index? {
        var found: String.Index?
        poll(timeout: timeout) {
            let now = text
            let start = offset.map { min($0, now.endIndex) } ?? now.startIndex
            if let range = now.range(of: needle, range: start..<now.endIndex) { found = range.upperBound }
            return found != nil
        }
        return found
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    deinit { close(master) }
}

extension Pods {
    /// `--interactive`: the app gets a pty of the pod's devpts; without it stdin is /dev/null.
    @Suite struct Interactive {
        @Test(.timeLimit(.minutes(2)))
        func interactiveShellThroughPty() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let terminal = try Terminal()
            let run = try world.start(
                ["run", "--interactive", world.image], stdin: terminal.slaveHandle,
                stdout: terminal.slaveHandle, stderr: terminal.slaveHandle)
            terminal.closeSlave()

            guard let prompt = terminal.waitFor("/ # ", timeout: 30) else {
                Issue.record("no `/ # ` prompt within 30 s; terminal output: \(terminal.text.debugDescription); rkt: \(run.result().map { "\($0)" } ?? "running")")
                return
            }
            terminal.send("tty\n")
            let afterTTY = terminal.waitFor("/dev/pts/0", after: prompt, timeout: 15)
            #expect(afterTTY != nil, "`tty` must print /dev/pts/0 (the pod's own devpts): \(terminal.text.debugDescription)")
            terminal.send("echo Saluton $((6*7))\n")
            #expect(terminal.waitFor("Saluton 42", after: prompt, timeout: 15) != nil, "typed text must reach the shell: \(terminal.text.debugDescription)")
            terminal.send("exit 6\n")
            let result = run.wait(timeout: 20)
            #expect(result.code == 6 && !result.signaled && !result.timedOut, "rkt run --interactive after `exit 6`: \(result)\nterminal: \(terminal.text.debugDescription)")
        }

        @Test(.timeLimit(.minutes(2)))
        func stdinIsNotATerminalWithoutInteractive() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let check = ["--exec", "/bin/sh", "--", "-c", "test -t 0 && echo tty || echo notty; cat; echo end"]

            // stdin /dev/null.
            let devNull = world.rkt(["run", world.image] + check)
            #expect(devNull.code == 0 && devNull.out == "notty\nend\n", "\(devNull)")

            // stdin a pipe with data: without --interactive the app still reads /dev/null.
            let pipe = Pipe()
            pipe.fileHandleForWriting.write(Data("from-stdin\n".utf8))
            try pipe.fileHandleForWriting.close()
            let piped = world.rkt(["run", world.image] + check, stdin: pipe.fileHandleForReading)
            #expect(piped.code == 0 && piped.out == "notty\nend\n", "\(piped)")

            // stdin a terminal, still not given to the app.
            let terminal = try Terminal()
            let onTTY = try world.start(["run", world.image] + check, stdin: terminal.slaveHandle)
            terminal.closeSlave()
            let result = onTTY.wait(timeout: 30)
            #expect(result.code == 0 && result.out == "notty\nend\n", "\(result)")
        }

        /// The debugging guide's `echo ... | rkt run --interactive`: stdin not a terminal is passed through.
        @Test(.timeLimit(.minutes(2)))
        func interactiveWithPipedStdin() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let pipe = Pipe()
            pipe.fileHandleForWriting.write(Data("echo from-stdin; test -t 0 && echo tty || echo notty; exit 4\n".utf8))
            try pipe.fileHandleForWriting.close()
            let run = world.rkt(["run", "--interactive", world.image], stdin: pipe.fileHandleForReading)
            #expect(run.code == 4 && run.out == "from-stdin\nnotty\n", "\(run)")
        }
    }
}
