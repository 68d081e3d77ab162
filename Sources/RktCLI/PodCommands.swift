import AppcSchema
import CLISupport
import FoundationEssentials
import Glibc
import GoCompat
import GoJSON
import ImageKit
import LinuxSystem
import PodKit
import PodNetwork

extension Rkt {
    static let listCommand = RktCommand(
        name: "list", summary: "List pods", usage: "", long: "Displays a table of information about the pods.",
        flags: [
            .bool("full", "use long output format"),
            .bool("no-legend", "suppress a legend with the list"),
            .listFormat,
        ],
        run: { context in listPods(context) })

    static let statusCommand = RktCommand(
        name: "status", summary: "Check the status of a rkt pod", usage: "[--wait=bool|timeout] [--wait-ready=bool|timeout] --uuid-file=FILE | UUID",
        long: """
            Prints assorted information about the pod such as its state, pid and exit status.

            The --wait and --wait-ready flags accept boolean or timeout values. If set to true, wait indefinitely. If set to false, don't wait at all.
            They can also be set to a duration. If the duration is less than zero, wait indefinitely. If the duration is zero, don't wait at all.
            """,
        flags: [
            .optional("wait", default: "false", "toggles waiting for the pod to finish. Use the output to determine the actual terminal state."),
            .optional("wait-ready", default: "false", "toggles waiting until the pod is ready."),
            .statusFormat,
            .uuidFile,
        ],
        run: { context in status(context) })

    static let catManifestCommand = RktCommand(
        name: "cat-manifest", summary: "Inspect and print the pod manifest", usage: "--uuid-file=FILE | UUID ...",
        long: "UUID should be the UUID of a pod",
        flags: [
            .prettyPrint,
            .uuidFile,
        ],
        run: { context in
            let flags = context.flags
            // rkt: a UUID file, or exactly one UUID; else the usage.
            guard !flags.string("uuid-file").isEmpty || flags.arguments.count == 1 else { return context.usage() }
            let pod: Pod
            do throws(PodError) {
                pod = try resolvePod(context)
            } catch {
                return context.fail("problem retrieving pod: \(error)")
            }
            do throws(PodError) {
                let bytes = try pod.manifestBytes()
                let compact = GoJSON.compact(bytes[...])
                context.console.out((flags.bool("pretty-print") ? GoJSON.indent(compact, indent: "\t") : compact) + [0x0a])
                return 0
            } catch {
                return context.fail("\(error)")
            }
        })

    static let stopCommand = RktCommand(
        name: "stop", summary: "Stop a pod", usage: "--uuid-file=FILE | UUID ...",
        flags: [
            .bool("force", "forced stopping"),
            .uuidFile,
        ],
        run: { context in stop(context) })

    static let exportCommand = RktCommand(
        name: "export", summary: "Export an app from an exited pod to an ACI file", usage: "[--app=APPNAME] UUID OUTPUT_ACI_FILE",
        long: "UUID should be the uuid of an exited pod.",
        flags: [
            .string("app", "name of the app to export within the specified pod"),
            .bool("overwrite", "overwrite output ACI"),
        ],
        run: { context in exportApp(context) })

    /// rkt's export: exited pods only, one app (named, or the only one).
    private static func exportApp(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard flags.arguments.count == 2 else { return context.usage() }
        let output = flags.arguments[1]
        guard ImageBuilder.fileExtension(output) == ".aci" else {
            return context.fail("extension must be .aci (given \(output))")
        }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        let pod: Pod
        do throws(PodError) {
            pod = try pods.resolve(flags.arguments[0])
        } catch {
            return context.fail("problem retrieving pod: \(error)")
        }
        guard pod.state == .exited || pod.state == .exitedGarbage else {
            return context.fail("pod is not exited. Only exited pods can be exported")
        }
        let names = pod.appNames()
        var app = flags.string("app")
        if app.isEmpty {
            if names.count > 1 {
                context.console.error("export: pod contains multiple apps:")
                for name in names { context.console.error("export: \t\(name)") }
                return context.fail("unable to find app: specify app using \"rkt export --app= ...\"")
            }
            guard let only = names.first else { return context.fail("unable to find app: pod contains zero apps") }
            app = only
        }
        guard names.contains(app) else { return context.fail("unable to find app: app \(app) is not present in pod") }
        do throws(PodError) {
            try PodExport.export(pod, app: app, pods: pods, to: output, overwrite: flags.bool("overwrite"))
            return 0
        } catch {
            return context.fail("\(error)")
        }
    }

    static let removeCommand = RktCommand(
        name: "rm", summary: "Remove all files and resources associated with an exited pod", usage: "--uuid-file=FILE | UUID ...",
        long: "Unlike gc, rm allows users to remove specific pods.",
        flags: [.uuidFile],
        run: { context in remove(context) })

