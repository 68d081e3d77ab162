import AppcSchema
import CLISupport
import Cgroups
import FoundationEssentials
import Glibc
import GoCompat
import ImageFetch
import ImageKit
import ImageRender
import ImageStore
import LinuxSystem
import PodKit
import PodNetwork

extension Rkt {
    /// rkt's per-app flags (`addAppFlags`, `addIsolatorFlags` and `--signature`): each
    /// applies to the image before it; before any image, rkt refuses it.
    static let appFlags: [FlagSpec] = [
        .string("signature", "local signature file to use in validating the preceding image").forApp(),
        .string("exec", "override the exec command for the preceding image").forApp(),
        .string("working-dir", "override the working directory of the preceding image").forApp(),
        .bool("readonly-rootfs", "if set, the app's rootfs will be mounted read-only").forApp(),
        .string("user", "user override for the preceding image (example: '--user=user')").forApp(),
        .string("group", "group override for the preceding image (example: '--group=group')").forApp(),
        .string("supplementary-gids", "supplementary group IDs override for the preceding image (examples: '--supplementary-gids=1024,2048'")
            .forApp(),
        .string("name", "set the name of the app (example: '--name=foo'). If not set, then the app name default to the image's name").forApp(),
        .list("annotation", "set the app's annotations (example: '--annotation=foo=bar')").forApp(),
        .list("user-annotation", "set the app's annotations (example: '--user-annotation=foo=bar')").forApp(),
        .list("user-label", "set the app's labels (example: '--user-label=foo=bar')").forApp(),
        .list("environment", "set the app's environment variables (example: '--environment=foo=bar')").forApp(),
        .string("memory", "memory limit for the preceding image (example: '--memory=16Mi', '--memory=50M', '--memory=1G')").forApp(),
        .string("cpu", "cpu limit for the preceding image (example: '--cpu=500m')").forApp(),
        .string("cpu-shares", "cpu-shares assigns the specified CPU time share weight (example: '--cpu-shares=2048')").forApp(),
        .string("caps-retain", "capability to retain (example: '--caps-retain=CAP_SYS_ADMIN')").forApp(),
        .string("caps-remove", "capability to remove (example: '--caps-remove=CAP_MKNOD')").forApp(),
        .string("seccomp", "seccomp filter override (example: '--seccomp mode=retain,errno=EPERM,chmod,chown')").forApp(),
        .string("oom-score-adj", "oom-score-adj isolator override").forApp(),
        .string("cap-retain", "capability to retain (example: '--caps-retain=CAP_SYS_ADMIN')").forApp().deprecated("use --caps-retain instead"),
        .string("cap-remove", "capability to remove (example: '--caps-remove=CAP_MKNOD')").forApp().deprecated("use --caps-remove instead"),
    ]

    /// The stage1 flags of run and prepare (`addStage1ImageFlags`).
    static let stage1Flags: [FlagSpec] = [
        .string("stage1-url", "URL to an image to use as stage1").plain(),
        .string("stage1-path", "absolute or relative path to an image to use as stage1").plain(),
        .string("stage1-name", "name of an image to use as stage1").plain(),
        .string("stage1-hash", "hash of an image to use as stage1").plain(),
        .string("stage1-from-dir", "filename of an image in stage1 images directory to use as stage1").plain(),
    ]

    /// Flags `run` and `prepare` share.
    static let podFlags: [FlagSpec] =
        stage1Flags + appFlags + [
            .list("volume", "volumes to make available in the pod"),
            .list("mount", "mount point binding a volume to a path within an app"),
            .list("set-env", "environment variable to set for all the apps in the form key=value, this will be overridden by --environment"),
            .bool("inherit-env", "inherit all environment variables not set by apps"),
            .string("pull-policy", default: "new", "when to pull an image"),
            .bool("no-overlay", "disable overlay filesystem"),
            .bool("private-users", "run within user namespaces."),
            .noStore, .storeOnly,
            .string("debug-image", "a tools image whose files every app gets below its own, at run time (the app's image is not changed)"),
        ]

