import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// Pods under SIGKILL: `rkt run` killed before, while and after stage1 starts, `rkt gc`
    /// and `rkt rm` killed mid-way. After each kill `rkt list` still works; at the end one
    /// `rkt gc` leaves no pod dir, no mount, no pod cgroup, no veth and no pod process, and
    /// a new pod runs.
    @Suite struct Faults {
        @Test(.timeLimit(.minutes(8)))
        func killedRunsCollectionsAndRemovalsLeaveNothing() throws {
            guard preconditionsMet() else { return }
            let host = HostState()
            let world = try PodWorld()
            defer { world.cleanup() }
            var random = SplitMix64(seed: FaultRun.seed)
            // How long an undisturbed pod takes, so that kills spread over its whole life.
            let started = Date()
            let baseline = world.rkt(["run", world.image, "--exec", "/bin/sleep", "--", "1"])
            #expect(baseline.code == 0, "\(baseline)")
            let lifetime = Date().timeIntervalSince(started)
            _ = world.rkt(["gc", "--grace-period=0s"])
            var kills: [String: Int] = [:]
            for round in 0..<FaultRun.rounds {
                let context = "seed \(FaultRun.seed), round \(round)"
                let pods = world.rkt(["list", "--no-legend", "--full"]).outLines.compactMap { $0.split(separator: "\t").first.map(String.init) }
                let command: [String]
                let delay: Double
                switch random.next() % 4 {
                case 0, 1:
                    // Half the pods on the default network (a veth, a netns mount, NAT rules).
                    let net = random.next() % 2 == 0 ? "--net=host" : "--net=default"
                    command = ["run", net, world.image, "--exec", "/bin/sleep", "--", "1"]
                    delay = lifetime * 1.2 * Double(random.next() % 1000) / 1000
                case 2:
                    command = ["gc", "--grace-period=0s"]
                    delay = 0.06 * Double(random.next() % 1000) / 1000
                default:
                    guard let pod = pods.randomElement(using: &random) else { continue }
                    command = ["rm", pod]
                    delay = 0.04 * Double(random.next() % 1000) / 1000
                }
                let child = try ChildProcess(world.rktPath, world.arguments(command), scratch: world.scratch)
                usleep(UInt32(delay * 1_000_000))
                kill(child.pid, SIGKILL)
                let result = child.wait(timeout: 60)
                if result.signaled { kills[command[0], default: 0] += 1 }
                let list = world.rkt(["list", "--no-legend"])
                #expect(list.code == 0 && list.err.isEmpty, "\(context) (\(command[0]) killed after \(delay) s): \(list)")
            }
            print("faults: seed \(FaultRun.seed), \(FaultRun.rounds) rounds, killed mid-way: \(kills.sorted { $0.key < $1.key })")
            #expect(kills["run", default: 0] > 0, "seed \(FaultRun.seed): no run was killed mid-way: \(kills)")
            let gc = world.rkt(["gc", "--grace-period=0s"])
            #expect(gc.code == 0, "seed \(FaultRun.seed): \(gc)")
            #expect(world.allPodDirectories().isEmpty, "seed \(FaultRun.seed), kills \(kills): pods left: \(world.allPodDirectories())")
            host.expectUnchanged("seed \(FaultRun.seed), kills \(kills)", world: world)
            let rerun = world.runShell("echo alive")
            #expect(rerun.code == 0 && rerun.out.contains("alive"), "\(rerun)")
        }

        /// A full disk (an 8 MiB tmpfs) under `actool build`, `patch-manifest --replace` and
        /// `rkt fetch`: a clear error naming the problem, nothing half-written, the space
        /// given back, the original image byte for byte, and the store still working.
        @Test(.timeLimit(.minutes(3)))
        func fullDisksAreClearErrorsThatLoseNothing() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let small = world.scratch.mkdir("small")
            guard mount("tmpfs", small, "tmpfs", 0, "size=8m,mode=0755") == 0 else {
                Issue.record("cannot mount a tmpfs on \(small): \(String(cString: strerror(errno)))")
                return
            }
            defer { umount2(small, Int32(MNT_DETACH)) }
            let free = freeBytes(small)
            var random = SplitMix64(seed: FaultRun.seed)
            let actool = buildDirectory + "/actool"

            // build: the image does not fit.
            let layout = world.scratch.mkdir("layout")
            _ = world.scratch.mkdir("layout/rootfs")
            world.scratch.write("layout/manifest", busyboxManifest)
            world.scratch.write("layout/rootfs/noise", random.printableText(12 << 20))
            let build = try run([actool, "build", layout, small + "/out.aci"])
            #expect(build.code == 1 && build.err.contains("no space left on device") && build.errLines.count == 1, "\(build)")
            #expect(directoryEntries(small).isEmpty && freeBytes(small) == free, "build left \(directoryEntries(small))")

            // patch-manifest --replace: the patched copy does not fit beside the original.
            let image = try world.scratch.image("five.aci", name: "example.com/five", files: ["noise": random.printableText(5 << 20)])
            let target = small + "/five.aci"
            _ = try run(["/bin/cp", image, target])
            let original = FileManager.default.contents(atPath: target)
            let patch = try run([actool, "patch-manifest", "--replace", "--set-annotation=example.com/grown=yes", target])
            #expect(patch.code == 1 && patch.err.contains("no space left on device") && patch.errLines.count == 1, "\(patch)")
            #expect(FileManager.default.contents(atPath: target) == original, "the original must stay byte for byte")
            #expect(directoryEntries(small) == ["five.aci"], "patch-manifest left \(directoryEntries(small))")
            unlink(target)

            // rkt fetch: a store on the full disk refuses the big image, then takes a small one.
            let store = ["--dir=\(small)/data", "--insecure-options=image"]
            let big = try world.scratch.image("twelve.aci", name: "example.com/twelve", files: ["noise": random.printableText(12 << 20)])
            let fetch = world.rktAsWritten(store + ["fetch", big])
            #expect(fetch.code != 0 && fetch.err.contains("no space left on device") && fetch.err.contains(small), "\(fetch)")
            // The same over HTTP (a server on loopback): the download's scratch file fills the disk.
            let served = world.scratch.mkdir("served")
            _ = try run(["/bin/cp", big, served + "/twelve.aci"])
            let server = try TestServer(root: served)
            let download = world.rktAsWritten(["--dir=\(small)/data", "--insecure-options=image,http", "fetch", server.base + "/twelve.aci"])
            #expect(download.code != 0 && download.err.contains("no space left on device") && download.err.contains(small), "\(download)")
            // (an empty list is one empty line, as rkt prints it)
            #expect(world.rktAsWritten(store + ["image", "list", "--no-legend"]).out == "\n", "a failed fetch lists nothing")
            #expect(directoryEntries(small + "/data/cas/tmp").isEmpty, "cas/tmp: \(directoryEntries(small + "/data/cas/tmp"))")
            let again = world.rktAsWritten(store + ["fetch", world.image])
            #expect(again.code == 0, "after a failed fetch the store takes an image that fits: \(again)")
            #expect(world.rktAsWritten(store + ["image", "verify", String(again.outLines.first ?? "")]).code == 0)
        }
    }
}