    static let gcCommand = RktCommand(
        name: "gc", summary: "Garbage collect rkt pods no longer in use", usage: "[--grace-period=duration] [--expire-prepared=duration]",
        long: """
            This is intended to be run periodically from a timer or cron job.

            Garbage collection is a 2-step process. First, stopped pods are moved to the
            garbage by one invocation of the gc command. A subsequent invocation will clean
            up the pod, assuming the pod has been in the garbage for more time than the
            specified grace period.

            Use --grace-period=0s to effectively disable the grace-period.
            """,
        flags: [
            .string("grace-period", default: "30m0s", "duration to wait before discarding inactive pods from garbage").plain(),
            .string("expire-prepared", default: "24h0m0s", "duration to wait before expiring prepared pods").plain(),
            .bool(
                "mark-only",
                "if set to true, then the exited/aborted pods will be moved to the garbage directories without actually deleting them, this is useful for marking the exit time of a pod"
            ),
        ],
        run: { context in gc(context) })

    // MARK: Pod lookup

    static func resolvePod(_ context: RktContext) throws(PodError) -> Pod {
        let flags = context.flags
        let pods = PodStore(dataDirectory: context.dataDirectory)
        let file = flags.string("uuid-file")
        if !file.isEmpty { return try pods.resolve(uuidFile: file) }
        guard flags.arguments.count == 1 else { throw .invalid("exactly one UUID (or --uuid-file) is required") }
        return try pods.resolve(flags.arguments[0])
    }

    // MARK: list

    private static func listPods(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard let format = context.outputFormat() else { return Rkt.failure }
        let pods: [Pod]
        do throws(PodError) {
            pods = try PodStore(dataDirectory: context.dataDirectory).listPods()
        } catch {
            return context.fail("failed to get pod handles: \(error)")
        }
        if format != "" {
            let items = pods.map(podJSON)
            let compact = items.isEmpty ? Array("null".utf8) : GoJSON.encodeCompact(.array(items))
            context.console.out((format == "json-pretty" ? GoJSON.indent(compact, indent: "\t") : compact) + [0x0a])
            return 0
        }
        let full = flags.bool("full")
        let now = WallClock.nanoseconds()
        var text = ""
        if !flags.bool("no-legend") {
            text +=
                (full
                    ? "UUID\tAPP\tIMAGE NAME\tIMAGE ID\tSTATE\tCREATED\tSTARTED\tNETWORKS\n"
                    : "UUID\tAPP\tIMAGE NAME\tSTATE\tCREATED\tSTARTED\tNETWORKS\n")
        }
        func time(_ ns: Int64, never: String = "") -> String {
            if ns == 0 { return never.isEmpty ? "" : (full ? never : GoFormats.relative(nanoseconds: 0, now: now)) }
            return full ? GoFormats.timestamp(nanoseconds: ns) : GoFormats.relative(nanoseconds: ns, now: now)
        }
        for pod in pods {
            let manifest = pod.manifest()
            let apps = manifest?.apps ?? []
            let created = pod.createdAt
            let podCells = [
                pod.state.rawValue, created == 0 ? (full ? "" : GoFormats.relative(nanoseconds: 0, now: now)) : time(created),
                time(pod.startedAt), NetworkInfo.summary(podNetworks(pod)),
            ]
            if apps.isEmpty {
                text += ([full ? pod.uuid : String(pod.uuid.prefix(8)), "-", "-"] + (full ? ["-"] : []) + podCells).joined(separator: "\t") + "\n"
                continue
            }
            for (index, app) in apps.enumerated() {
                let image = pod.imageManifest(app: app.name.value)
                var imageName = app.image.name?.value ?? image?.name.value ?? "-"
                if let version = image?.label("version") ?? app.image.labels.value(of: "version") { imageName += ":" + version }
                var cells = [index == 0 ? (full ? pod.uuid : String(pod.uuid.prefix(8))) : "", app.name.value, imageName]
                if full { cells.append(String(app.image.id.description.prefix(19))) }
                cells += index == 0 ? podCells : ["", "", "", ""]
                text += cells.joined(separator: "\t") + "\n"
            }
        }
        context.console.out(text.isEmpty ? "\n" : TabWriter.format(text))
        return 0
    }

    /// rkt's `lib.Pod` JSON (api v1alpha): pod times in seconds, app times in nanoseconds.
    /// The networks rkt shows for a pod: those in its `net-info.json` while it runs or once
    /// it exited.
    static func podNetworks(_ pod: Pod) -> [NetworkInfo] {
        pod.state == .running || pod.state == .exited ? NetworkInfo.load(pod: pod.path) : []
    }