    /// The DNS and hosts flags of run and run-prepared.
    static let dnsFlags: [FlagSpec] = [
        .list("dns", "name servers to write in /etc/resolv.conf. Pass 'host' to use host's resolv.conf. Pass 'none' to ignore CNI DNS config"),
        .list("dns-search", "DNS search domains to write in /etc/resolv.conf"),
        .list("dns-opt", "DNS options to write in /etc/resolv.conf"),
        .string("dns-domain", "DNS domain to write in /etc/resolv.conf"),
        .list("hosts-entry", "Entries to add to the pod-wide /etc/hosts. Pass 'host' to use the host's /etc/hosts"),
        .string("hostname", "pod's hostname. If empty, it will be \"rkt-$PODUUID\""),
        .string("ipc", "whether to stay in the host IPC namespace. Syntax: --ipc=[auto|private|parent]"),
    ]

    static let runCommand = RktCommand(
        name: "run", summary: "Run image(s) in a pod in rkt",
        usage: "[--volume=name,kind=host,...] [--mount volume=VOL,target=PATH] IMAGE [-- image-args...[---]]...",
        long: """
            IMAGE should be a string referencing an image; either a hash, local file on
            disk, or URL. They will be checked in that order and the first match will be
            used.

            Volumes are made available to the container via --volume. Mounts bind volumes
            into each image's root within the container via --mount. --mount is
            position-sensitive; occurring before any images applies to all images, occurring
            after any images applies only to the nearest preceding image. Per-app mounts
            take precedence over global ones if they have the same path.

            An "--" may be used to inhibit rkt run's parsing of subsequent arguments, which
            will instead be appended to the preceding image app's exec arguments. End the
            image arguments with a lone "---" to resume argument parsing.
            """,
        flags: podFlags + dnsFlags + [
            .list("port", "ports to expose on the host (requires contained network). Syntax: --port=NAME:[HOSTIP:]HOSTPORT"),
            .optionalList(
                "net", bare: "default",
                "configure the pod's networking. Optionally, pass a list of user-configured networks to load and set arguments to pass to each network, respectively. Syntax: --net[=n[:args], ...]"
            ),
            .list("set-env-file", "path to an environment variables file"),
            .bool("interactive", "run pod interactively. If true, only one image may be supplied."),
            .string("pod-manifest", "the path to the pod manifest. If it's non-empty, then only '--net', '--no-overlay' and '--interactive' will have effect"),
            .bool("mds-register", "register pod with metadata service. needs network connectivity to the host (--net=(default|default-restricted|host)"),
            .string("uuid-file-save", "write out pod UUID to specified file"),
        ],
        interspersed: false,
        run: { context in runPod(context) })

    static let prepareCommand = RktCommand(
        name: "prepare", summary: "Prepare to run image(s) in a pod in rkt",
        usage: "[--volume=name,kind=host,...] [--mount volume=VOL,target=PATH] [--quiet] IMAGE [-- image-args...[---]]...",
        long: """
            Prepares the pod and returns its UUID for a subsequent call to run-prepared.

            Prepare is useful to get the UUID of the pod before running or when preparing
            takes a long time.

            IMAGE should be a string referencing an image; either a hash, local file on
            disk, or URL. They will be checked in that order and the first match will be
            used.

            An "--" may be used to inhibit rkt prepare's parsing of subsequent arguments,
            which will instead be appended to the preceding image app's exec arguments. End
            the image arguments with a lone "---" to resume argument parsing.
            """,
        flags: podFlags + [
            .list("port", "ports to expose on the host (requires contained network). Syntax: --port=NAME:HOSTPORT"),
            .list("set-env-file", "the path to an environment variables file"),
            .bool("quiet", "suppress superfluous output on stdout, print only the UUID on success"),
            .string("pod-manifest", "the path to the pod manifest. If it's non-empty, then only '--quiet' and '--no-overlay' will have effect"),
        ],
        interspersed: false,
        run: { context in preparePod(context) })

