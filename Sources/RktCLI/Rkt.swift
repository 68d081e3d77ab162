import CLISupport
import Glibc
import GoCompat
import ImageKit
import ImageStore
import LinuxSystem
import RktConfig

/// What every command gets: the global flags, the output, and the store (opened on demand).
struct RktContext {
    let flags: ParsedFlags
    let console: Console
    /// The command's name for message prefixes (`fetch: ...`, `cat-manifest: ...`).
    let name: String
    /// The command being run and its path (`image list`), for usage texts.
    let command: RktCommand
    let path: String
    /// The data directory (`--dir`, else `paths.d`'s, else `/var/lib/rkt`, symlinks
    /// resolved), or why the configuration that names it cannot be read.
    private let resolvedDataDirectory: Result<String, ConfigError>

    init(flags: ParsedFlags, console: Console, name: String, command: RktCommand, path: String) {
        var flags = flags
        // rkt's directory flags are made absolute as they are parsed (`absDir`).
        for name in Rkt.directoryFlags where flags.isGiven(name) && !flags.string(name).isEmpty {
            if let absolute = try? Files.absolute(flags.string(name)) { flags.replaceValue(name, absolute) }
        }
        self.flags = flags
        self.console = console
        self.name = name
        self.command = command
        self.path = path
        resolvedDataDirectory = Self.dataDirectory(flags)
    }

    var dataDirectory: String { (try? resolvedDataDirectory.get()) ?? Rkt.defaultDataDirectory }
    var debug: Bool { flags.bool("debug") }

    /// The configuration directories, in the order they override each other.
    var configDirectories: [String] {
        [flags.string("system-config"), flags.string("local-config")] + (flags.string("user-config").isEmpty ? [] : [flags.string("user-config")])
    }

    /// rkt's merged configuration (system, local, user).
    func configuration() throws(ConfigError) -> RktConfig {
        try RktConfig.load(directories: configDirectories)
    }

    /// rkt's `calculateDataDir`.
    private static func dataDirectory(_ flags: ParsedFlags) -> Result<String, ConfigError> {
        var directory = flags.isGiven("dir") ? flags.string("dir") : ""
        if directory.isEmpty {
            let directories = [flags.string("system-config"), flags.string("local-config")] + (flags.string("user-config").isEmpty ? [] : [flags.string("user-config")])
            do {
                let configured = try RktConfig.load(directories: directories).dataDirectory
                directory = configured.isEmpty ? Rkt.defaultDataDirectory : configured
            } catch {
                return .failure(error)
            }
        }
        return .success((try? Files.realPath(directory)) ?? directory)
    }

    /// The same command with other final flags (`run`/`prepare` fold in the flags found
    /// among their images); nil, with the message printed, if they are not usable.
    func replacingFlags(_ flags: ParsedFlags) -> RktContext? {
        let context = RktContext(flags: flags, console: console, name: name, command: command, path: path)
        return context.checked() ? context : nil
    }

    /// Whether the global flags are usable; prints why not.
    func checked() -> Bool {
        for name in Rkt.directoryFlags where flags.isGiven(name) && flags.string(name).isEmpty {
            _ = usageError("invalid argument \"\" for --\(name)=: \"\" is not a valid directory")
            return false
        }
        // A global flag is checked as it is parsed, whatever the command (cobra and pflag).
        guard Rkt.insecureOptions(self) != nil else {
            _ = usage()
            return false
        }
        // Commands that use the data directory fail when the configuration naming it is bad.
        if !Rkt.commandsWithoutDataDirectory.contains(path), case .failure(let error) = resolvedDataDirectory {
            console.error("\(name): cannot get configuration: \(error.message)")
            return false
        }
        return true
    }

    func openStore() throws(StoreError) -> ImageStore {
        try ImageStore(directory: dataDirectory)
    }

    /// One diagnostic line, prefixed with the command's name.
    func fail(_ message: String) -> Int32 {
        console.error("\(name): \(message)")
        return Rkt.failure
    }
}

/// rkt's entry point.
public enum Rkt {
    /// rkt exits 254 for every failure of its own.
    static let failure: Int32 = 254

    static let defaultDataDirectory = "/var/lib/rkt"
    /// The global flags that name directories (rkt's `absDir` values).
    static let directoryFlags = ["dir", "system-config", "local-config", "user-config"]
    /// Commands that never touch the data directory, so a bad `paths.d` does not stop them.
    static let commandsWithoutDataDirectory: Set<String> = ["version", "config", "completion", "trust"]

    static let globalFlags: [FlagSpec] = [
        .string("dir", default: "/var/lib/rkt", "rkt data directory"),
        .string(
            "insecure-options", default: "none",
            "comma-separated list of security features to disable. Allowed values: \"none\", \"image\", \"tls\", \"ondisk\", \"http\", \"pubkey\", \"capabilities\", \"paths\", \"seccomp\", \"all-fetch\", \"all-run\", \"all\""
        ),
        .bool("debug", "print out more debug information to stderr"),
        .string("local-config", default: "/etc/rkt", "local configuration directory"),
        .string("system-config", default: "/usr/lib/rkt", "system configuration directory"),
        .string("user-config", "user configuration directory"),
        .bool("trust-keys-from-https", "automatically trust gpg keys fetched from https"),
    ]

