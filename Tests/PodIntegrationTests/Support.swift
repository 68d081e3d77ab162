import Foundation
import Glibc
import ImageKit
import TestSupport
import Testing

// Helpers for the pod end-to-end tests: every rkt command runs as a subprocess of the
// built `rkt` (next to the test bundle), against a data dir of its own under /tmp.

/// All pod suites are nested in this one serialized suite, so that at most one pod
/// test runs at a time (the machine has 2 cores and the tests time things).
@Suite(.serialized, .needsRoot) enum Pods {}

/// The directory of the built products (`rkt`, `rkt-stage1`, `actool`).
let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
/// The repository root (for scripts/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

let hostBusybox = "/bin/busybox"
let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/// appc's default capability bounding set (14 caps) as /proc/PID/status prints it.
let defaultCapabilityMask = "00000000a80425fb"

/// The pod init's capabilities with apps of the default set: those plus what the init
/// uses (SYS_ADMIN, SYS_CHROOT, SETUID, SETGID, SETPCAP, SYS_RESOURCE, DAC_OVERRIDE,
/// DAC_READ_SEARCH, KILL), within what this host's bounding set has.
let initCapabilityMask: String = {
    let used: UInt64 = 1 << 21 | 1 << 18 | 1 << 7 | 1 << 6 | 1 << 8 | 1 << 24 | 1 << 1 | 1 << 2 | 1 << 5
    let host = procStatus(getpid(), "CapBnd").flatMap { UInt64($0, radix: 16) } ?? ~0
    let mask = (UInt64(defaultCapabilityMask, radix: 16)! | used) & host
    let hex = String(mask, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}()

/// A Go time printed with layout `2006-01-02 15:04:05.999 -0700 MST`.
let goTimePattern = #"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{0,2}[1-9])? [+-]\d{4} \S+"#
/// What rkt shows for a pod on the default network.
let defaultNetworkPattern = #"default:ip4=172\.16\.28\.\d{1,3}"#
let uuidPattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

func matches(_ text: String, _ pattern: String) -> Bool {
    (try? Regex(pattern).wholeMatch(in: text)) != nil
}

/// The captures of `pattern` matched against the whole of `text`, or nil.
func captures(_ text: String, _ pattern: String) -> [String]? {
    guard let match = try? Regex(pattern).wholeMatch(in: text) else { return nil }
    return (1..<match.output.count).map { match.output[$0].substring.map(String.init) ?? "" }
}

/// Go's text/tabwriter with minwidth 0, tabwidth 8, padding 1, padchar TAB, no flags,
/// for rows that all have the same number of cells: every cell but the last of a row
/// is tab-terminated and aligned.
func goTabwriter(_ rows: [[String]]) -> String {
    guard let columns = rows.first?.count, columns > 0 else { return "" }
    var widths = [Int](repeating: 0, count: columns - 1)
    for row in rows {
        precondition(row.count == columns, "goTabwriter: rows of different lengths")
        for j in 0..<(columns - 1) { widths[j] = max(widths[j], row[j].unicodeScalars.count + 1) }
    }
    var text = ""
    for row in rows {
        for j in 0..<(columns - 1) {
            let cellWidth = (widths[j] + 7) / 8 * 8
            let n = cellWidth - row[j].unicodeScalars.count
            text += row[j] + String(repeating: "\t", count: (n + 7) / 8)
        }
        text += row[columns - 1] + "\n"
    }
    return text
}

/// Waits until `condition` holds, polling every 50 ms; false on timeout.
@discardableResult
func poll(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if condition() { return true }
        if Date() > deadline { return false }
        usleep(50_000)
    }
}

func fileExists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

func directoryEntries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// The children of `pid` as the kernel lists them.
func children(of pid: Int32) -> [Int32] {
    (readText("/proc/\(pid)/task/\(pid)/children") ?? "").split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}

/// The namespace link of `pid` (`"self"` for this process), e.g. `pid:[4026531836]`.
func namespace(_ pid: String, _ kind: String) -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")) ?? "<unreadable /proc/\(pid)/ns/\(kind)>"
}