    static let runPreparedCommand = RktCommand(
        name: "run-prepared", summary: "Run a prepared application pod in rkt", usage: "UUID",
        long: "Runs a previously prepared pod by its UUID",
        flags: dnsFlags + [
            .optionalList(
                "net", bare: "default",
                "configure the pod's networking. Optionally, pass a list of user-configured networks to load and set arguments to pass to each network, respectively. Syntax: --net[=n[:args]][,]"
            ),
            .bool("interactive", "run pod interactively"),
            .bool("mds-register", "register pod with metadata service"),
        ],
        run: { context in runPrepared(context) })

    // MARK: Commands

    private static func runPod(_ context: RktContext) -> Int32 {
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        guard let (context, apps) = imageArguments(context) else { return Rkt.failure }
        guard let options = runtimeOptions(context) else { return Rkt.failure }
        guard let request = runRequest(apps, context, interactive: options.interactive) else { return Rkt.failure }
        let runner = podRunner(context)
        do throws(PodError) {
            let (pod, lock) = try runner.prepare(request)
            return fail(runner.launch(pod, lock: lock, options: options, commandName: context.name), context)
        } catch {
            return fail(error, context)
        }
    }

    private static func preparePod(_ context: RktContext) -> Int32 {
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        guard let (context, apps) = imageArguments(context) else { return Rkt.failure }
        guard let request = runRequest(apps, context, interactive: false) else { return Rkt.failure }
        let runner = podRunner(context)
        do throws(PodError) {
            let (pod, lock) = try runner.prepare(request)
            _ = try runner.markPrepared(pod)
            withExtendedLifetime(lock) {}
            context.console.out(pod.uuid + "\n")
            return 0
        } catch {
            return fail(error, context)
        }
    }

    private static func runPrepared(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard geteuid() == 0 else { return context.fail("cannot run as unprivileged user") }
        guard flags.arguments.count == 1 else { return context.usage() }
        guard let options = runtimeOptions(context) else { return Rkt.failure }
        let runner = podRunner(context)
        let pod: Pod, lock: PodLock
        do throws(PodError) {
            pod = try runner.pods.resolve(flags.arguments[0])
        } catch {
            return context.fail("problem retrieving pod: \(error)")
        }
        do throws(PodError) {
            lock = try runner.takePrepared(pod)
        } catch {
            return context.fail("\(error)")
        }
        if options.interactive && pod.appNames().count > 1 {
            return context.fail("interactive option only supports pods with one app")
        }
        return fail(runner.launch(pod, lock: lock, options: options, commandName: context.name), context)
    }

    private static func podRunner(_ context: RktContext) -> PodRunner {
        let console = context.console
        return PodRunner(dataDirectory: context.dataDirectory, debug: context.debug, log: { console.errText($0 + "\n") })
    }

    /// The command's failure line; a fetch error is printed as rkt does (its whole chain with `--debug`).
    private static func fail(_ error: PodError, _ context: RktContext) -> Int32 {
        if case let .fetch(failure) = error { return context.fail(failure.render(debug: context.debug)) }
        return context.fail("\(error)")
    }

    // MARK: Shared parts

