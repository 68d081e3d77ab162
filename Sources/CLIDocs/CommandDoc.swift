/// A command line described for its documentation: what its man pages and shell
/// completions are generated from. Each tool builds one from the same tables its help
/// pages come from, so the three never drift apart.
public struct CommandDoc: Sendable {
    /// The words that run it: `["rkt", "image", "list"]`.
    public var path: [String]
    /// The one-line summary (NAME).
    public var summary: String
    /// What follows the command words in its use line (`[flags] IMAGE...`).
    public var usage: String
    /// The long description, as the help page shows it: paragraphs split by blank lines,
    /// lines starting with a tab are examples.
    public var description: String
    /// The command's own options, in the order the help page lists them.
    public var options: [OptionDoc]
    /// Options every command takes (the global ones), listed on each page after its own.
    public var inheritedOptions: [OptionDoc]
    /// Subcommands that are listed (hidden ones left out).
    public var subcommands: [CommandDoc]
    /// What the command's arguments are, for completions.
    public var arguments: ArgumentCompletion

    public init(
        path: [String], summary: String, usage: String, description: String, options: [OptionDoc], inheritedOptions: [OptionDoc] = [],
        subcommands: [CommandDoc] = [], arguments: ArgumentCompletion = .none
    ) {
        self.path = path
        self.summary = summary
        self.usage = usage
        self.description = description
        self.options = options
        self.inheritedOptions = inheritedOptions
        self.subcommands = subcommands
        self.arguments = arguments
    }

    /// The program's name.
    public var program: String { path.first ?? "" }

    /// `rkt-image-list`: the man page's name.
    public var pageName: String { path.joined(separator: "-") }

    /// This command and every subcommand below it, depth first.
    public var all: [CommandDoc] { [self] + subcommands.flatMap(\.all) }
}

/// One option as a page shows it.
public struct OptionDoc: Sendable {
    /// Its name, without dashes.
    public var name: String
    /// How the help page spells it with its default: `--debug[=false]`, `--dir="/var/lib/rkt"`.
    public var spelling: String
    public var usage: String
    /// Takes a value: completions offer `--name=`, and no space after it.
    public var takesValue: Bool

    public init(name: String, spelling: String, usage: String, takesValue: Bool) {
        self.name = name
        self.spelling = spelling
        self.usage = usage
        self.takesValue = takesValue
    }

    /// What a shell completes: `--name=` or `--name`.
    var completionWord: String { "--" + name + (takesValue ? "=" : "") }
}

/// What a command's arguments are, for shell completions.
public enum ArgumentCompletion: Sendable, Equatable {
    /// No arguments, or nothing worth offering.
    case none
    /// Paths on disk.
    case files
    /// The words a shell command prints, one per line (images in the store, pods).
    case words(shellCommand: String)
}
