import CLISupport
import CLinux
import Foundation
import Glibc
import GoCompat
import ImageKit
import LinuxSystem
import PodKit

extension Rkt {
    static let enterCommand = RktCommand(
        name: "enter", summary: "Enter the namespaces of an app within a rkt pod", usage: "[--app=APPNAME] UUID [CMD [ARGS ...]]",
        flags: [FlagSpec(name: "app", kind: .string, defaultValue: "", usage: "name of the app to enter within the specified pod")],
        interspersed: false,
        run: { context in enter(context) })

    /// rkt enter with coreos semantics (PATH lookup inside the app) and without rkt's
    /// CVE-2019-10144/10145/10147: the command gets the app's credentials, capability
    /// bounding set and no_new_privs, and no host file descriptors.
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
            let pid = try waitForInit(pod, pods: pods)
            var environment = runtime.environment.filter { !$0.hasPrefix("TERM=") }
            environment.append("TERM=" + (ProcessInfo.processInfo.environment["TERM"] ?? "vt100"))
            let appRoot = "/proc/\(pid)/root" + Pod.appRootInPod(app)
            if command.isEmpty {
                context.console.error("enter: no command specified, assuming \"/bin/bash\"")
                command = [access(appRoot + "/bin/bash", X_OK) == 0 || access(appRoot + "/bin/sh", X_OK) != 0 ? "/bin/bash" : "/bin/sh"]
            }
            let path = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? AppRuntimeBuilder.defaultPath
            guard findCommand(command[0], root: appRoot, path: path) else {
                throw .invalid("cannot run \(goQuote(command[0])) in app \(goQuote(app)): not found in its PATH (\(path)); the image has no such command — add a tools image as a dependency (actool patch-manifest --add-dependency)")
            }
            return try run(command, in: runtime, pid: pid, environment: environment)
        } catch {
            return context.fail("\(error)")
        }
    }

    /// The pod init's pid, waiting (100 ms steps) while the pod runs but has not written it yet.
    private static func waitForInit(_ pod: Pod, pods: PodStore) throws(PodError) -> Int32 {
        var current = pod
        while true {
            if let pid = current.initPID { return pid }
            usleep(100_000)
            guard let reloaded = pods.load(pod.uuid, folder: .run), reloaded.state == .running else {
                throw .notRunning(pod.uuid)
            }
            current = reloaded
        }
    }

    /// Whether `name` resolves to an executable inside the app root the way execvp will.
    private static func findCommand(_ name: String, root: String, path: String) -> Bool {
        let candidates = name.contains("/") ? [name.hasPrefix("/") ? name : "/" + name]
            : path.split(separator: ":").map { String($0) + "/" + name }
        return candidates.contains { access(root + $0, X_OK) == 0 }
    }

    private static func run(_ command: [String], in runtime: AppRuntime, pid: Int32, environment: [String]) throws(PodError) -> Int32 {
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        let root = strdup(Pod.appRootInPod(runtime.name)), cwd = strdup(runtime.workingDirectory)
        defer { free(root); free(cwd) }
        var groups = runtime.supplementaryGIDs.map { UInt32($0) }
        var failedStep: Int32 = 0
        let status: Int32 = argv.withUnsafeMutableBufferPointer { argvBuffer in
            envp.withUnsafeMutableBufferPointer { envBuffer in
                groups.withUnsafeMutableBufferPointer { groupBuffer in
                    var spec = clinux_enter_spec()
                    spec.pid = pid
                    spec.approot = UnsafePointer(root)
                    spec.cwd = UnsafePointer(cwd)
                    spec.argv = UnsafePointer(argvBuffer.baseAddress)
                    spec.envp = UnsafePointer(envBuffer.baseAddress)
                    spec.uid = runtime.uid
                    spec.gid = runtime.gid
                    spec.ngroups = groupBuffer.count
                    spec.groups = UnsafePointer(groupBuffer.baseAddress)
                    spec.caps = runtime.capabilities
                    OpenFileLimit.restore()  // the command gets the user's limit, not rkt's raised one
                    return clinux_pod_enter(&spec, &failedStep)
                }
            }
        }
        if status < 0 {
            let steps = [1: "joining the pod's namespaces", 2: "chroot into the app", 3: "changing directory",
                         4: "setting the app's credentials", 5: "executing \(goQuote(command[0]))"]
            throw .invalid("\(steps[Int(failedStep)] ?? "entering the pod"): \(errnoText(-status))")
        }
        return WaitStatus(raw: status).shellCode
    }
}
