import Foundation
import TestSupport
import Testing

@testable import PodKit

// The plan is the one contract between stage0 (Swift) and stage1 (C). These tests need
// no root: the Swift writer's refusals, and the C reader (`rkt-stage1 --check-plan`)
// accepting what the writer makes and refusing whatever is out of place.

/// The built `rkt-stage1` (next to the test bundle).
private let stage1Binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/rkt-stage1"

private func app(
    _ name: String = "a", exec: [String] = ["/bin/sh"], environment: [String] = ["PATH=/bin"],
    cwd: String = "/", mounts: [AppMount] = []
) -> AppRuntime {
    AppRuntime(
        name: name, exec: exec, environment: environment, uid: 0, gid: 0, supplementaryGIDs: [],
        workingDirectory: cwd, capabilities: 0xa80425fb, mounts: mounts, readOnlyRootfs: false,
        noNewPrivileges: false, oomScoreAdj: nil, preStart: nil, postStop: nil)
}

private func makePlan(_ apps: [AppRuntime], volumes: [String: VolumeSource] = [:], in scratch: Scratch)
    throws(PodError) -> Stage1Plan
{
    var trees: [String: [String]] = [:]
    for app in apps { trees[app.name] = [scratch.path] }
    return try Stage1Plan.make(
        uuid: "0c6dd1d1-3f1e-4c8b-9a36-3ad1f9b1e2a4", apps: apps, trees: trees, volumes: volumes, options: RuntimeOptions(),
        consoleApp: nil, stdin: .null, facts: try HostFacts.probe(trees: trees.mapValues { $0[0] }, volumes: volumes))
}

/// `rkt-stage1 --check-plan` on `bytes`, run in `SCRATCH/pod` as stage1 runs in the pod
/// directory (the plan's pod paths are relative to it).
func checkPlan(_ bytes: [UInt8], in scratch: Scratch) throws -> (code: Int32, out: String, err: String) {
    let path = scratch.file("plan-\(UUID().uuidString)")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: stage1Binary)
    process.arguments = ["--check-plan", path]
    process.currentDirectoryURL = URL(fileURLWithPath: scratch.mkdir("pod"))
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

private func tokens(_ values: String...) -> [UInt8] { values.flatMap { Array($0.utf8) + [0] } }

