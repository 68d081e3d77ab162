import CLISupport
import GoCompat
import ImageKit
import ImageRender
import ImageStore
import LinuxSystem
import PodKit

extension Rkt {
    static let imageExtract = RktCommand(
        name: "extract", summary: "Extract a stored image to a directory", usage: "IMAGE OUTPUT_DIR",
        long: """
            IMAGE should be a string referencing an image: either a ID or an image name.

            Note that in order to make cleaning up easy (just rm -rf), extract does not use
            overlayfs or any other mechanism.
            """,
        flags: [
            .bool("overwrite", "overwrite output directory"),
            .bool("rootfs-only", "extract rootfs only"),
        ],
        run: { context in
            let flags = context.flags
            return renderOrExtract(context) { trees, key, dir in
                try trees.extract(key: key, to: dir, rootfsOnly: flags.bool("rootfs-only"), overwrite: flags.bool("overwrite"))
            }
        })

    static let imageRender = RktCommand(
        name: "render", summary: "Render a stored image to a directory with all its dependencies", usage: "IMAGE OUTPUT_DIR",
        long: """
            IMAGE should be a string referencing an image: either a ID or an image name.

            This differs from extract in that the rendered image is in the state the app
            would see when running in rkt, dependencies and all.

            Note that in order to make cleaning up easy (just rm -rf), this does not use
            overlayfs or any other mechanism.
            """,
        flags: [
            .bool("overwrite", "overwrite output directory"),
            .bool("rootfs-only", "render rootfs only"),
        ],
        run: { context in
            let flags = context.flags
            return renderOrExtract(context) { trees, key, dir in
                try trees.renderCopy(key: key, to: dir, rootfsOnly: flags.bool("rootfs-only"), overwrite: flags.bool("overwrite"))
            }
        })

    static let imageVerify = RktCommand(
        name: "verify", summary: "Verify one or more rendered images in the local store", usage: "IMAGE...",
        long: """
            Verify is able to check that, based on the stored hash value, a rendered image on disk has not changed.

            This command may be used if the user suspects disk corruption might have damaged the rkt store.
            """,
        run: { context in
            let flags = context.flags
            guard !flags.arguments.isEmpty else { return context.usage() }
            // rkt's image verify: a tree that fails is rendered again; one never rendered
            // (we render on first use) needs no verification.
            let store: ImageStore
            do {
                store = try context.openStore()
            } catch {
                return context.fail("cannot open store: \(error)")
            }
            let trees = TreeStore(store: store)
            for argument in flags.arguments {
                let record: ImageRecord
                do {
                    record = try resolveImage(argument, in: store)
                } catch {
                    return context.fail("unable to resolve store key for image \(argument): \(error)")
                }
                do throws(RenderError) {
                    _ = try trees.verify(key: record.key)
                    context.console.out("successfully verified checksum for image: \(goQuote(argument)) (\(goQuote(record.key)))\n")
                } catch .notRendered {
                    context.console.out("image \(goQuote(argument)) not rendered; no verification needed\n")
                } catch {
                    context.console.out("tree cache verification failed for image \(argument): \(error);  rebuilding...\n")
                    do {
                        _ = try trees.render(key: record.key, rebuild: true)
                    } catch {
                        return context.fail("unable to repair cache for image \(argument): \(error)")
                    }
                }
            }
            return 0
        })

    static let imageGC = RktCommand(
        name: "gc", summary: "Garbage collect local store", usage: "",
        long: """
            This is intended to be run periodically from a timer or cron job.

            The default grace period is 24h. Use --grace-period=0s to effectively disable
            the grace-period.
            """,
        flags: [.string("grace-period", default: "24h0m0s", "duration to wait since an image was last used before removing it").plain()],
        run: { context in
            let flags = context.flags
            let grace: Int64
            do throws(GoDurationError) {
                grace = try GoDuration.parse(flags.string("grace-period"))
            } catch {
                return context.usageError("invalid argument \(goQuote(flags.string("grace-period"))) for --grace-period=\(flags.string("grace-period")): \(error)")
            }
            do {
                let store = try context.openStore()
                if let count = try store.repairIndexIfDamaged() {
                    context.console.error("gc: the image index was damaged: rebuilt it from \(count) stored image(s); the damaged file is cas/db/images.db.damaged")
                }
                let trees = TreeStore(store: store)
                // A tree stays while any pod (even exited, until `rkt gc`) runs or may run from it.
                // As rkt, a user who cannot list the pods or the trees (not root) stops here.
                let removedTrees: [String]
                do {
                    var referenced: Set<String> = []
                    for pod in try PodStore(dataDirectory: context.dataDirectory).listPods(in: PodFolder.allCases) {
                        for name in pod.appNames() { referenced.formUnion(pod.treeStoreIDs(app: name)) }
                    }
                    removedTrees = try trees.removeTrees(except: referenced)
                } catch {
                    return context.fail("failed to remove unreferenced treestores: \(error)")
                }
                for id in removedTrees {
                    context.console.error("gc: removed treestore \(goQuote(id))")
                }
                let cutoff = WallClock.nanoseconds() - grace
                // One transaction for them all: a kill part-way removes none or all.
                let expired = try store.records().filter { $0.lastUsed < cutoff }
                try store.remove(expired.map(\.key))
                for record in expired {
                    context.console.out("successfully removed aci for image: \(goQuote(record.key))\n")
                }
                _ = try store.removeUnlistedFiles()
                _ = trees.pruneLayers()
                context.console.error("gc: \(expired.count) image(s) successfully removed")
                return 0
            } catch {
                return context.fail("\(error)")
            }
        })

    private static func renderOrExtract(
        _ context: RktContext, _ body: (TreeStore, String, String) throws -> Void
    ) -> Int32 {
        let flags = context.flags
        guard flags.arguments.count == 2 else { return context.usage() }
        do {
            let store = try context.openStore()
            let record = try resolveImage(flags.arguments[0], in: store)
            try body(TreeStore(store: store), record.key, flags.arguments[1])
            return 0
        } catch {
            return context.fail("\(error)")
        }
    }
}
