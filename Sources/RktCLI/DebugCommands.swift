import FoundationEssentials
import Glibc
import ImageFetch
import PodKit

extension Rkt {
    static let bindCommand = RktCommand(
        name: "bind", summary: "Mount a host directory or file into a running pod", usage: "UUID SOURCE DESTINATION",
        flags: [
            .bool("read-only", "mount read-only"),
            .bool("mkdir", "create the destination (a directory, or an empty file for a file source) if it is missing"),
        ],
        run: { context in bind(context) })

    static let unbindCommand = RktCommand(
        name: "unbind", summary: "Unmount what rkt bind mounted in a running pod", usage: "UUID DESTINATION",
        run: { context in unbind(context) })

    static let debugCommand = RktCommand(
        name: "debug", summary: "Debug an app of a pod (live, without restarting it) or an image, with a tools image",
        usage: "UUID|IMAGE [--app=NAME] [--image=IMAGE] [--user=UID[:GID]] [--chroot] [-- CMD [ARG...]]",
        flags: [
            .string("app", "name of the app to debug within the specified pod"),
            .string("image", "tools image (a file, an image ID or a name, as rkt run takes it; default \(PodDebug.defaultToolsImage) from the store)"),
            .string("user", "run the session as UID[:GID] (default root)"),
            .bool("chroot", "the session's root is the app's, with the tools under \(PodDebug.toolsDirectory) (static tools only)"),
        ],
        run: { context in debug(context) })

    private static func debug(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard let uuid = flags.arguments.first, flags.arguments.count == 1 else { return context.usage() }
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        guard let insecure = insecureOptions(context) else { return context.usage() }
        var fetch = FetchOptions(
            insecure: insecure, pullPolicy: .new, signature: nil,
            systemConfig: flags.string("system-config"), localConfig: flags.string("local-config"),
            debug: context.debug, progress: isatty(2) == 1)
        fetch.trustKeysFromHTTPS = flags.bool("trust-keys-from-https")
        var request = PodDebug.Request(fetch: fetch)
        request.app = flags.string("app").isEmpty ? nil : flags.string("app")
        request.image = flags.string("image").isEmpty ? nil : flags.string("image")
        request.mode = flags.bool("chroot") ? .appRoot : .toolsRoot
        request.command = flags.passThrough.first == "--" ? Array(flags.passThrough.dropFirst()) : flags.passThrough
        request.term = ProcessInfo.processInfo.environment["TERM"]
        let user = flags.string("user")
        if !user.isEmpty {
            let parts = user.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let uid = UInt32(parts[0]), let gid = parts.count == 2 ? UInt32(parts[1]) : uid else {
                return context.fail("--user=\(user): expected UID or UID:GID (numbers)")
            }
            request.user = (uid, gid)
        }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        do throws(PodError) {
            let target = try debugTarget(uuid, pods: pods)
            return try PodDebug.run(request, target: target, pods: pods, log: { context.console.error($0) })
        } catch {
            return context.fail("\(error)")
        }
    }

    /// A pod by UUID (prefix), or else, when the argument can name one (a file, a name
    /// with a `/` or `.`, an image ID), an image.
    private static func debugTarget(_ argument: String, pods: PodStore) throws(PodError) -> PodDebug.Target {
        do throws(PodError) {
            return .pod(try pods.resolve(argument))
        } catch {
            let image = argument.contains("/") || argument.contains(".") || argument.hasPrefix("sha512-") || access(argument, F_OK) == 0
            if case .noMatch = error, image { return .image(argument) }
            throw .invalid("problem retrieving pod: \(error)")
        }
    }

    /// `machinectl bind` for our pods: DESTINATION is a path in the pod's stage1 root
    /// (`/opt/stage2/APP/rootfs/tools`), as the guide writes it.
    private static func bind(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard flags.arguments.count == 3 else { return context.usage() }
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        do throws(PodError) {
            let pod = try runningPod(flags.arguments[0], pods: pods)
            try PodBind.bind(
                flags.arguments[1], on: flags.arguments[2], in: pod, pods: pods,
                readOnly: flags.bool("read-only"), makeDestination: flags.bool("mkdir"))
            return 0
        } catch {
            return context.fail("\(error)")
        }
    }

    private static func unbind(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard flags.arguments.count == 2 else { return context.usage() }
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        do throws(PodError) {
            let pod = try runningPod(flags.arguments[0], pods: pods)
            try PodBind.unbind(flags.arguments[1], in: pod, pods: pods)
            return 0
        } catch {
            return context.fail("\(error)")
        }
    }

    /// The pod `uuid` names (a unique prefix), which must be running.
    static func runningPod(_ uuid: String, pods: PodStore) throws(PodError) -> Pod {
        let pod: Pod
        do throws(PodError) {
            pod = try pods.resolve(uuid)
        } catch {
            throw .invalid("problem retrieving pod: \(error)")
        }
        guard pod.state == .running else { throw .notRunning(pod.uuid) }
        return pod
    }
}