/// A line `Key:\tvalue` of /proc/PID/status.
func procStatus(_ pid: Int32, _ key: String) -> String? {
    guard let text = readText("/proc/\(pid)/status") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
        return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Whether `pid` is gone (or a zombie nobody reaped: it runs nothing any more).
func processGone(_ pid: Int32) -> Bool {
    guard let stat = readText("/proc/\(pid)/stat") else { return true }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
    return state == "Z" || state == "X"
}

/// Mount points of this process's mount namespace, in mountinfo order.
func hostMountPoints() -> [String] {
    (readText("/proc/self/mountinfo") ?? "").split(separator: "\n").map { line in
        let fields = line.split(separator: " ")
        return fields.count > 4 ? String(fields[4]) : String(line)
    }
}

/// Whether `path` is a static ELF executable (no PT_INTERP program header).
func isStaticELF(_ path: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: path), data.count > 64 else { return false }
    let bytes = [UInt8](data)
    guard bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2 else { return false }
    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
    let phoff = u64(0x20), phentsize = u16(0x36), phnum = u16(0x38)
    for i in 0..<phnum {
        let at = phoff + i * phentsize
        guard at + 4 <= bytes.count else { return false }
        if bytes[at] == 3 && bytes[at + 1] == 0 && bytes[at + 2] == 0 && bytes[at + 3] == 0 { return false }  // PT_INTERP
    }
    return true
}

/// Checks what every pod test needs; records an issue (never skips) when something is missing.
func preconditionsMet() -> Bool {
    guard geteuid() == 0 else {
        Issue.record("needs root: pod tests create namespaces, mounts and pods (run `swift test` as root)")
        return false
    }
    guard FileManager.default.isExecutableFile(atPath: hostBusybox), isStaticELF(hostBusybox) else {
        Issue.record("\(hostBusybox) is missing or not static: apt-get install busybox-static")
        return false
    }
    for tool in ["rkt", "rkt-stage1"] where !FileManager.default.isExecutableFile(atPath: buildDirectory + "/" + tool) {
        Issue.record("\(buildDirectory)/\(tool) is missing: run `swift build` (all products) before `swift test --skip-build`")
        return false
    }
    return true
}

// MARK: - Processes

/// A subprocess whose stdout and stderr go to files (no pipe can fill up and block it).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let outPath: String
    let errPath: String
    let argv: [String]

    init(
        _ executable: String, _ arguments: [String], scratch: Scratch, environment: [String: String]? = nil,
        stdin: FileHandle? = FileHandle.nullDevice, stdout: FileHandle? = nil, stderr: FileHandle? = nil
    ) throws {
        argv = [executable] + arguments
        let id = scratch.next()
        outPath = scratch.file(".out-\(id)")
        errPath = scratch.file(".err-\(id)")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
        if let environment { process.environment = environment }
        if let stdin { process.standardInput = stdin }
        process.standardOutput = try stdout ?? FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try stderr ?? FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var out: String { readText(outPath) ?? "" }
    var err: String { readText(errPath) ?? "" }

    /// Waits up to `timeout` seconds; on timeout kills the process (SIGKILL) and marks the result.
    func wait(timeout: TimeInterval) -> RunResult {
        var timedOut = false
        if !poll(timeout: timeout, { !process.isRunning }) {
            timedOut = true
            kill(pid, SIGKILL)
            poll(timeout: 10) { !process.isRunning }
        }
        guard !process.isRunning else {
            return RunResult(code: -1, out: out, err: err, timedOut: true)
        }
        return RunResult(
            code: process.terminationStatus, out: out, err: err,
            signaled: process.terminationReason == .uncaughtSignal, timedOut: timedOut)
    }

    /// The result if the process has ended, else nil.
    func result() -> RunResult? { process.isRunning ? nil : wait(timeout: 0) }
}

// MARK: - Scratch and images

extension Scratch {
    /// Removes the tree, first recording an issue for each mount a test leaked under it
    /// and detaching it (a leaked bind of /dev or /proc must never be walked by a delete).
    func removeCheckingMounts() {
        var leaked = hostMountPoints().filter { $0 == path || $0.hasPrefix(path + "/") }
        if !leaked.isEmpty {
            Issue.record("mounts leaked into the host mount namespace under \(path): \(leaked)")
            for mountPoint in leaked.reversed() { umount2(mountPoint, Int32(MNT_DETACH)) }
            leaked = hostMountPoints().filter { $0 == path || $0.hasPrefix(path + "/") }
            guard leaked.isEmpty else {
                Issue.record("cannot detach \(leaked); leaving \(path) in place")
                return
            }
        }
        remove()
    }
}

let busyboxApplets = [
    "sh", "ls", "cat", "echo", "sleep", "tty", "id", "grep", "env", "ps", "hostname", "readlink",
    "true", "false", "wc", "touch", "mount",
]

