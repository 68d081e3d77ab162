import AppcSchema
import Foundation
import PodKit
import TestSupport
import Testing

/// cobra's help, and the command-line values `run` takes (no pods needed).
struct HelpAndFlagsTests {
    @Test func helpIsCobras() {
        let s = Scratch()
        defer { s.remove() }
        let root = rkt(s.path, "help")
        #expect(root.code == 0)
        #expect(root.out.contains("  help               Help about any command\n"))
        #expect(root.out.contains("  run                Run image(s) in a pod in rkt\n"))
        let run = rkt(s.path, "run", "--help")
        #expect(run.code == 0)
        #expect(run.out.hasPrefix("Usage:\n  rkt run "))
        #expect(run.out.contains("Image flags"))
        let status = rkt(s.path, "help", "status")
        #expect(status.code == 0 && status.out.hasPrefix("Usage:\n  rkt status --uuid-file=FILE | UUID\n"))
        // After a run's image, --help is the image's business: not ours to answer.
        let unknown = rkt(s.path, "stat", "-h")
        #expect(unknown.code == 0 && unknown.out.contains("rkt status"))
    }

    @Test func volumesAndMountsParseAsRkts() throws {
        let volume = try Volume.parse(rktFlag: "data,kind=host,source=/srv/data,readOnly=true")
        #expect(volume.name.value == "data" && volume.kind == "host" && volume.source == "/srv/data")
        #expect(volume.readOnly == true)
        #expect(throws: PodError.self) { try Volume.parse(rktFlag: "data,kind=host,source=relative") }
        #expect(throws: PodError.self) { try Volume.parse(rktFlag: "data,colour=blue") }
        let mount = try Mount.parse(rktFlag: "volume=data,target=/data")
        #expect(mount.volume.value == "data" && mount.path == "/data")
        #expect(throws: PodError.self) { try Mount.parse(rktFlag: "volume=data") }
    }

    @Test func capabilityMasks() throws {
        // appc's 14 default capabilities, as /proc/PID/status prints the bounding set.
        #expect(String(try Capabilities.mask(Capabilities.defaultSet), radix: 16) == "a80425fb")
        #expect(try Capabilities.mask(["net_admin"]) == 1 << 12)
        #expect(throws: PodError.self) { try Capabilities.mask(["CAP_NOPE"]) }
    }

    @Test func pathsResolveInsideTheRoot() throws {
        let s = Scratch()
        defer { s.remove() }
        let root = s.file("root")
        try FileManager.default.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin", withDestinationPath: "usr/bin")
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: "../../../../etc")
        try FileManager.default.createSymbolicLink(atPath: root + "/abs", withDestinationPath: "/usr")
        let builder = try AppRuntimeBuilder(rootfs: root)
        #expect(try builder.resolveInRoot("/bin/sh", app: "a") == "/usr/bin/sh")
        #expect(try builder.resolveInRoot("/escape/passwd", app: "a") == "/etc/passwd")
        #expect(try builder.resolveInRoot("/abs/bin/../lib", app: "a") == "/usr/lib")
    }
}
