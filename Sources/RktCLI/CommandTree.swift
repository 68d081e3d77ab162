import CLISupport
import GoCompat
import ImageKit

/// rkt's command line follows cobra and pflag, not Go's `flag`: flags may come before
/// or after arguments, `--f=v`, `--f v`, booleans as `--f` or `--f=false`, global
/// flags anywhere, subcommands matched by unambiguous prefix, and every failure
/// (usage errors included) exits 254.
struct FlagSpec {
    /// `optional`: a value only as `--f=V`; a bare `--f` means `true` (pflag's NoOptDefVal).
    enum Kind { case bool, string, list, optional }
    let name: String
    let kind: Kind
    let defaultValue: String
    let usage: String
    /// The value of a bare `--f` (pflag's NoOptDefVal): then a value is only taken as `--f=V`.
    var bareValue: String? = nil
    /// pflag's `MarkDeprecated` message: using the flag prints
    /// `Flag --NAME has been deprecated, MESSAGE` on stderr; help pages leave it out.
    var deprecated: String? = nil
    /// Left out of help pages (pflag's `MarkHidden`).
    var hidden = false
    /// Shown on help pages, man pages and in completions: neither hidden nor deprecated.
    var isListed: Bool { !hidden && deprecated == nil }
    /// rkt's per-app flag: it belongs to the image before it (`IMAGE --exec=X`), and before
    /// any image it is refused with `--NAME must follow an image`.
    var perApp = false
    /// The flag's pflag type is not `string` (one of rkt's own value types: durations,
    /// option lists, directories): help shows its default unquoted.
    var plainDefault = false

    /// The same flag, deprecated with `message`.
    func deprecated(_ message: String) -> FlagSpec {
        var flag = self
        flag.deprecated = message
        return flag
    }

    /// The same flag, left out of help pages.
    func hiddenFromHelp() -> FlagSpec {
        var flag = self
        flag.hidden = true
        return flag
    }

    /// The same flag with a value type of rkt's own (its default shown unquoted).
    func plain() -> FlagSpec {
        var flag = self
        flag.plainDefault = true
        return flag
    }

    /// The same flag as a per-app flag (rkt shows no default: there is no app yet).
    func forApp() -> FlagSpec {
        FlagSpec(name: name, kind: kind, defaultValue: "", usage: usage, perApp: true, plainDefault: true)
    }

    /// The flag's line in a help page (rkt's `rktFlagUsages`): `--NAME=DEFAULT`, the default
    /// quoted for pflag `string` flags, in brackets for flags that need no value
    /// (`--debug[=false]`, `--net[=default]`), then a tab and the usage.
    var helpLine: String { "      \(spelling)\t\(usage)\n" }

    /// `--NAME=DEFAULT` as the help page spells it (see `helpLine`).
    var spelling: String {
        let bracketed = (kind == .bool && !perApp) || kind == .optional || bareValue != nil
        let quoted = (kind == .string || kind == .optional) && !plainDefault
        let value = "=" + (quoted ? goQuote(defaultValue) : defaultValue)
        return "--\(name)" + (bracketed ? "[\(value)]" : value)
    }
}

extension FlagSpec {
    /// A boolean flag (`--f`, `--f=false`).
    static func bool(_ name: String, default value: Bool = false, _ usage: String) -> FlagSpec {
        FlagSpec(name: name, kind: .bool, defaultValue: value ? "true" : "false", usage: usage)
    }

    /// A flag with a value (`--f=V`, `--f V`).
    static func string(_ name: String, default value: String = "", _ usage: String) -> FlagSpec {
        FlagSpec(name: name, kind: .string, defaultValue: value, usage: usage)
    }

    /// A repeatable flag; every value is kept, in order.
    static func list(_ name: String, _ usage: String) -> FlagSpec {
        FlagSpec(name: name, kind: .list, defaultValue: "", usage: usage)
    }

    /// A repeatable flag whose value comes only as `--f=V`; a bare `--f`, like none at all,
    /// means `bare` (rkt's `--net`).
    static func optionalList(_ name: String, bare: String, _ usage: String) -> FlagSpec {
        FlagSpec(name: name, kind: .list, defaultValue: bare, usage: usage, bareValue: bare)
    }