let busyboxManifest =
    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/busybox","labels":[{"name":"version","value":"1.35.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/sh"],"user":"0","group":"0"}}"#

/// Writes an ACI: `manifest` + a rootfs with the host's static busybox, applet symlinks,
/// /etc/passwd and /etc/group (root and nobody), /tmp.
func writeBusyboxImage(_ path: String, manifest: String = busyboxManifest, files: [String: String] = [:]) throws {
    guard let busybox = FileManager.default.contents(atPath: hostBusybox) else {
        throw PodTestError("cannot read \(hostBusybox): apt-get install busybox-static")
    }
    let writer = try TarWriter(path: path, compression: .gzip)
    try writer.write(.file("manifest", manifest))
    try writer.write(.directory("rootfs"))
    try writer.write(.directory("rootfs/bin"))
    try writer.write(TarWriter.Entry(name: "rootfs/bin/busybox", kind: .file([UInt8](busybox)), mode: 0o755))
    for applet in busyboxApplets {
        try writer.write(TarWriter.Entry(name: "rootfs/bin/" + applet, kind: .symlink("busybox")))
    }
    var files = files
    files["etc/passwd"] = files["etc/passwd"] ?? "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    files["etc/group"] = files["etc/group"] ?? "root:x:0:\nnobody:x:65534:\n"
    try writer.write(.directory("rootfs/root"))
    try writer.write(TarWriter.Entry(name: "rootfs/tmp", kind: .directory, mode: 0o1777))
    var directories: Set<String> = ["bin", "root", "tmp"]
    for (name, text) in files.sorted(by: { $0.key < $1.key }) {
        let parts = name.split(separator: "/").dropLast()
        for depth in parts.indices where directories.insert(parts[...depth].joined(separator: "/")).inserted {
            try writer.write(.directory("rootfs/" + parts[...depth].joined(separator: "/")))
        }
        try writer.write(.file("rootfs/" + name, text))
    }
    try writer.close()
}

struct PodTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - A test's rkt world

/// One test's data dir, image and pods. `cleanup()` stops every pod, collects them and
/// deletes the scratch dir.
final class PodWorld: @unchecked Sendable {
    let scratch = Scratch("podtests")
    let data: String
    let image: String
    private var background: [ChildProcess] = []

    init() throws {
        data = scratch.mkdir("data")
        image = scratch.file("busybox.aci")
        try writeBusyboxImage(image)
    }

    var rktPath: String { buildDirectory + "/rkt" }

    func arguments(_ args: [String]) -> [String] {
        ["--dir=\(data)", "--insecure-options=image"] + args
    }

    /// Runs `rkt --dir=DATA --insecure-options=image ARGS` to completion.
    @discardableResult
    func rkt(
        _ args: [String], environment: [String: String]? = nil, stdin: FileHandle? = FileHandle.nullDevice,
        timeout: TimeInterval = 60
    ) -> RunResult {
        do {
            return try ChildProcess(rktPath, arguments(args), scratch: scratch, environment: environment, stdin: stdin)
                .wait(timeout: timeout)
        } catch {
            return RunResult(code: -1, out: "", err: "cannot start rkt: \(error)\n")
        }
    }

    func rkt(_ args: String...) -> RunResult { rkt(args) }

    /// Runs `rkt ARGS` as written, without the default global flags.
    func rktAsWritten(_ args: [String], timeout: TimeInterval = 60) -> RunResult {
        do {
            return try ChildProcess(rktPath, args, scratch: scratch).wait(timeout: timeout)
        } catch {
            return RunResult(code: -1, out: "", err: "cannot start rkt: \(error)\n")
        }
    }

    /// Starts rkt in the background (the test must wait for it or let cleanup kill it).
    func start(
        _ args: [String], environment: [String: String]? = nil, stdin: FileHandle? = FileHandle.nullDevice,
        stdout: FileHandle? = nil, stderr: FileHandle? = nil
    ) throws -> ChildProcess {
        let process = try ChildProcess(
            rktPath, arguments(args), scratch: scratch, environment: environment,
            stdin: stdin, stdout: stdout, stderr: stderr)
        background.append(process)
        return process
    }