    private static func runtimeOptions(_ context: RktContext) -> RuntimeOptions? {
        let flags = context.flags
        var options = RuntimeOptions()
        options.interactive = flags.bool("interactive")
        options.hostname = flags.string("hostname")
        options.debug = context.debug
        guard let insecure = insecureOptions(context) else {
            _ = context.usage()
            return nil
        }
        options.restrictPaths = !insecure.contains(.paths)
        options.seccomp = !insecure.contains(.seccomp)
        do throws(PodError) {
            try options.setDNS(
                dns: flags.list("dns"), search: flags.list("dns-search"), options: flags.list("dns-opt"),
                domain: flags.string("dns-domain"), hostsEntries: flags.list("hosts-entry"))
        } catch {
            _ = context.fail("\(error)")
            return nil
        }
        if flags.bool("private-users") {
            context.console.error("\(context.name): --private-users is not supported by this stage1")
            return nil
        }
        switch flags.string("ipc") {
        case "", "auto", "private": options.hostIPC = false
        case "parent": options.hostIPC = true
        case let other:
            _ = context.usageError("invalid argument \(goQuote(other)) for --ipc: allowed values are auto, private, parent")
            return nil
        }
        do throws(NetworkError) {
            options.networks = try NetworkList(parsing: flags.list("net"))
        } catch {
            _ = context.usageError(flags.invalidArgument("net", flags.list("net").last ?? "", "\(error)"))
            return nil
        }
        options.localConfig = flags.string("local-config")
        if let text = getenv("RKT_NET_PLUGIN_TIMEOUT").map({ String(cString: $0) }) {
            guard let nanoseconds = try? GoDuration.parse(text), nanoseconds > 0 else {
                context.console.error("\(context.name): RKT_NET_PLUGIN_TIMEOUT: invalid duration \(goQuote(text))")
                return nil
            }
            options.pluginTimeout = .nanoseconds(nanoseconds)
        }
        return options
    }

    /// The images and their flags. Pod and global flags may stand between and after images
    /// too (rkt parses its whole flag set there), so they are folded into the command's
    /// flags, and the context returned is the one every later step reads: built from the
    /// final flags, so `prepare IMAGE --dir=D --insecure-options=image --debug` means what
    /// it says.
    static func imageArguments(_ context: RktContext) -> (RktContext, [ImageArgument])? {
        let flags = context.flags
        do throws(UsageError) {
            var merged = flags
            let words = flags.arguments + (flags.passThrough.isEmpty ? [] : ["--"] + flags.passThrough)
            let (apps, podWords) = try ImageArgument.parse(words, podFlags: context.command.flags + globalFlags)
            let extra = try parseFlags(podWords, specs: context.command.flags)
            for notice in extra.notices { context.console.errText(notice + "\n") }
            merged.merge(extra)
            if !merged.string("pod-manifest").isEmpty {
                let podOnly: Set<String> = [
                    "pod-manifest", "interactive", "net", "no-overlay", "uuid-file-save", "quiet",
                    "hostname", "dns", "dns-search", "dns-opt", "dns-domain", "hosts-entry",
                    "mds-register", "ipc", "stage1-path", "pull-policy", "inherit-env", "debug-image",
                ]
                let globals = Set(globalFlags.map(\.name))
                if !apps.isEmpty || !merged.given.subtracting(podOnly).subtracting(globals).isEmpty {
                    // rkt's one line, not a usage page.
                    _ = context.fail("conflicting flags set with --pod-manifest (see --help)")
                    return nil
                }
            }
            guard let final = context.replacingFlags(merged) else { return nil }
            return (final, apps)
        } catch {
            _ = context.usageError(error.message)
            return nil
        }
    }