/// Free bytes of the file system holding `path`.
private func freeBytes(_ path: String) -> UInt64 {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return 0 }
    return UInt64(info.f_bavail) * UInt64(info.f_frsize)
}

/// What pods leave on the host: mounts, pod cgroups, network links, processes.
struct HostState {
    let mounts = hostMountPoints()
    let cgroups = HostState.podCgroups()
    let links = directoryEntries("/sys/class/net")

    static func podCgroups() -> [String] {
        var found: [String] = []
        func walk(_ path: String, _ depth: Int) {
            guard depth < 7 else { return }
            for name in directoryEntries(path) where name != "." {
                let child = path + "/" + name
                var info = stat()
                guard lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
                if name.hasPrefix("machine-rkt") { found.append(child) } else { walk(child, depth + 1) }
            }
        }
        walk("/sys/fs/cgroup", 0)
        return found.sorted()
    }

    /// Processes whose command line names `path` (a pod's stage1 or app, by its data dir).
    static func processes(mentioning path: String) -> [String] {
        directoryEntries("/proc").compactMap { pid -> String? in
            guard Int32(pid) != nil, Int32(pid) != getpid(),
                let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !line.isEmpty
            else { return nil }
            let text = String(decoding: line.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return text.contains(path) ? "\(pid): \(text)" : nil
        }
    }

    func expectUnchanged(_ context: String, world: PodWorld, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(hostMountPoints() == mounts, "\(context): mounts", sourceLocation: sourceLocation)
        #expect(HostState.podCgroups() == cgroups, "\(context): pod cgroups", sourceLocation: sourceLocation)
        #expect(directoryEntries("/sys/class/net") == links, "\(context): network links", sourceLocation: sourceLocation)
        #expect(HostState.processes(mentioning: world.data).isEmpty, "\(context): pod processes", sourceLocation: sourceLocation)
    }
}
