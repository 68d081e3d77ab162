import Cgroups
import Foundation
import Seccomp
import TestSupport
import Testing

@testable import PodKit

// The plan builder is pure: the same pod, apps, options and host facts give the same
// plan, byte for byte. These compare whole plans with the files in Golden/ (no root, no
// host probing). A deliberate change of the plan: run with UPDATE_GOLDEN=1, review the
// diff of Golden/, commit it.

private let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path
private let fuzzCorpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fuzz/plan-corpus").path
private let uuid = "0c6dd1d1-3f1e-4c8b-9a36-3ad1f9b1e2a4"

private func runtime(_ name: String, exec: [String] = ["/bin/sh"], mounts: [AppMount] = []) -> AppRuntime {
    AppRuntime(
        name: name, exec: exec, environment: ["PATH=/usr/bin:/bin", "AC_APP_NAME=\(name)"], uid: 0, gid: 0,
        supplementaryGIDs: [], workingDirectory: "/", capabilities: 0xa80425fb, mounts: mounts,
        readOnlyRootfs: false, noNewPrivileges: false, oomScoreAdj: nil, preStart: nil, postStop: nil)
}

/// The plan's text compared with `Golden/NAME.plan` (or written there with UPDATE_GOLDEN=1),
/// and its bytes accepted by stage1's reader (`rkt-stage1 --check-plan`).
private func expectGolden(_ plan: Stage1Plan, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let scratch = Scratch()
    defer { scratch.remove() }
    let check = try checkPlan(plan.bytes, in: scratch)
    #expect(check.code == 0, "stage1 refuses the plan: \(check.err)", sourceLocation: sourceLocation)
    let path = goldenDirectory + "/" + name + ".plan"
    // The same plan, as bytes, seeds the plan reader's fuzzer.
    let seed = fuzzCorpusDirectory + "/" + name
    if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
        try plan.text.write(toFile: path, atomically: true, encoding: .utf8)
        try Data(plan.bytes).write(to: URL(fileURLWithPath: seed))
        return
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    #expect(plan.text == expected, "plan differs from \(path) (UPDATE_GOLDEN=1 rewrites it)", sourceLocation: sourceLocation)
    #expect(FileManager.default.contents(atPath: seed).map(Array.init) == plan.bytes, "fuzz seed \(seed) is not the golden plan (UPDATE_GOLDEN=1)", sourceLocation: sourceLocation)
}

@Suite struct Stage1PlanGoldenTests {
    /// One app, defaults: an image with /etc (so /etc/mtab is linked), no /etc/hosts (so
    /// the pod's is bound), a host without the restricted kernel paths.
    @Test func oneAppWithDefaults() throws {
        let facts = HostFacts(images: ["busybox": ImageFacts(hasEtcDirectory: true)])
        let plan = try Stage1Plan.make(
            uuid: uuid, apps: [runtime("busybox")], trees: ["busybox": ["/var/lib/rkt/cas/tree/deps-sha512-aa/rootfs"]],
            volumes: [:], etc: etcFiles(), options: RuntimeOptions(), consoleApp: nil,
            stdin: .null, facts: facts)
        try expectGolden(plan, "one-app-defaults")
    }

