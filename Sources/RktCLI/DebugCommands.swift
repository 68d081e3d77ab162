import Glibc
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