    /// Whether a bare `--f` takes the next word as its value.
    var takesNextWord: Bool { (kind == .string || kind == .list) && bareValue == nil }

    /// A value only as `--f=V`; a bare `--f` means `true`.
    static func optional(_ name: String, default value: String, _ usage: String) -> FlagSpec {
        FlagSpec(name: name, kind: .optional, defaultValue: value, usage: usage)
    }

    /// `--uuid-file`, as every pod command takes it.
    static let uuidFile = FlagSpec.string("uuid-file", "read pod UUID from file instead of argument")
    /// `--format` of `list` and `image list`.
    static let listFormat = FlagSpec.string(
        "format", "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs"
    ).plain()
    /// `--format` of `status` (its usage is worded differently in rkt).
    static let statusFormat = FlagSpec.string(
        "format", "choose the output format. Allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs"
    ).plain()
    /// `--store-only` of fetch, run and prepare (deprecated for `--pull-policy=never`).
    static let storeOnly = FlagSpec.bool("store-only", "use only available images in the store (do not discover or download from remote URLs)")
        .deprecated("please use --pull-policy=never")
    /// `--no-store` of fetch, run and prepare (deprecated for `--pull-policy=update`).
    static let noStore = FlagSpec.bool("no-store", "fetch images ignoring the local store").deprecated("please use --pull-policy=update")
    /// `--pretty-print` of the cat-manifest commands.
    static let prettyPrint = FlagSpec.bool("pretty-print", default: true, "apply indent to format the output")
}

/// Parsed flags: the values given (or defaults) and the remaining arguments.
struct ParsedFlags {
    private(set) var values: [String: String] = [:]
    private(set) var given: Set<String> = []
    let specs: [String: FlagSpec]
    var arguments: [String] = []
    /// Arguments after a `--` (passed through untouched, e.g. to an app).
    var passThrough: [String] = []
    /// What pflag prints on stderr as it parses (deprecated flags), in order.
    var notices: [String] = []

    init(specs: [FlagSpec]) {
        self.specs = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func string(_ name: String) -> String { values[name] ?? specs[name]?.defaultValue ?? "" }
    /// Every value of a repeatable flag, in order.
    func list(_ name: String) -> [String] { lists[name] ?? [] }
    private(set) var lists: [String: [String]] = [:]
    func bool(_ name: String) -> Bool { string(name) == "true" }
    func isGiven(_ name: String) -> Bool { given.contains(name) }

    /// Replaces a given value (an absolute path for a relative one), keeping it given.
    mutating func replaceValue(_ name: String, _ value: String) {
        values[name] = value
    }

    mutating func set(_ name: String, _ value: String, spelling: String? = nil) {
        values[name] = value
        given.insert(name)
        if specs[name]?.kind == .list { lists[name, default: []].append(value) }
        if let spelling { spellings[name + "\u{0}" + value] = spelling }
    }

    /// Folds in the flags `other` was given (list values appended, others replaced).
    mutating func merge(_ other: ParsedFlags) {
        for name in other.given.sorted() {
            if other.specs[name]?.kind == .list {
                for value in other.list(name) { set(name, value) }
            } else {
                set(name, other.string(name))
            }
        }
        spellings.merge(other.spellings) { _, new in new }
        notices += other.notices
    }

    /// How each value was written on the command line (`--net=a:b` or `--net`), by flag and value.
    private var spellings: [String: String] = [:]

    /// pflag's message for a value its flag refuses: `invalid argument "V" for ARG: REASON`,
    /// where ARG is the command-line word that carried the flag (`--net=a:b`, or `--net`
    /// when the value was the next word).
    func invalidArgument(_ name: String, _ value: String, _ reason: String) -> String {
        let spelling = spellings[name + "\u{0}" + value] ?? "--\(name)=\(value)"
        return "invalid argument \(goQuote(value)) for \(spelling): \(reason)"
    }

    /// `invalidArgument` for the flag's (last) value.
    func invalidArgument(_ name: String, _ reason: String) -> String {
        invalidArgument(name, string(name), reason)
    }
}

/// A usage problem: cobra prints `Error: MESSAGE` on stderr and the usage on stdout.
struct UsageError: Error {
    let message: String
}

/// One rkt subcommand (leaf or group).
struct RktCommand: Sendable {
    let name: String
    let summary: String
    let usage: String
    let flags: [FlagSpec]
    let subcommands: [RktCommand]
    /// False for commands whose arguments carry flags of their own (`run IMAGE --exec X`):
    /// flag parsing stops at the first argument, as cobra's `SetInterspersed(false)`.
    var interspersed = true
    /// The help page's DESCRIPTION (cobra's `Long`); none when empty.
    var long = ""
    /// `long` as pages show it, blank lines and tabs trimmed at both ends.
    var description: String { long.trimmingCharacters(in: "\n\t ") }
    /// Left out of the help pages' command lists (`image fetch`, rkt's copy of `fetch`).
    var hidden = false
    /// The command's body; its flags are `context.flags`, the final ones.
    let run: (@Sendable (_ context: RktContext) -> Int32)?

