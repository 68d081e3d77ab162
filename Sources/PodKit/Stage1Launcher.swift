import AppcSchema
import Cgroups
import FoundationEssentials
import Glibc
import GoCompat
import ImageKit
import LinuxSystem
import PodNetwork

/// stage0 -> stage1 handover (rkt-runtime.md §5.2): the pod goes to `run/`, the plan and
/// `ppid` are written, and this process becomes the stage1 supervisor by exec. The pod's
/// lock stays open across the exec: the pod runs exactly as long as stage1 holds it.
public struct Stage1Launcher {
    let pods: PodStore

    public init(pods: PodStore) { self.pods = pods }

    /// The runtime settings stage0 stored for each app of `pod`, in manifest order.
    public static func runtimes(of pod: Pod) throws(PodError) -> [AppRuntime] {
        var runtimes: [AppRuntime] = []
        for name in pod.appNames() {
            runtimes.append(try runtime(of: pod, app: name))
        }
        return runtimes
    }

    /// The stored runtime of app `name`.
    public static func runtime(of pod: Pod, app name: String) throws(PodError) -> AppRuntime {
        let path = pod.path + "/appsinfo/" + name + "/runtime.json"
        guard let data = FileManager.default.contents(atPath: path),
            let runtime = try? JSONDecoder().decode(AppRuntime.self, from: data)
        else {
            throw .invalid("cannot read app \(goQuote(name)) of pod \(goQuote(pod.uuid)): \(path)")
        }
        return runtime
    }

    /// Whether `pod`'s apps run under their seccomp filters, as its `runtime-config` says
    /// (false for a pod launched before filters existed: its apps run without one).
    public static func seccompEnabled(_ pod: Pod) -> Bool {
        struct Config: Decodable { var seccomp: Bool? }
        guard let data = FileManager.default.contents(atPath: pod.path + "/runtime-config"),
            let config = try? JSONDecoder().decode(Config.self, from: data)
        else { return false }
        return config.seccomp ?? false
    }

    /// The isolators app `app` of `pod` runs with: the pod manifest's (the command line's
    /// included), with the seccomp filter it really gets: rkt's default one spelled out
    /// when the app has none, none when the pod runs with `--insecure-options=seccomp`.
    public static func isolators(of pod: Pod, app: RuntimeApp) -> [Isolator] {
        var isolators = app.app?.isolators ?? []
        let seccompNames = [IsolatorName.seccompRemoveSet, IsolatorName.seccompRetainSet]
        // A pod not started yet will run filtered unless its run says otherwise.
        if pod.startedAt != 0, !seccompEnabled(pod) {
            isolators.removeAll { seccompNames.contains($0.name.value) }
        } else if !isolators.contains(where: { seccompNames.contains($0.name.value) }),
            let isolator = (try? runtime(of: pod, app: app.name.value))?.seccomp?.isolator
        {
            isolators.append(isolator)
        }
        return isolators
    }

    /// Everything up to the exec, separately so that it can fail cleanly: moves `pod`
    /// into `run/`, writes the plan, `runtime-config` and `ppid`. Returns the pod as it is now.
    /// `network` is what the pod joins when it has a network of its own.
    public func ready(_ pod: Pod, options: RuntimeOptions, network: PodNetwork.Joined? = nil) throws(PodError) -> Pod {
        let runtimes = try Self.runtimes(of: pod)
        guard !runtimes.isEmpty else { throw .invalid("pod \(goQuote(pod.uuid)) has no apps") }
        if options.interactive && runtimes.count > 1 { throw .invalid("interactive option only supports pods with one app") }
        var trees: [String: [String]] = [:]
        for app in runtimes {
            trees[app.name] = try pods.appTrees(of: pod, app: app.name, hint: "; prepare the pod again")
        }
        // The plan names places in the pod relative to it, so it is made before the pod
        // moves to run/, and a bad volume or tree fails before the pod moves.
        var volumes: [String: VolumeSource] = [:]
        for volume in pod.manifest()?.volumes ?? [] where volume.kind == "host" {
            volumes[volume.name.value] = VolumeSource(
                source: volume.source, readOnly: volume.readOnly,
                recursive: volume.recursive ?? true)
        }
        for volume in pod.manifest()?.volumes ?? [] where volume.kind == "empty" {
            let relative = PodPath.volume(volume.name.value)
            let directory = pod.path + "/" + relative
            if access(directory, F_OK) != 0 {
                try PodFiles.makeDirectories(directory)
                chmod(directory, mode_t(volume.mode.flatMap { Int($0, radix: 8) } ?? 0o755))
                chown(directory, uid_t(volume.uid ?? 0), gid_t(volume.gid ?? 0))
            }
            volumes[volume.name.value] = VolumeSource(
                source: relative, readOnly: volume.readOnly, recursive: false, checkSource: false)
        }
        let terminal = isatty(0) == 1
        let consoleApp = options.interactive && terminal ? runtimes[0].name : nil
        let etc = try etcFiles(pod, options: options, network: network)
        // The app's own files decide what stage1 adds to them (/etc/mtab, /etc/hosts).
        let facts = try HostFacts.probe(trees: trees.compactMapValues(\.first), volumes: volumes)
        // The pod's cgroups: a missing controller fails here, before anything is made.
        let cgroups = PodCgroups(uuid: pod.uuid, apps: runtimes.map(\.name), host: CgroupHost.probe())
        let limits = Dictionary(uniqueKeysWithValues: runtimes.compactMap { app in app.resources.map { (app.name, $0) } })
        do throws(CgroupError) {
            try cgroups.check(limits)
        } catch {
            throw .invalid(error.description)
        }
        let usesCgroups = !cgroups.host.hierarchies.isEmpty
        let plan = try Stage1Plan.make(
            uuid: pod.uuid, apps: runtimes, trees: trees, volumes: volumes, etc: etc,
            options: options, netns: network?.netns, cgroups: usesCgroups ? cgroups : nil, consoleApp: consoleApp,
            stdin: options.interactive ? .inherit : .null, facts: facts)
        let running = try pods.move(pod, to: .run, state: .running)
        if usesCgroups {
            do throws(CgroupError) {
                try cgroups.create(limits: limits, record: running.path + "/" + PodPath.cgroups)
            } catch {
                throw .invalid("cannot make the pod's cgroups: \(error)")
            }
        }
        try PodFiles.write(Data(plan.bytes), to: running.path + "/stage1/plan")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let config = try? encoder.encode(options) { try PodFiles.write(config, to: running.path + "/runtime-config") }
        try PodFiles.write(Data(String(getpid()).utf8), to: running.path + "/ppid")
        return running
    }