    static func podJSON(_ pod: Pod) -> JSONValue {
        let manifest = pod.manifest()
        let apps = manifest?.apps ?? []
        let started = pod.startedAt
        var members = [
            JSONMember(key: "name", value: .string(pod.uuid)),
            JSONMember(key: "state", value: .string(pod.state.rawValue)),
        ]
        let networks = podNetworks(pod)
        if !networks.isEmpty { members.append(JSONMember(key: "networks", value: .array(networks.map(\.json)))) }
        members.append(JSONMember(key: "app_names", value: .array(apps.map { .string($0.name.value) })))
        let appValues: [JSONValue] = apps.map { app in
            let code = pod.exitCode(app: app.name.value)
            let state: String
            switch pod.state {
            case .running: state = code == nil ? "running" : "exited"
            case .prepared, .preparing, .abortedPrepare, .embryo: state = "created"
            default: state = started == 0 ? "created" : "exited"
            }
            var fields = [
                JSONMember(key: "name", value: .string(app.name.value)),
                JSONMember(key: "state", value: .string(state)),
            ]
            if pod.createdAt != 0 { fields.append(JSONMember(key: "created_at", value: .number(String(pod.createdAt)))) }
            if started != 0 { fields.append(JSONMember(key: "started_at", value: .number(String(started)))) }
            if let finished = pod.finishedAt(app: app.name.value) {
                fields.append(JSONMember(key: "finished_at", value: .number(String(finished))))
            }
            if let code { fields.append(JSONMember(key: "exit_code", value: .number(String(code)))) }
            fields.append(JSONMember(key: "image_id", value: .string(app.image.id.description)))
            // Past rkt's lib.App: what the app runs confined by.
            let isolators = Stage1Launcher.isolators(of: pod, app: app)
            if !isolators.isEmpty { fields.append(JSONMember(key: "isolators", value: .array(isolators.map(\.manifestJSON)))) }
            return .object(fields)
        }
        members.append(JSONMember(key: "apps", value: .array(appValues)))
        if pod.createdAt != 0 { members.append(JSONMember(key: "created_at", value: .number(String(pod.createdAt / 1_000_000_000)))) }
        if started != 0 { members.append(JSONMember(key: "started_at", value: .number(String(started / 1_000_000_000)))) }
        return .object(members)
    }

    // MARK: status

    private static func status(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard let format = context.outputFormat() else { return Rkt.failure }
        // rkt: a UUID file and no UUID, or one UUID and no file; else the usage.
        let hasFile = !flags.string("uuid-file").isEmpty
        guard (hasFile && flags.arguments.isEmpty) || (!hasFile && flags.arguments.count == 1) else { return context.usage() }
        guard let wait = waitDuration(flags.string("wait")), let waitReady = waitDuration(flags.string("wait-ready")) else {
            return context.usage()
        }
        var pod: Pod
        do throws(PodError) {
            pod = try resolvePod(context)
        } catch {
            if case .unreadableUUIDFile = error {
                context.console.error("status: \(error)")
                return 1
            }
            return context.fail("problem retrieving pod: \(error)")
        }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        if let waitReady {
            let deadline = waitReady < 0 ? Int64.max : WallClock.nanoseconds() + waitReady
            while !pod.isReady {
                if WallClock.nanoseconds() > deadline { return context.fail("error waiting for pod readiness: context deadline exceeded") }
                usleep(100_000)
                pod = pods.load(pod.uuid, folder: pod.folder) ?? pod
            }
        }
        if let wait {
            let deadline = wait < 0 ? Int64.max : WallClock.nanoseconds() + wait
            while ![PodState.exited, .exitedGarbage, .garbage, .abortedPrepare].contains(pod.state) {
                if WallClock.nanoseconds() > deadline { return context.fail("error waiting for pod to finish: context deadline exceeded") }
                usleep(100_000)
                guard let reloaded = pods.load(pod.uuid, folder: pod.folder) ?? (try? pods.resolve(pod.uuid)) else { break }
                pod = reloaded
            }
        }
        if format != "" {
            let compact = GoJSON.encodeCompact(podJSON(pod))
            context.console.out((format == "json-pretty" ? GoJSON.indent(compact, indent: "\t") : compact) + [0x0a])
            return 0
        }
        var lines = ["state=\(pod.state.rawValue)", "created=\(GoFormats.timestamp(nanoseconds: pod.createdAt))"]
        if pod.startedAt != 0 { lines.append("started=\(GoFormats.timestamp(nanoseconds: pod.startedAt))") }
        if pod.state == .running || pod.state == .exited { lines.append("networks=" + NetworkInfo.summary(podNetworks(pod))) }
        if pod.state.hasRun, let pid = pod.supervisorPID {
            lines.append("pid=\(pid)")
            lines.append("exited=\(pod.state == .exited || pod.state == .exitedGarbage)")
        }
        if pod.state != .running {
            for name in pod.appNames() {
                if let code = pod.exitCode(app: name) { lines.append("app-\(name)=\(code)") }
            }
        }
        // Ours, past rkt: a pod that was debugged says so, with its open sessions.
        let debugged = PodDebug.status(of: pod)
        if let time = debugged.debuggedAt { lines.append("debugged=\(GoFormats.timestamp(nanoseconds: time))") }
        for session in debugged.sessions { lines.append("debug-session=\(session.id) app=\(session.app) pid=\(session.pid)") }
        context.console.out(lines.joined(separator: "\n") + "\n")
        return 0
    }