    static let root = RktCommand(
        name: "rkt", summary: "rkt, the application container runner", usage: "[command]",
        subcommands: [
            bindCommand, catManifestCommand, completionCommand, configCommand, debugCommand, enterCommand, exportCommand, fetchCommand, gcCommand, imageCommand, listCommand,
            prepareCommand,
            removeCommand, runCommand, runPreparedCommand, statusCommand, stopCommand, trustCommand, unbindCommand, versionCommand,
        ])

    /// Runs rkt with `arguments` (the first is the program name); returns the exit code.
    public static func main(arguments: [String], console: Console = .standard()) -> Int32 {
        switch parse(arguments: arguments, console: console) {
        case .exit(let code): return code
        case .run(let run, let context): return run(context)
        }
    }

    /// What the command line asks for: a command to run in its context, or an exit code
    /// (help, usage errors), with what it printed already printed.
    enum Invocation {
        case exit(Int32)
        case run(@Sendable (RktContext) -> Int32, RktContext)
    }

    /// Finds the command, parses its flags and builds its context.
    static func parse(arguments: [String], console: Console) -> Invocation {
        var command = root
        var path: [String] = []
        var rest = Array(arguments.dropFirst())
        // cobra's `rkt help [COMMAND...]`: the command's usage, exit 0.
        if let index = commandWordIndex(rest, flags: globalFlags), rest[index] == "help" {
            var target = root
            var targetPath: [String] = []
            for word in rest[(index + 1)...] where !word.hasPrefix("-") {
                guard let next = target.subcommand(word) else { break }
                target = next
                targetPath.append(next.name)
            }
            console.out(target.usageText(path: targetPath.joined(separator: " ")))
            return .exit(0)
        }
        // Walk down the command tree: the first non-flag words name subcommands.
        while !command.subcommands.isEmpty, let index = commandWordIndex(rest, flags: command.flags + globalFlags) {
            guard let next = command.subcommand(rest[index]) else {
                if command.run != nil { break }
                console.error("Error: unknown command \(goQuote(rest[index])) for \(goQuote((["rkt"] + path).joined(separator: " ")))")
                console.out(command.usageText(path: path.joined(separator: " ")))
                return .exit(failure)
            }
            rest.remove(at: index)
            command = next
            path.append(next.name)
        }
        // `-h`/`--help` among the command's own flags: its usage, exit 0 (cobra).
        let ownFlags = command.interspersed ? rest.prefix { $0 != "--" } : rest.prefix { $0.hasPrefix("-") && $0 != "--" }
        if ownFlags.contains("--help") || ownFlags.contains("-h") {
            console.out(command.usageText(path: path.joined(separator: " ")))
            return .exit(0)
        }
        let parsed: ParsedFlags
        do throws(UsageError) {
            parsed = try parseFlags(rest, specs: command.flags, interspersed: command.interspersed)
        } catch {
            console.error("Error: \(error.message)")
            console.out(command.usageText(path: path.joined(separator: " ")))
            return .exit(failure)
        }
        for notice in parsed.notices { console.errText(notice + "\n") }
        guard let run = command.run else {
            console.out(command.usageText(path: path.joined(separator: " ")))
            return .exit(path.isEmpty && rest.isEmpty ? 0 : failure)
        }
        let context = RktContext(
            flags: parsed, console: console, name: path.last ?? "rkt", command: command,
            path: path.joined(separator: " "))
        guard context.checked() else { return .exit(failure) }
        return .run(run, context)
    }

    /// Where the next command word is: the first argument that is neither a flag nor a
    /// string flag's separate value (`--dir /x image list`).
    private static func commandWordIndex(_ args: [String], flags: [FlagSpec]) -> Int? {
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg == "--" { return nil }
            guard arg.hasPrefix("-"), arg.count > 1 else { return i }
            let name = arg.drop { $0 == "-" }
            if !name.contains("="), flags.contains(where: { $0.name == name && $0.takesNextWord }) { i += 1 }
            i += 1
        }
        return nil
    }

    static let versionCommand = RktCommand(
        name: "version", summary: "Print the version and exit", usage: "",
        run: { context in
            context.console.out("rkt Version: \(RktRelease.version)\nappc Version: \(RktRelease.appcVersion)\nGo Version: go1.19.8\nGo OS/Arch: linux/amd64\nFeatures: \n")
            return 0
        })
}

extension RktContext {
    /// A usage problem found after parsing: cobra's `Error:` line and the usage.
    func usageError(_ message: String) -> Int32 {
        console.error("Error: \(message)")
        return usage()
    }

    /// Missing or extra arguments: the usage on stdout.
    func usage() -> Int32 {
        console.out(command.usageText(path: path))
        return Rkt.failure
    }
}