    /// What the runner is asked to prepare: the images with their apps' flags, and the pod's flags.
    private static func runRequest(_ apps: [ImageArgument], _ context: RktContext, interactive: Bool) -> PodRunner.Request? {
        let flags = context.flags
        guard let insecure = insecureOptions(context) else {
            _ = context.usage()
            return nil
        }
        for name in ["stage1-url", "stage1-name", "stage1-hash", "stage1-from-dir"] where !flags.string(name).isEmpty {
            _ = context.fail("--\(name) is not supported: this rkt has one stage1, built in (use --stage1-path=FILE for another rkt-stage1 binary)")
            return nil
        }
        let podManifest = flags.string("pod-manifest")
        guard !apps.isEmpty || !podManifest.isEmpty else {
            _ = context.fail("must provide at least one image")
            return nil
        }
        if interactive && apps.count > 1 {
            _ = context.fail("interactive option only supports one image")
            return nil
        }
        guard let fetch = fetchOptions(context, insecure: insecure, signature: nil) else { return nil }
        var request = PodRunner.Request(fetch: fetch)
        do throws(PodError) {
            for app in apps {
                request.images.append(PodRunner.Image(reference: app.image, signature: app.signature, app: try app.request()))
            }
            request.volumes = try flags.list("volume").map { (text) throws(PodError) in try Volume.parse(rktFlag: text) }
            request.mounts = try flags.list("mount").map { (text) throws(PodError) in try Mount.parse(rktFlag: text) }
            if !podManifest.isEmpty { request.podManifest = podManifest }
            request.environment.inherit = flags.bool("inherit-env")
            request.environment.set = try flags.list("set-env").map(EnvironmentOverrides.assignment)
        } catch {
            _ = context.fail("\(error)")
            return nil
        }
        var seen: Set<String> = []
        for file in flags.list("set-env-file") {
            do throws(PodError) {
                request.environment.fromFiles += try EnvironmentOverrides.assignments(inFile: file, seen: &seen)
            } catch {
                _ = context.usageError(flags.invalidArgument("set-env-file", file, "\(error)"))
                return nil
            }
        }
        // rkt's Apps.Validate: every --mount names a declared volume.
        let declared = Set(request.volumes.map(\.name.value))
        for mount in request.mounts + request.images.flatMap(\.app.mounts) where !declared.contains(mount.volume.value) {
            _ = context.fail(
                "error parsing app image arguments: dangling mount point \(goQuote(mount.path)): volume \(goQuote(mount.volume.value)) not found")
            return nil
        }
        request.allCapabilities = insecure.contains(.capabilities)
        request.stage1Path = flags.string("stage1-path")
        request.uuidFile = flags.string("uuid-file-save")
        request.debugImage = flags.string("debug-image").isEmpty ? nil : flags.string("debug-image")
        for text in flags.list("port") {
            do throws(PodError) {
                request.ports.append(try PodPorts.parse(rktFlag: text))
            } catch {
                _ = context.usageError(flags.invalidArgument("port", text, "\(error)"))
                return nil
            }
        }
        return request
    }
}

/// One image of `run`/`prepare` with the flags that follow it (rkt's per-app flags).
struct ImageArgument {
    var image: String
    var flags: [String: String] = [:]
    var lists: [String: [String]] = [:]
    var args: [String]?
    var signature: String? { flags["signature"] }