    /// Two apps and everything a plan can say: every kernel path restricted, the pod's own
    /// network namespace and the host's IPC, resolv.conf, volumes (a recursive read-only directory,
    /// a file, an empty volume), a read-only rootfs, handlers, supplementary groups,
    /// oom score, no_new_privs, a seccomp filter (and an app without), cgroups in two v1
    /// hierarchies (one with two controllers) and an interactive console app.
    @Test func twoAppsWithEverything() throws {
        var web = runtime(
            "web", exec: ["/usr/bin/httpd", "-f", "-p", "8080"],
            mounts: [
                AppMount(volume: "data", path: "/srv/data", readOnly: false),
                AppMount(volume: "conf", path: "/etc/httpd.conf", readOnly: true),
                AppMount(volume: "scratch", path: "/scratch", readOnly: false),
            ])
        web.readOnlyRootfs = true
        web.preStart = ["/bin/prepare", "--quick"]
        web.postStop = ["/bin/cleanup"]
        web.uid = 1000
        web.gid = 1000
        web.supplementaryGIDs = [10, 20]
        web.oomScoreAdj = -500
        web.noNewPrivileges = true
        web.workingDirectory = "/srv"
        web.seccomp = SeccompFilter(mode: .remove, set: ["reboot"], syscalls: ["reboot"], errno: "EPERM")
        let tools = runtime("tools")  // no filter
        var options = RuntimeOptions()
        options.hostIPC = true
        options.hostname = "podhost"
        options.dns = ["10.0.0.1"]
        let volumes = [
            "data": VolumeSource(source: "/srv/data", readOnly: true, recursive: true),
            "conf": VolumeSource(source: "/etc/httpd.conf", readOnly: nil, recursive: false),
            "scratch": VolumeSource(source: "volumes/scratch", readOnly: false, recursive: false, checkSource: false),
        ]
        let facts = HostFacts(
            kernelPaths: Set(Stage1Plan.restrictedKernelPaths),
            images: [
                "web": ImageFacts(hasEtcDirectory: true, hasEtcMtab: true, hasEtcHosts: true),
                "tools": ImageFacts(),
            ],
            volumeSources: ["/srv/data": .directory, "/etc/httpd.conf": .file])
        var etc = etcFiles()
        etc.resolvConf = "stage1/rootfs/etc/rkt-resolv.conf"
        let plan = try Stage1Plan.make(
            uuid: uuid, apps: [web, tools],
            trees: [
                "web": ["/var/lib/rkt/cas/tree/deps-sha512-bb/rootfs"],
                // As with --debug-image: the app's tree, then the tools' below it.
                "tools": ["/var/lib/rkt/cas/tree/deps-sha512-cc/rootfs", "/var/lib/rkt/cas/tree/deps-sha512-dd/rootfs"],
            ],
            volumes: volumes, etc: etc, options: options, netns: "/run/netns/cni-5a1e0c7e-0000-4000-8000-000000000001",
            cgroups: PodCgroups(
                uuid: uuid, apps: ["web", "tools"],
                host: CgroupHost(hierarchies: [
                    CgroupHierarchy(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", controllers: ["cpu", "cpuacct"], ownPath: "/", unified: false),
                    CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"], ownPath: "/user.slice", unified: false),
                ])),
            consoleApp: "web", stdin: .inherit, facts: facts)
        try expectGolden(plan, "two-apps-everything")
    }

    /// What the facts decide: a missing volume source is refused with its errno, and
    /// the same inputs give the same bytes.
    @Test func factsDecide() throws {
        let app = runtime("a", mounts: [AppMount(volume: "v", path: "/v", readOnly: false)])
        let volumes = ["v": VolumeSource(source: "/nowhere", readOnly: false, recursive: false)]
        let trees = ["a": ["/t/rootfs"]]
        #expect(throws: PodError.invalid(#"volume "v": source "/nowhere": no such file or directory"#)) {
            try Stage1Plan.make(
                uuid: uuid, apps: [app], trees: trees, volumes: volumes, options: RuntimeOptions(),
                consoleApp: nil, stdin: .null, facts: HostFacts(volumeSources: ["/nowhere": .missing(ENOENT)]))
        }
        let facts = HostFacts(volumeSources: ["/nowhere": .file])
        let first = try Stage1Plan.make(
            uuid: uuid, apps: [app], trees: trees, volumes: volumes, options: RuntimeOptions(),
            consoleApp: nil, stdin: .null, facts: facts)
        let second = try Stage1Plan.make(
            uuid: uuid, apps: [app], trees: trees, volumes: volumes, options: RuntimeOptions(),
            consoleApp: nil, stdin: .null, facts: facts)
        #expect(first.bytes == second.bytes)
        #expect(first.text.contains(#"mount "/nowhere" "stage1/rootfs/opt/stage2/a/rootfs/v" "" "4096" "" "f""#))
    }

    private func etcFiles() -> PodEtcFiles {
        var etc = PodEtcFiles()
        etc.hosts = "stage1/rootfs/etc/rkt-hosts"
        etc.hostname = "stage1/rootfs/etc/hostname"
        return etc
    }
}