    /// `--wait`/`--wait-ready`: a bool or a Go duration; nil = don't wait, < 0 = forever.
    private static func waitDuration(_ text: String) -> Int64?? {
        if let flag = Strconv.parseBool(text) { return .some(flag ? -1 : nil) }
        if text.isEmpty { return .some(-1) }
        guard let duration = try? GoDuration.parse(text) else { return nil }
        return .some(duration)
    }

    // MARK: stop, rm, gc

    private static func podArguments(_ flags: ParsedFlags) -> [String]? {
        let file = flags.string("uuid-file")
        if !file.isEmpty { return flags.arguments.isEmpty ? [] : nil }
        return flags.arguments.isEmpty ? nil : flags.arguments
    }

    private static func stop(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard let arguments = podArguments(flags) else { return context.usage() }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        var failures = 0
        var targets: [Pod] = []
        if arguments.isEmpty {
            do throws(PodError) {
                targets.append(try pods.resolve(uuidFile: flags.string("uuid-file")))
            } catch {
                context.console.error("stop: \(error)")
                return 1
            }
        }
        for argument in arguments {
            do throws(PodError) {
                targets.append(try pods.resolve(argument))
            } catch {
                context.console.error("stop: cannot get pod: \(error)")
                failures += 1
            }
        }
        for pod in targets {
            guard pod.state == .running, let pid = pod.supervisorPID else {
                context.console.out("pod \(goQuote(pod.uuid)) is already stopped\n")
                continue
            }
            if kill(pid, flags.bool("force") ? SIGKILL : SIGTERM) != 0 {
                context.console.error("stop: error stopping \(goQuote(pod.uuid)): \(errnoText(errno))")
                failures += 1
                continue
            }
            context.console.out("\(goQuote(pod.uuid))\n")
        }
        if failures > 0 { return context.fail("failed to stop \(failures) pod(s)") }
        return 0
    }

    private static func remove(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        guard let arguments = podArguments(flags) else { return context.usage() }
        let pods = PodStore(dataDirectory: context.dataDirectory)
        let console = context.console
        let cleaner = PodCleaner(pods: pods, log: { console.error($0) }, out: { console.out($0 + "\n") })
        var failed = false
        for argument in arguments.isEmpty ? [nil] : arguments.map(Optional.some) {
            do throws(PodError) {
                let pod: Pod
                if let argument { pod = try pods.resolve(argument) } else { pod = try pods.resolve(uuidFile: flags.string("uuid-file")) }
                switch pod.state {
                case .running: throw .invalid("pod \(goQuote(pod.uuid)) is currently running")
                case .preparing: throw .invalid("pod \(goQuote(pod.uuid)) is currently being prepared")
                case .exitedDeleting, .deleting: throw .invalid("pod \(goQuote(pod.uuid)) is currently being deleted")
                default: break
                }
                try cleaner.delete(pod)
                console.out("\(goQuote(pod.uuid))\n")
            } catch {
                switch error {
                case .noMatch, .ambiguous, .emptyUUID: console.error("rm: cannot get pod: \(error)")
                default: console.error("rm: \(error)")
                }
                failed = true
            }
        }
        return failed ? context.fail("failed to remove one or more pods") : 0
    }

    private static func gc(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        let grace: Int64, expire: Int64
        do throws(GoDurationError) {
            grace = try GoDuration.parse(flags.string("grace-period"))
        } catch {
            return context.usageError("invalid argument \(goQuote(flags.string("grace-period"))) for --grace-period: \(error)")
        }
        do throws(GoDurationError) {
            expire = try GoDuration.parse(flags.string("expire-prepared"))
        } catch {
            return context.usageError("invalid argument \(goQuote(flags.string("expire-prepared"))) for --expire-prepared: \(error)")
        }
        let console = context.console
        let cleaner = PodCleaner(
            pods: PodStore(dataDirectory: context.dataDirectory), log: { console.error($0) },
            out: { console.out($0 + "\n") })
        cleaner.mark(expirePrepared: expire, now: WallClock.nanoseconds())
        if flags.bool("mark-only") { return 0 }
        PodDebug.sweepImageSessions(dataDirectory: context.dataDirectory)
        return cleaner.sweep(gracePeriod: grace, graceText: flags.string("grace-period"), now: WallClock.nanoseconds()) ? 0 : Rkt.failure
    }
}
