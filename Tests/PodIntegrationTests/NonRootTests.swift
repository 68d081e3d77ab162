import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// A data directory shared as rkt's packages share it (`scripts/setup-data-dir.sh`):
    /// members of group `rkt` read pods and use the image store but cannot touch rendered
    /// trees; other users are told why they cannot (rkt's TestNonRootReadInfo and
    /// TestNonRootFetchRmGCImage).
    @Suite struct NonRoot {
        /// The groups the script makes, removed afterwards if this test made them.
        final class Groups {
            private var made: [String] = []
            init() {
                for name in ["rkt", "rkt-admin"] where getgrnam(name) == nil { made.append(name) }
            }
            var rktGID: gid_t? { getgrnam("rkt").map { $0.pointee.gr_gid } }
            func remove() {
                for name in made { _ = try? run(["groupdel", name]) }
            }
        }

        @Test(.timeLimit(.minutes(3)))
        func groupMembersReadAndFetchButCannotCollectTrees() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let groups = Groups()
            defer { groups.remove() }
            chmod(world.scratch.path, 0o755)
            let config = world.scratch.file("etc")
            let setup = try run([repositoryRoot + "/scripts/setup-data-dir.sh", world.data, config])
            #expect(setup.code == 0, "\(setup)")
            let gid = try #require(groups.rktGID, "setup-data-dir.sh made group rkt")
            func mode(_ path: String) -> (mode_t, gid_t) {
                var info = stat()
                _ = stat(path, &info)
                return (info.st_mode & 0o7777, info.st_gid)
            }
            #expect(mode(world.data) == (0o2750, gid))
            #expect(mode(world.data + "/cas") == (0o2770, gid))
            #expect(mode(world.data + "/cas/tree") == (0o2700, gid))
            #expect(mode(world.data + "/pods/run") == (0o2750, gid))
            #expect(mode(config).0 == 0o2775)

            // Root fetches and runs; the pod's directory joins the group.
            let ran = world.rkt("run", world.image, "--exec", "/bin/true")
            #expect(ran.code == 0, "\(ran)")
            let id = try #require(world.rkt("image", "list", "--no-legend", "--full").out.split(separator: "\t").first.map(String.init))
            #expect(mode(world.data + "/cas/db/images.db") == (0o660, gid))

            func asUser(_ group: gid_t, _ args: [String]) -> RunResult {
                let child = try? ChildProcess(
                    "/usr/bin/setpriv", ["--reuid=65534", "--regid=\(group)", "--clear-groups", world.rktPath] + world.arguments(args),
                    scratch: world.scratch)
                return child?.wait(timeout: 60) ?? RunResult(code: -1, out: "", err: "setpriv did not start")
            }
            // A member reads pods and images...
            let list = asUser(gid, ["list", "--no-legend"])
            #expect(list.code == 0 && list.out.contains("exited"), "\(list)")
            let images = asUser(gid, ["image", "list", "--no-legend"])
            #expect(images.code == 0 && images.out.hasPrefix(String(id.prefix(19))), "\(images)")
            // ...may not collect rendered trees...
            let gc = asUser(gid, ["image", "gc", "--grace-period=0s"])
            #expect(gc.code == 254 && gc.err.contains("failed to remove unreferenced treestores: open \(world.data)/cas/tree: permission denied"), "\(gc)")
            // ...and fetches and removes images, root's and its own.
            let removed = asUser(gid, ["image", "rm", id])
            #expect(removed.code == 0 && removed.out.contains("successfully removed aci for image: \"\(id)\""), "\(removed)")
            let fetched = asUser(gid, ["fetch", world.image])
            #expect(fetched.code == 0, "\(fetched)")
            #expect(mode(world.data + "/cas/db/images.db") == (0o660, gid), "the group keeps the index")
            let own = fetched.out.trimmingCharacters(in: "\n")
            #expect(asUser(gid, ["image", "rm", own]).code == 0)

            // Anyone else is told why not, and fails.
            let outsider = asUser(65534, ["list"])
            #expect(outsider.code == 254 && outsider.err == "list: failed to get pod handles: mkdir \(world.data)/pods: permission denied\n", "\(outsider)")
            let outsiderImages = asUser(65534, ["image", "list"])
            #expect(outsiderImages.code == 254 && outsiderImages.err == "list: cannot open store: mkdir \(world.data)/cas: permission denied\n", "\(outsiderImages)")
        }
    }
}