    init(
        name: String, summary: String, usage: String, long: String = "", flags: [FlagSpec] = [],
        subcommands: [RktCommand] = [], interspersed: Bool = true, hidden: Bool = false,
        run: (@Sendable (RktContext) -> Int32)? = nil
    ) {
        self.interspersed = interspersed
        self.long = long
        self.hidden = hidden
        self.name = name
        self.summary = summary
        self.usage = usage
        self.flags = flags
        self.subcommands = subcommands
        self.run = run
    }

    /// The subcommand whose name is `word` or starts with it unambiguously.
    func subcommand(_ word: String) -> RktCommand? {
        if let exact = subcommands.first(where: { $0.name == word }) { return exact }
        let matches = subcommands.filter { $0.name.hasPrefix(word) }
        return matches.count == 1 ? matches.first : nil
    }
}

/// pflag's parsing of one command's arguments, with the global flags always known.
func parseFlags(_ args: [String], specs: [FlagSpec], interspersed: Bool = true) throws(UsageError) -> ParsedFlags {
    var parsed = ParsedFlags(specs: specs + Rkt.globalFlags)
    var i = 0
    while i < args.count {
        let arg = args[i]
        i += 1
        if arg == "--" {
            parsed.passThrough = Array(args[i...])
            break
        }
        guard arg.hasPrefix("-"), arg.count > 1 else {
            if !interspersed {
                parsed.arguments = Array(args[(i - 1)...])
                break
            }
            parsed.arguments.append(arg)
            continue
        }
        let long = arg.hasPrefix("--")
        var name = String(arg.dropFirst(long ? 2 : 1))
        if long, name.isEmpty || name.hasPrefix("-") || name.hasPrefix("=") {
            throw UsageError(message: "bad flag syntax: \(arg)")
        }
        var value: String?
        if let eq = name.firstIndex(of: "=") {
            value = String(name[name.index(after: eq)...])
            name = String(name[..<eq])
        }
        guard let spec = parsed.specs[name], long || name.count == 1 else {
            if !long {
                throw UsageError(message: "unknown shorthand flag: '\(name.prefix(1))' in \(arg)")
            }
            throw UsageError(message: "unknown flag: --\(name)")
        }
        if spec.perApp {
            // rkt's per-app values refuse to be set before an image (`--caps-remove` says caps-retain, as rkt does).
            let text = value ?? (spec.kind == .bool || i >= args.count ? "true" : args[i])
            let subject = ["caps-remove", "cap-retain", "cap-remove"].contains(name) ? "caps-retain" : name
            throw UsageError(message: "invalid argument \(goQuote(text)) for \(arg): --\(subject) must follow an image")
        }
        switch spec.kind {
        case .bool:
            let text = value ?? "true"
            guard let flag = Strconv.parseBool(text) else {
                throw UsageError(message: "invalid argument \(goQuote(text)) for \(arg): \(Strconv.syntaxError("ParseBool", text))")
            }
            parsed.set(name, flag ? "true" : "false")
        case .optional:
            parsed.set(name, value ?? "true", spelling: arg)
        case .string, .list:
            if value == nil, let bare = spec.bareValue { value = bare }
            if value == nil {
                guard i < args.count else { throw UsageError(message: "flag needs an argument: \(arg)") }
                value = args[i]
                i += 1
            }
            parsed.set(name, value ?? "", spelling: arg)
        }
        if let message = spec.deprecated { parsed.notices.append("Flag --\(name) has been deprecated, \(message)") }
    }
    return parsed
}
