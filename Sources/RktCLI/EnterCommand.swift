import CLISupport
import FoundationEssentials
import Glibc
import GoCompat
import ImageKit
import LinuxSystem
import PodKit

extension Rkt {
    static let enterCommand = RktCommand(
        name: "enter", summary: "Enter the namespaces of an app within a rkt pod", usage: "[--app=APPNAME] UUID [CMD [ARGS ...]]",
        long: """
            UUID should be the UUID of a running pod.

            By default the CMD that is run is /bin/bash, providing the user with shell
            access to the running pod.
            """,
        flags: [.string("app", "name of the app to enter within the specified pod")],
        interspersed: false,
        run: { context in enter(context) })

    /// rkt enter with coreos semantics (PATH lookup inside the app) and without rkt's
    /// CVE-2019-10144/10145/10147: the command gets the app's credentials, capability
    /// bounding set, no_new_privs and seccomp filter, and no host file descriptors.
    private static func enter(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        guard let uuid = flags.arguments.first else { return context.usage() }
        var command = Array(flags.arguments.dropFirst()) + flags.passThrough
        if command.first == "--" { command.removeFirst() }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        let pod: Pod
        do throws(PodError) {
            pod = try pods.resolve(uuid)
        } catch {
            return context.fail("problem retrieving pod: \(error)")
        }
        do throws(PodError) {
            guard pod.state == .running else { throw .notRunning(pod.uuid) }
            let names = pod.appNames()
            var app = flags.string("app")
            if app.isEmpty {
                guard names.count == 1 else {
                    context.console.error("pod contains multiple apps:")
                    for name in names { context.console.error("\t\(name)") }
                    throw .invalid("unable to determine app name: specify app using \"rkt enter --app= ...\"")
                }
                app = names[0]
            }
            guard names.contains(app) else { throw .invalid("pod \(goQuote(pod.uuid)) has no app \(goQuote(app))") }
            let runtime = try Stage1Launcher.runtime(of: pod, app: app)
            let pid = try PodEnter.initPID(of: pod, pods: pods)
            var environment = runtime.environment.filter { !$0.hasPrefix("TERM=") }
            environment.append("TERM=" + (ProcessInfo.processInfo.environment["TERM"] ?? "vt100"))
            let appRoot = PodEnter.appRoot(app: app, initPID: pid)
            if command.isEmpty {
                context.console.error("enter: no command specified, assuming \"/bin/bash\"")
                command = [access(appRoot + "/bin/bash", X_OK) == 0 || access(appRoot + "/bin/sh", X_OK) != 0 ? "/bin/bash" : "/bin/sh"]
            }
            let path = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? AppRuntimeBuilder.defaultPath
            guard PodEnter.findCommand(command[0], appRoot: appRoot, path: path) else {
                throw .invalid(
                    "cannot run \(goQuote(command[0])) in app \(goQuote(app)): not found in its PATH (\(path)); the image has no such command — add a tools image as a dependency (actool patch-manifest --add-dependency)"
                )
            }
            let seccomp = try runtime.seccompProgram(enabled: Stage1Launcher.seccompEnabled(pod))
            return try PodEnter.run(command, app: runtime, initPID: pid, environment: environment, seccomp: seccomp)
        } catch {
            return context.fail("\(error)")
        }
    }
}