    /// resolv.conf and hosts for the apps: the host's (`--dns=host`, `--hosts-entry=host`),
    /// or files written into stage1 (`etc/rkt-resolv.conf`, `etc/rkt-hosts`, as rkt names
    /// them), named relative to the pod.
    /// Without `--dns`, the DNS settings the first network returned make the resolv.conf,
    /// as rkt's stage1 writes it.
    func etcFiles(_ pod: Pod, options: RuntimeOptions, network: PodNetwork.Joined?) throws(PodError) -> PodEtcFiles {
        var files = PodEtcFiles()
        let fromNetwork = network?.dns.map { RuntimeOptions.resolvConf($0.settings, comment: "Generated by rkt from network \($0.network)") }
        if options.dns == ["host"] {
            files.resolvConf = "/etc/resolv.conf"
        } else if let text = options.resolvConf ?? (options.dnsGiven ? nil : fromNetwork) {
            files.resolvConf = PodPath.stage1Etc("rkt-resolv.conf")
            try PodFiles.write(Data(text.utf8), to: pod.path + "/" + PodPath.stage1Etc("rkt-resolv.conf"))
        } else if network == nil, !options.dnsGiven, access("/etc/resolv.conf", R_OK) == 0 {
            // On the host's network with no DNS asked for, the host's resolver is the one that
            // works (as systemd-nspawn, rkt's stage1, copied it): for apps whose image has none.
            files.resolvConf = "/etc/resolv.conf"
            files.resolvConfIfMissing = true
        }
        let hostname = options.hostname.isEmpty ? "rkt-" + pod.uuid : options.hostname
        if options.hostHosts {
            files.hosts = "/etc/hosts"
            files.forceHosts = true
        } else {
            files.hosts = PodPath.stage1Etc("rkt-hosts")
            try PodFiles.write(Data(options.hosts(hostname: hostname).utf8), to: pod.path + "/" + PodPath.stage1Etc("rkt-hosts"))
            files.forceHosts = !options.hostsEntries.isEmpty
        }
        files.hostname = PodPath.stage1Etc("hostname")
        try PodFiles.write(Data((hostname + "\n").utf8), to: pod.path + "/" + PodPath.stage1Etc("hostname"))
        chmod(pod.path + "/" + PodPath.stage1Etc("hostname"), 0o644)
        return files
    }

    /// Becomes stage1 (never returns on success): chdir into the pod, exec
    /// `stage1/rootfs/init [--debug] UUID` with the lock fd in `RKT_LOCK_FD`.
    public func exec(_ pod: Pod, lock: PodLock, debug: Bool) -> PodError {
        let fd = lock.inheritable()
        setenv("RKT_LOCK_FD", String(fd), 1)
        guard chdir(pod.path) == 0 else { return .system(SystemError("chdir", pod.path)) }
        let argv = ["stage1/rootfs/init"] + (debug ? ["--debug"] : []) + [pod.uuid]
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        OpenFileLimit.restore()  // the pod starts with the user's limit, not rkt's raised one
        execv("stage1/rootfs/init", &cArgs)
        let code = errno
        for pointer in cArgs { free(pointer) }
        return .system(SystemError("exec", pod.path + "/stage1/rootfs/init", code: code))
    }

}