    /// `IMAGE [--flag=V ...] [-- ARGS...] [--- IMAGE ...]`, with the command's flags
    /// `podFlags`: after an image, its per-app flags (and `--mount`, a pod flag before the
    /// first image) are the app's; any other flag is returned in the second list, for the pod.
    static func parse(_ words: [String], podFlags: [FlagSpec]) throws(UsageError) -> ([ImageArgument], [String]) {
        var result: [ImageArgument] = []
        var podWords: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            if word == "---" { continue }
            if word == "--" {
                guard !result.isEmpty else { throw UsageError(message: "arguments given before an image") }
                var args: [String] = []
                while i < words.count, words[i] != "---" {
                    args.append(words[i])
                    i += 1
                }
                result[result.count - 1].args = args
                continue
            }
            if word.hasPrefix("--"), word.count > 2 {
                var name = String(word.dropFirst(2))
                var value: String?
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard let spec = podFlags.first(where: { $0.name == name }) else {
                    throw UsageError(message: "unknown flag: --\(name)")
                }
                guard !result.isEmpty, spec.perApp || name == "mount" else {
                    podWords.append(word)
                    if value == nil, spec.takesNextWord, i < words.count {
                        podWords.append(words[i])
                        i += 1
                    }
                    continue
                }
                if spec.kind == .bool {
                    result[result.count - 1].flags[name] = value ?? "true"
                    continue
                }
                if value == nil {
                    guard i < words.count else { throw UsageError(message: "flag needs an argument: \(word)") }
                    value = words[i]
                    i += 1
                }
                if spec.kind == .list {
                    result[result.count - 1].lists[name, default: []].append(value ?? "")
                } else {
                    result[result.count - 1].flags[name] = value ?? ""
                }
                continue
            }
            result.append(ImageArgument(image: word))
        }
        return (result, podWords)
    }

    /// A `--memory` or `--cpu` value: a resource quantity (`16M`, `42Mi`, `500m`).
    static func quantity(_ text: String, flag: String) throws(PodError) -> ResourceQuantity {
        do throws(ManifestError) {
            return try ResourceQuantity(text)
        } catch {
            throw .invalid("invalid --\(flag) value \(goQuote(text)): \(error)")
        }
    }

    /// The app's settings from the image's flags (its key is filled in once it is stored).
    func request() throws(PodError) -> AppRequest {
        var request = AppRequest(imageKey: "")
        request.name = flags["name"]
        request.exec = flags["exec"]
        request.args = args
        request.user = flags["user"]
        request.group = flags["group"]
        request.workingDirectory = flags["working-dir"]
        if let gids = flags["supplementary-gids"] {
            request.supplementaryGIDs = try gids.split(separator: ",").map { text throws(PodError) in
                guard let gid = Int(text) else { throw .invalid("invalid supplementary group \(goQuote(String(text)))") }
                return gid
            }
        }
        request.environment = try (lists["environment"] ?? []).map(EnvironmentOverrides.assignment)
        func pairs(_ flag: String) throws(PodError) -> [String: String]? {
            guard let values = lists[flag] else { return nil }
            var result: [String: String] = [:]
            for text in values {
                guard let equals = text.firstIndex(of: "=") else { throw .invalid("invalid format of --\(flag) flag \(goQuote(text))") }
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            return result
        }
        request.annotations = try pairs("annotation") ?? [:]
        request.userAnnotations = try pairs("user-annotation")
        request.userLabels = try pairs("user-label")
        request.mounts = try (lists["mount"] ?? []).map { (text) throws(PodError) in try Mount.parse(rktFlag: text) }
        request.capsRetain = (flags["caps-retain"] ?? flags["cap-retain"]).map { $0.split(separator: ",").map(String.init) }
        request.capsRemove = (flags["caps-remove"] ?? flags["cap-remove"]).map { $0.split(separator: ",").map(String.init) }
        if let text = flags["oom-score-adj"] {
            guard let value = Int(text), (-1000...1000).contains(value) else {
                throw PodError.invalid("--oom-score-adj must be an integer from -1000 to 1000 (given \(goQuote(text)))")
            }
            request.oomScoreAdj = value
        }
        if let text = flags["memory"] {
            let quantity = try Self.quantity(text, flag: "memory")
            // rkt's check: less than 4 KiB is most likely --memory=16m (milli-bytes) for 16M.
            let bytes = quantity.scaled(0)
            if bytes < AppResources.minimumMemory {
                throw PodError.invalid("memory limit of \(bytes) bytes too low. Try a reasonable value, such as --memory=16M")
            }
            request.memory = quantity
        }
        if let text = flags["cpu"] { request.cpu = try Self.quantity(text, flag: "cpu") }
        if let text = flags["cpu-shares"] {
            guard let shares = Int(text), (2...262144).contains(shares) else {
                throw PodError.invalid("--cpu-shares must be an integer from 2 to 262144 (given \(goQuote(text)))")
            }
            request.cpuShares = shares
        }
        if let text = flags["seccomp"] { request.seccomp = try SeccompOverride.parse(rktFlag: text) }
        request.readOnlyRootfs = flags["readonly-rootfs"].flatMap(Strconv.parseBool) ?? false
        return request
    }
}
