import GoCompat
import ImageKit

/// Go's `flag.FlagSet` parsing, which actool's users and scripts rely on:
/// `-f` and `--f` are the same, `--f=v` and `--f v` for values, booleans only as
/// `--f` or `--f=VALUE`, and parsing stops at the first non-flag or `--`.
final class GoFlagSet {
    enum Kind {
        case bool
        case string
        case uint
        /// A string flag that may be repeated; every value is kept, in order (ours, not actool's).
        case list
    }

    struct Flag {
        let name: String
        let kind: Kind
        let usage: String
        let defaultValue: String
    }

    /// Why parsing stopped early. `message` is what Go prints (and returns).
    enum ParseError: Error {
        case help
        case invalid(String)

        var message: String {
            switch self {
            case .help: return "flag: help requested"
            case let .invalid(text): return text
            }
        }
    }

    private(set) var flags: [String: Flag] = [:]
    private var values: [String: String] = [:]
    private var lists: [String: [String]] = [:]
    /// Arguments left after the flags.
    private(set) var arguments: [String] = []

    func bool(_ name: String, usage: String) {
        flags[name] = Flag(name: name, kind: .bool, usage: usage, defaultValue: "false")
    }

    func string(_ name: String, usage: String, default value: String = "") {
        flags[name] = Flag(name: name, kind: .string, usage: usage, defaultValue: value)
    }

    func uint(_ name: String, usage: String, default value: String = "0") {
        flags[name] = Flag(name: name, kind: .uint, usage: usage, defaultValue: value)
    }

    func list(_ name: String, usage: String) {
        flags[name] = Flag(name: name, kind: .list, usage: usage, defaultValue: "")
    }

    /// Every value given to a repeatable flag, in order.
    func values(_ name: String) -> [String] {
        lists[name] ?? []
    }

    /// The value given, or the default.
    func value(_ name: String) -> String {
        values[name] ?? flags[name]?.defaultValue ?? ""
    }

    func isSet(_ name: String) -> Bool {
        value(name) == "true"
    }

    /// Flags sorted by name, as Go's `VisitAll` and `PrintDefaults` list them.
    var sortedFlags: [Flag] {
        flags.values.sorted { $0.name < $1.name }
    }

    /// Parses `args`; on error Go has already printed the message and the usage,
    /// which `report` receives here in that order.
    func parse(_ args: [String], report: (String) -> Void, usage: () -> Void) throws(ParseError) {
        var rest = args[...]
        while let s = rest.first {
            if s.count < 2 || !s.hasPrefix("-") { break }
            var minuses = 1
            if s.hasPrefix("--") {
                minuses = 2
                if s.count == 2 {
                    rest = rest.dropFirst()
                    break
                }
            }
            var name = String(s.dropFirst(minuses))
            if name.isEmpty || name.hasPrefix("-") || name.hasPrefix("=") {
                throw fail("bad flag syntax: \(s)", report, usage)
            }
            rest = rest.dropFirst()
            var value: String?
            if let eq = name.dropFirst().firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let flag = flags[name] else {
                if name == "help" || name == "h" {
                    usage()
                    throw .help
                }
                throw fail("flag provided but not defined: -\(name)", report, usage)
            }
            switch flag.kind {
            case .bool:
                let given = value ?? "true"
                guard let parsed = Strconv.parseBool(given) else {
                    throw fail("invalid boolean value \(goQuote(given)) for -\(name): \(Strconv.syntaxError("ParseBool", given))", report, usage)
                }
                values[name] = parsed ? "true" : "false"
            case .string, .uint, .list:
                if value == nil, let next = rest.first {
                    value = next
                    rest = rest.dropFirst()
                }
                guard let given = value else {
                    throw fail("flag needs an argument: -\(name)", report, usage)
                }
                if flag.kind == .list {
                    lists[name, default: []].append(given)
                } else if flag.kind == .uint {
                    guard let number = UInt64(given) else {
                        let reason = given.allSatisfy(\.isNumber) && !given.isEmpty ? "value out of range" : "parse error"
                        throw fail("invalid value \(goQuote(given)) for flag -\(name): \(reason)", report, usage)
                    }
                    values[name] = String(number)
                } else {
                    values[name] = given
                }
            }
        }
        arguments = Array(rest)
    }

    private func fail(_ message: String, _ report: (String) -> Void, _ usage: () -> Void) -> ParseError {
        report(message)
        usage()
        return .invalid(message)
    }

    /// Go's `PrintDefaults` text (each flag, its type word, its usage on the next line).
    var defaultsText: String {
        var out = ""
        for flag in sortedFlags {
            var line = "  -\(flag.name)"
            let typeWord: String
            switch flag.kind {
            case .bool: typeWord = ""
            case .string, .list: typeWord = "string"
            case .uint: typeWord = "uint"
            }
            if !typeWord.isEmpty { line += " " + typeWord }
            // Go puts one-letter flags without a type on the same line.
            line += line.count <= 4 ? "\t" : "\n    \t"
            line += flag.usage.replacingAll("\n", with: "\n    \t")
            let isZero = flag.defaultValue.isEmpty || flag.defaultValue == "false" || flag.defaultValue == "0"
            if !isZero {
                line += flag.kind == .string ? " (default \(goQuote(flag.defaultValue)))" : " (default \(flag.defaultValue))"
            }
            out += line + "\n"
        }
        return out
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
