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
    /// Nothing but command words was given (`rkt status`): help pages list `-h, --help`.
    var bare = false
    /// rkt's merged configuration (system, local, user), read once per context.
    private let loadedConfiguration: Result<RktConfig, ConfigError>
    /// The data directory, or why the configuration that names it cannot be read.
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
        let directories = ["system-config", "local-config", "user-config"].map(flags.string).filter { !$0.isEmpty }
        loadedConfiguration = Result { () throws(ConfigError) in try RktConfig.load(directories: directories) }
        resolvedDataDirectory = Self.dataDirectory(flags, loadedConfiguration)
    }

    var debug: Bool { flags.bool("debug") }

    /// rkt's merged configuration (system, local, user).
    func configuration() throws(ConfigError) -> RktConfig {
        try loadedConfiguration.get()
    }

    /// rkt's `calculateDataDir`: `--dir`, else `paths.d`'s, else `/var/lib/rkt`, symlinks
    /// resolved; or why the configuration that names it cannot be read.
    private static func dataDirectory(_ flags: ParsedFlags, _ configuration: Result<RktConfig, ConfigError>) -> Result<String, ConfigError> {
        var directory = flags.isGiven("dir") ? flags.string("dir") : ""
        if directory.isEmpty {
            switch configuration {
            case .success(let config): directory = config.dataDirectory.isEmpty ? Rkt.defaultDataDirectory : config.dataDirectory
            case .failure(let error): return .failure(error)
            }
        }
        return .success((try? Files.realPath(directory)) ?? directory)
    }

    var dataDirectory: String { (try? resolvedDataDirectory.get()) ?? Rkt.defaultDataDirectory }

    /// The same command with other final flags (`run`/`prepare` fold in the flags found
    /// among their images); nil, with the message printed, if they are not usable.
    func replacingFlags(_ flags: ParsedFlags) -> RktContext? {
        var context = RktContext(flags: flags, console: console, name: name, command: command, path: path)
        context.bare = bare
        return context.checked() ? context : nil
    }

    /// Whether the global flags are usable; prints why not.
    func checked() -> Bool {
        for name in Rkt.directoryFlags where flags.isGiven(name) && flags.string(name).isEmpty {
            _ = usageError(flags.invalidArgument(name, "\"\" is not a valid directory"))
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
        .string("dir", default: "/var/lib/rkt", "rkt data directory").plain(),
        .string(
            "insecure-options", default: "none",
            "comma-separated list of security features to disable. Allowed values: \"none\", \"image\", \"tls\", \"ondisk\", \"http\", \"pubkey\", \"capabilities\", \"paths\", \"seccomp\", \"all-fetch\", \"all-run\", \"all\""
        ).plain(),
        .bool("debug", "print out more debug information to stderr"),
        .string("local-config", default: "/etc/rkt", "local configuration directory").plain(),
        .string("system-config", default: "/usr/lib/rkt", "system configuration directory").plain(),
        .string("user-config", "user configuration directory").plain(),
        .bool("trust-keys-from-https", "automatically trust gpg keys fetched from https"),
    ]

    static let root = RktCommand(
        name: "rkt", summary: "rkt, the application container runner", usage: "[command]",
        long: "A CLI for running app containers on Linux.\n\nTo get the help on any specific command, run \"rkt help command\".",
        subcommands: [
            bindCommand, catManifestCommand, completionCommand, configCommand, debugCommand, enterCommand, exportCommand, fetchCommand, gcCommand, imageCommand, listCommand,
            prepareCommand,
            removeCommand, runCommand, runPreparedCommand, statusCommand, stopCommand, trustCommand, unbindCommand, versionCommand,
        ],
        run: { context in
            // rkt's `runMissingCommand`: the help page, exit 2 (invalid argument).
            context.console.error("rkt: missing command")
            context.console.out(helpPage(path: [], showsHelpFlag: context.bare))
            return 2
        })

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

    /// Finds the command, parses its flags and builds its context, as cobra does: `rkt help
    /// [COMMAND...]` and `--help` print the command's help page (exit 0), as does a command
    /// group given no known subcommand; rkt with no command says so and exits 2; an unknown
    /// command is one `Error:` line with cobra's suggestions.
    static func parse(arguments: [String], console: Console) -> Invocation {
        var command = root
        var path: [String] = []
        var rest = Array(arguments.dropFirst())
        if let index = commandWordIndex(rest, flags: globalFlags), "help".hasPrefix(rest[index]), root.subcommand(rest[index]) == nil {
            return help(Array(rest[(index + 1)...]), console: console)
        }
        // Walk down the command tree: the first non-flag words name subcommands.
        while !command.subcommands.isEmpty, let index = commandWordIndex(rest, flags: command.flags + globalFlags) {
            guard let next = command.subcommand(rest[index]) else {
                guard path.isEmpty else { break }
                // cobra's `Find` error, only for rkt itself: a group takes any word and shows its help.
                console.error("Error: unknown command \(goQuote(rest[index])) for \"rkt\"\(suggestions(for: rest[index]))")
                console.error("Run 'rkt --help' for usage.")
                return .exit(failure)
            }
            rest.remove(at: index)
            command = next
            path.append(next.name)
        }
        // Nothing but command words: cobra's help flag is part of the page (see `helpPage`).
        let bare = rest.isEmpty
        // Rendered only when printed: most invocations never show it.
        func page() -> String { helpPage(path: path, showsHelpFlag: bare) }
        // `-h`/`--help` among the command's own flags: its help page, exit 0.
        let ownFlags = command.interspersed ? rest.prefix { $0 != "--" } : rest.prefix { $0.hasPrefix("-") && $0 != "--" }
        if ownFlags.contains("--help") || ownFlags.contains("-h") {
            console.out(page())
            return .exit(0)
        }
        let parsed: ParsedFlags
        do throws(UsageError) {
            parsed = try parseFlags(rest, specs: command.flags, interspersed: command.interspersed)
        } catch {
            console.error("Error: \(error.message)")
            console.out(page())
            // cobra prints the usage it captured (none: rkt's usage goes to stdout) and a newline.
            console.errText("\n")
            return .exit(failure)
        }
        for notice in parsed.notices { console.errText(notice + "\n") }
        guard let run = command.run else {
            console.out(page())
            return .exit(0)
        }
        var context = RktContext(
            flags: parsed, console: console, name: path.last ?? "rkt", command: command,
            path: path.joined(separator: " "))
        context.bare = bare
        guard context.checked() else { return .exit(failure) }
        return .run(run, context)
    }

    /// cobra's `help [COMMAND...]`: the command's help page, without its help flag; an
    /// unknown command is an unknown help topic, followed by rkt's own page. Exit 0.
    private static func help(_ words: [String], console: Console) -> Invocation {
        var command = root
        var path: [String] = []
        let topics = words.filter { !$0.hasPrefix("-") }
        for word in topics {
            guard let next = command.subcommand(word) else {
                if path.isEmpty {
                    console.errText("Unknown help topic [" + topics.map { "`\($0)`" }.joined(separator: " ") + "].")
                    console.out(helpPage(path: [], showsHelpFlag: false))
                    return .exit(0)
                }
                break
            }
            command = next
            path.append(next.name)
        }
        console.out(helpPage(path: path, showsHelpFlag: false))
        return .exit(0)
    }

    /// cobra's "Did you mean this?" list: commands within two edits of `word`, or starting with it.
    private static func suggestions(for word: String) -> String {
        let typed = Array(word.lowercased().utf8)
        let available: [RktCommand] = root.subcommands.filter { !$0.hidden && ($0.run != nil || !$0.subcommands.isEmpty) }
        let names: [String] = available.map { $0.name }
        let matches = names.filter { name in
            levenshtein(typed, Array(name.lowercased().utf8)) <= 2 || name.lowercased().hasPrefix(word.lowercased())
        }
        guard !matches.isEmpty else { return "" }
        return "\n\nDid you mean this?\n" + matches.map { "\t\($0)\n" }.joined()
    }

    private static func levenshtein(_ s: [UInt8], _ t: [UInt8]) -> Int {
        var previous = Array(0...t.count)
        for (i, a) in s.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: t.count)
            for (j, b) in t.enumerated() {
                current[j + 1] = a == b ? previous[j] : min(previous[j + 1], current[j], previous[j]) + 1
            }
            previous = current
        }
        return previous[t.count]
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
        long: "Print the version of rkt, and various build and configuration information.",
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

    /// Missing or extra arguments: the help page on stdout.
    func usage() -> Int32 {
        console.out(Rkt.helpPage(path: path.isEmpty ? [] : path.split(separator: " ").map(String.init), showsHelpFlag: bare))
        return Rkt.failure
    }
}