@Suite struct Stage1PlanTests {
    @Test func writerRefusesNULInEveryAppField() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let cases: [(AppRuntime, String)] = [
            (app(environment: ["FOO=x\0end\0app\0evil"]), #"app "a": environment variable "FOO" contains a NUL byte"#),
            (app(exec: ["/bin/sh", "-c\0user"]), #"app "a": exec contains a NUL byte"#),
            (app(cwd: "/tmp\0/x"), #"app "a": working directory contains a NUL byte"#),
            (
                app(mounts: [AppMount(volume: "v", path: "/data\0symlink", readOnly: false)]),
                #"app "a": mount "v" path contains a NUL byte"#
            ),
        ]
        for (runtime, message) in cases {
            let volumes = ["v": VolumeSource(source: scratch.path, readOnly: false, recursive: false)]
            #expect(throws: PodError.self) { try makePlan([runtime], volumes: volumes, in: scratch) }
            do {
                _ = try makePlan([runtime], volumes: volumes, in: scratch)
            } catch {
                #expect(error.description == message)
            }
        }
        var handler = app()
        handler.preStart = ["/bin/true\0x"]
        #expect(throws: PodError.nulByte(app: "a", field: "pre-start handler")) { try makePlan([handler], in: scratch) }
        let mount = AppMount(volume: "v", path: "/data", readOnly: false)
        let badSource = ["v": VolumeSource(source: "/srv\0/x", readOnly: false, recursive: false)]
        #expect(throws: PodError.nulByte(app: "a", field: #"volume "v" source"#)) {
            try makePlan([app(mounts: [mount])], volumes: badSource, in: scratch)
        }
    }

    @Test func readerAcceptsWhatTheWriterMakes() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let mount = AppMount(volume: "v", path: "/data", readOnly: true)
        let volumes = ["v": VolumeSource(source: scratch.path, readOnly: true, recursive: true)]
        let plan = try makePlan(
            [app(environment: ["PATH=/bin", "A=b c"], mounts: [mount]), app("b")],
            volumes: volumes, in: scratch)
        let result = try checkPlan(plan.bytes, in: scratch)
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.hasPrefix("root \(scratch.path)/pod/stage1/rootfs\n"))
        #expect(result.out.contains("app a uid 0 gid 0 caps a80425fb nonewprivs 0 cwd /\n  exec /bin/sh\n  env PATH=/bin\n  env A=b c\n"))
        #expect(result.out.contains("mount \(scratch.path)/pod/stage1/rootfs/opt/stage2/a/rootfs/data \(scratch.path)\n"))
    }

    /// Each plan is valid but for one thing; the reader refuses it whole.
    @Test func readerFailsClosed() throws {
        let scratch = Scratch()
        defer { scratch.remove() }
        let root = "stage1/rootfs"
        let app = ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "end"]
        func plan(_ globals: [String], app appRecords: [String] = app) -> [UInt8] {
            (["version", "5", "root", root] + globals + appRecords).flatMap { Array($0.utf8) + [0] }
        }
        let target = root + "/opt/stage2/a/rootfs"
        let good = try checkPlan(
            plan([
                "mount", "proc", root + "/proc", "proc", "14", "", "d",
                "overlay", target, "overlay/a/upper", "overlay/a/work", "2", "/var/lib/rkt/cas/tree/x/rootfs", "/var/lib/rkt/cas/tree/d:e,f/rootfs",
                "mount", "stage1/rootfs/etc/rkt-hosts", target + "/etc/hosts", "", "4096", "", "f",
            ]), in: scratch)
        #expect(good.code == 0, "\(good.err)")
        #expect(good.out.contains("mount \(scratch.path)/pod/\(target) overlay\n"), "\(good.out)")
        #expect(good.out.contains("mount \(scratch.path)/pod/\(target)/etc/hosts \(scratch.path)/pod/stage1/rootfs/etc/rkt-hosts\n"), "\(good.out)")
        let bad: [([UInt8], String)] = [
            (plan(["mount", "proc", "/etc/evil", "proc", "14", "", "d"]), #""mount": path "/etc/evil" is not relative to the pod"#),
            (plan(["mount", "proc", "etc/evil", "proc", "14", "", "d"]), #""mount": path "etc/evil" is outside the pod's root"#),
            (plan(["mount", "proc", "stage1/rootfsX", "proc", "14", "", "d"]), "is outside the pod's root"),
            (plan(["mount", "proc", root + "/../../etc", "proc", "14", "", "d"]), "is not clean"),
            (plan(["mount", "proc", root + "//etc", "proc", "14", "", "d"]), "is not clean"),
            (plan(["symlink", "/", root + "/opt/stage2/a/rootfs/./x"]), "is not clean"),
            (plan(["mknod", "/dev/sda", "20666", "8", "0"]), "is not relative to the pod"),
            (plan(["mknod", "dev/sda", "20666", "8", "0"]), "is outside the pod's root"),
            (plan(["mknod", root + "/dev/sda", "60666", "8", "0"]), "is not a character device's"),
            (plan(["mount", "../up", root + "/x", "", "4096", "", "d"]), "bind source"),
            (plan(["mount", "/etc/../x", root + "/x", "", "4096", "", "d"]), "bind source \"/etc/../x\" is not a clean path"),
            (plan(["mount", "/etc", root + "/x", "proc", "0", "", "d"]), "of a mount that is not a bind"),
            (plan(["mount", "proc", root + "/x", "pr oc", "0", "", "d"]), "bad file system type"),
            (plan(["overlay", target, "overlay/a/upper", "overlay/a/work", "1", "relative/lower"]), "lower layer \"relative/lower\" is not a clean absolute path"),
            (plan(["overlay", target, "overlay/a/upper", "overlay/a/work", "2", "/t/rootfs", "/"]), "lower layer \"/\""),
            (plan(["overlay", target, "overlay/a/upper", "overlay/a/work", "0"]), "\"overlay\": 0 lower layers (1 to 500)"),
            (plan(["overlay", target, "overlay/a/upper", "overlay/a/work", "501"] + Array(repeating: "/t", count: 501)), "501 lower layers"),
            (plan(["overlay", target, "overlay/a/upper", "overlay/a/work", "3", "/t/rootfs", "/u/rootfs"]), #"lower layer "app" is not a clean absolute path"#),
            (plan(["overlay", target, "/abs/upper", "overlay/a/work", "1", "/t/rootfs"]), #"path "/abs/upper" is not relative to the pod"#),
            (plan(["overlay", target, "overlay/a/upper", "overlay/../../work", "1", "/t/rootfs"]), "is not clean"),
            (plan(["overlay", "overlay/a", "overlay/a/upper", "overlay/a/work", "1", "/t/rootfs"]), "is outside the pod's root"),
            (plan(["readonly", "/"]), "is not relative to the pod"),
            (plan(["frobnicate", "x"]), #"unknown keyword "frobnicate""#),
            (plan(["net", "none"]), #"bad net "none""#),
            (plan(["net", "run/netns/x"]), #"bad net "run/netns/x""#),
            (plan(["net", "/run/netns/../x"]), #"bad net "/run/netns/../x""#),
            (plan(["net", "/"]), #"bad net "/""#),
            (plan(["net", "host", "net", "/run/netns/x"]), "net"),
            (plan([], app: ["app", "a", "approot", "/", "exec", "1", "/bin/sh", "end"]), #"approot "/" is not"#),
            (
                plan([], app: ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "env", "1", "noequals", "end"]),
                "bad environment entry"
            ),
            (
                plan(
                    [],
                    app: [
                        "app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "mount", "proc",
                        root + "/x", "proc", "0", "", "d", "end",
                    ]), #"unknown keyword "mount" in app a"#
            ),
            (plan([], app: app + ["mount"]), "data after end"),
            (
                plan([], app: ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "seccomp", "abc", "end"]),
                "app a: seccomp filter of 3 hex digits"
            ),
            (
                plan([], app: ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "seccomp", "0600000000000g00", "end"]),
                "app a: bad hex digit in seccomp filter"
            ),
            (
                plan([], app: ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "seccomp", String(repeating: "0", count: 16 * 4097), "end"]),
                "seccomp filter of 65552 hex digits"
            ),
            (
                plan(
                    [],
                    app: ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "1", "/bin/sh", "seccomp", "0600000000000000", "seccomp", "0600000000000000", "end"]),
                #"duplicate "seccomp" in app a"#
            ),
            (tokens("version", "5", "hostname", "x", "root", root, "end"), #""root" is not the second record"#),
            (tokens("version", "5", "root", "/p/stage1/rootfs", "end"), #""root": path "/p/stage1/rootfs" is not relative to the pod"#),
            (tokens("version", "5", "root", "stage1/../..", "end"), #""root": path "stage1/../.." is not clean"#),
            (tokens("version", "1", "root", root, "end"), #"unsupported version "1""#),
            (Array(plan([]).dropLast()), "does not end with a NUL"),
            (plan([], app: ["app", "a", "approot", "/opt/stage2/a/rootfs", "exec", "9", "/bin/sh", "end"]), "missing token"),
        ]
        for (bytes, message) in bad {
            let result = try checkPlan(bytes, in: scratch)
            #expect(
                result.code == 254 && result.err.hasPrefix("stage1: bad plan: ") && result.err.contains(message),
                "expected \(message): exit \(result.code) \(result.err)")
            #expect(result.out.isEmpty)
        }
    }
}
