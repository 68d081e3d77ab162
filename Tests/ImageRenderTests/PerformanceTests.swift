import Glibc
import ImageKit
import ImageStore
import TestSupport
import Testing

@testable import ImageRender

/// Why re-rendering is cheap: a 256 MiB app whose layer exists, rendered with a new 2 MiB
/// tools dependency, extracts only the new layer, and a rendered tree is used as it is.
/// These count the work done; the times are measured by `Benchmarks/pods.sh`.
struct PerformanceTests {
    @Test func renderingABigAppWithANewSmallDependencyIsCheap() throws {
        let f = try Fixture()
        var entries: [TarWriter.Entry] = [
            .file("manifest", manifestJSON("example.com/big", deps: [Dep(name: "example.com/tools")])),
            .directory("rootfs"), .directory("rootfs/opt"),
        ]
        let archive = f.dir.file("big.aci")
        let writer = try TarWriter(path: archive)
        for entry in entries { try writer.write(entry) }
        entries.removeAll()
        for i in 0..<4 {
            var data = [UInt8](repeating: 0, count: 64 << 20)
            for j in stride(from: 0, to: data.count, by: 4096) { data[j] = UInt8(truncatingIfNeeded: i &+ j >> 12) }
            try writer.write(TarWriter.Entry(name: "rootfs/opt/blob\(i)", kind: .file(data)))
        }
        try writer.close()
        let tools = { (version: String) throws -> String in
            var data = [UInt8](repeating: 0x61, count: 2 << 20)
            data[0] = UInt8(ascii: version == "1" ? "1" : "2")
            return try f.image(
                manifestJSON("example.com/tools", labels: ["version": version]),
                [
                    .directory("rootfs/tools"), TarWriter.Entry(name: "rootfs/tools/busybox", kind: .file(data), mode: 0o755),
                    .symlink("rootfs/tools/sh", to: "busybox"),
                ])
        }
        _ = try tools("1")
        let app = try f.store.importImage(from: archive).key

        let store = f.treeStore()
        let first = try store.render(key: app)
        #expect(store.layerExtractions == 2)

        _ = try tools("2")
        let tree = try store.render(key: app)
        #expect(store.layerExtractions == 3, "only the new tools layer is extracted")
        #expect(tree.id != first.id)
        #expect(readText(tree.rootfs + "/tools/busybox")?.first == "2")

        let cached = try store.render(key: app)
        #expect(store.layerExtractions == 3, "a rendered tree is used as it is")
        #expect(cached.id == tree.id)
    }
}
