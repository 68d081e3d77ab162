import CLISupport

/// The flags every command can read: actool's global ones.
struct GlobalOptions {
    var debug = false
}

/// One actool subcommand: its help texts (shown byte for byte as Go's actool
/// shows them), its flags, and what it runs.
struct Command: Sendable {
    let name: String
    let summary: String
    let usage: String
    let description: String
    /// Declares the command's flags on a fresh flag set.
    let declareFlags: @Sendable (GoFlagSet) -> Void
    /// Runs with the parsed flags and the remaining arguments; returns the exit code.
    let run: @Sendable (_ flags: GoFlagSet, _ args: [String], _ global: GlobalOptions, _ console: Console) -> Int32

    func makeFlags() -> GoFlagSet {
        let set = GoFlagSet()
        declareFlags(set)
        return set
    }
}

/// The commands in the order actool lists them. `image-id` is ours: it is kept out
/// of the global help so that text stays identical to actool's (`actool help image-id` works).
enum Commands {
    static let listed: [Command] = [
        .build, .catManifest, .discover, .help, .patchManifest, .validate, .version,
    ]
    static let all: [Command] = listed + [.imageID, .convert]

    static func named(_ name: String) -> Command? {
        all.first { $0.name == name }
    }
}