    /// `rkt run --uuid-file-save=F [runFlags] IMAGE [appFlags]` in the background, waiting
    /// until `rkt status` says running with a pid. Throws (with rkt's output) otherwise.
    func startPod(
        runFlags: [String] = [], appFlags: [String] = ["--exec", "/bin/sleep", "--", "30"],
        more: [String] = [], image: String? = nil
    ) throws -> RunningPod {
        let uuidFile = scratch.file("uuid-\(scratch.next())")
        let process = try start(["run", "--uuid-file-save=\(uuidFile)"] + runFlags + [image ?? self.image] + appFlags + more)
        var uuid = ""
        var status = RunResult(code: -1, out: "", err: "")
        let up = poll(timeout: 30) {
            if uuid.isEmpty { uuid = readText(uuidFile) ?? "" }
            if !uuid.isEmpty {
                status = rkt(["status", uuid])
                if status.out.contains("state=running\n") && status.out.contains("pid=") { return true }
            }
            return !process.isRunning
        }
        guard up, process.isRunning, !uuid.isEmpty else {
            let result = process.isRunning ? nil : process.wait(timeout: 0)
            throw PodTestError(
                "pod did not come up (uuid \(uuid.isEmpty ? "none" : uuid)): rkt run \(result.map { "\($0)" } ?? "still running, stdout: \(process.out) stderr: \(process.err)")\nlast status: \(status)"
            )
        }
        let pod = RunningPod(uuid: uuid, process: process, world: self)
        guard pod.pid != nil else { throw PodTestError("no pid= in status: \(status)") }
        return pod
    }

    /// `rkt [GLOBAL] run --net=host IMAGE [APP FLAGS] --exec /bin/sh -- -c LINE` to completion.
    func runShell(_ line: String, app: [String] = [], global: [String] = [], image: String? = nil) -> RunResult {
        rkt(global + ["run", "--net=host", image ?? self.image] + app + ["--exec", "/bin/sh", "--", "-c", line])
    }

    func podDirectories(_ folder: String) -> [String] { directoryEntries(data + "/pods/" + folder) }

    /// Every pod dir under pods/, as `folder/UUID`.
    func allPodDirectories() -> [String] {
        directoryEntries(data + "/pods").flatMap { folder in podDirectories(folder).map { folder + "/" + $0 } }
    }

    func cleanup() {
        for uuid in podDirectories("run") { _ = rkt(["stop", "--force", uuid], timeout: 20) }
        for process in background where process.isRunning {
            if !poll(timeout: 15, { !process.isRunning }) {
                Issue.record("rkt \(process.argv.joined(separator: " ")) still running after stop --force; killing it")
                kill(process.pid, SIGKILL)
                poll(timeout: 10) { !process.isRunning }
            }
        }
        _ = rkt(["gc", "--grace-period=0s", "--expire-prepared=0s"], timeout: 60)
        scratch.removeCheckingMounts()
    }
}

struct RunningPod {
    let uuid: String
    let process: ChildProcess
    let world: PodWorld

    func status() -> RunResult { world.rkt(["status", uuid]) }

    /// `key=value` pairs of `rkt status`, in order.
    func statusPairs() -> [(String, String)] { statusPairsOf(status().out) }

    /// The `pid=` of `rkt status`.
    var pid: Int32? {
        statusPairs().first { $0.0 == "pid" }.flatMap { Int32($0.1) }
    }

    /// The pod init: the supervisor's only child.
    var initPID: Int32? {
        guard let pid else { return nil }
        var kids: [Int32] = []
        poll(timeout: 10) {
            kids = children(of: pid)
            return !kids.isEmpty
        }
        return kids.count == 1 ? kids[0] : nil
    }

    /// The app processes: the init's children.
    var appPIDs: [Int32] {
        guard let initPID else { return [] }
        var kids: [Int32] = []
        poll(timeout: 10) {
            kids = children(of: initPID)
            return !kids.isEmpty
        }
        return kids
    }

    func waitExited(timeout: TimeInterval) -> Bool {
        poll(timeout: timeout) { world.rkt(["status", uuid]).out.hasPrefix("state=exited\n") }
    }
}

func statusPairsOf(_ text: String) -> [(String, String)] {
    text.split(separator: "\n").map { line in
        guard let eq = line.firstIndex(of: "=") else { return (String(line), "") }
        return (String(line[..<eq]), String(line[line.index(after: eq)...]))
    }
}

/// stderr without the warning every run prints when the host has no `rkt` group.
func withoutGroupWarning(_ lines: [String]) -> [String] {
    lines.filter { !$0.hasSuffix("group \"rkt\" not found, will use default gid when rendering images") }
}
