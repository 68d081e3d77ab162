import Foundation
import Glibc
import TestSupport
import Testing

extension Pods {
    /// Pods started beside the commands that collect and remove: every pod runs to its
    /// end, every command succeeds, and one `rkt gc` afterwards leaves the host as it was.
    @Suite struct Concurrency {
        @Test(.timeLimit(.minutes(6)))
        func runsBesideCollectionsAndRemovals() throws {
            guard preconditionsMet() else { return }
            let host = HostState()
            let world = try PodWorld()
            defer { world.cleanup() }
            var pods = 0
            for round in 0..<max(3, FaultRun.rounds / 4) {
                let others = try (0..<3).map { try world.scratch.image("other-\(round)-\($0).aci", name: "example.com/other-\(round)-\($0)") }
                let otherKeys = world.rkt(["fetch", "--full"] + others).outLines.map { String($0) }
                #expect(otherKeys.count == 3, "round \(round)")
                var commands: [[String]] = (0..<4).map { n in
                    ["run", n % 2 == 0 ? "--net=host" : "--net=default", world.image, "--exec", "/bin/sh", "--", "-c", "echo pod-\(round)-\(n); sleep 0.3"]
                }
                // (image gc keeps its default grace period: with 0s it may take an image a
                // starting run has just fetched, as rkt's would.)
                commands += [
                    ["gc", "--grace-period=0s"], ["gc", "--grace-period=0s"], ["image", "gc"],
                    ["image", "rm"] + otherKeys, ["list", "--no-legend"], ["image", "list", "--no-legend"],
                ]
                let children = try commands.map { try ChildProcess(world.rktPath, world.arguments($0), scratch: world.scratch) }
                let results = children.map { $0.wait(timeout: 120) }
                for (n, (command, result)) in zip(commands, results).enumerated() {
                    #expect(result.code == 0, "round \(round): \(command.prefix(3)): \(result)")
                    if command[0] == "run" {
                        pods += 1
                        #expect(result.out.contains("pod-\(round)-\(n)"), "round \(round): pod \(n) ran: \(result)")
                    }
                }
                let images = world.rkt(["image", "list", "--no-legend", "--full", "--fields=id"]).outLines.map { String($0) }
                #expect(Set(images).isDisjoint(with: otherKeys), "round \(round): removed images are gone")
            }
            print("concurrency: \(pods) pods started beside gc, image gc, image rm and list, all ran")
            #expect(world.rkt(["gc", "--grace-period=0s"]).code == 0)
            #expect(world.allPodDirectories().isEmpty, "pods left: \(world.allPodDirectories())")
            host.expectUnchanged("after concurrent runs", world: world)
        }
    }
}
