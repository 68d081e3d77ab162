import CLIDocs

extension Actool {
    /// actool's commands for its man pages and shell completions, from the tables its help
    /// pages come from. `image-id` and `convert`, ours and left out of the global help so
    /// that page stays actool's byte for byte, are documented here.
    public static func documentation() -> CommandDoc {
        func options(_ set: GoFlagSet) -> [OptionDoc] {
            set.sortedFlags.map { OptionDoc(name: $0.name, spelling: HelpText.spelling($0), usage: $0.usage, takesValue: $0.kind != .bool) }
        }
        let global = options(globalFlags())
        let commands = Commands.all.sorted { $0.name < $1.name }.map { command in
            CommandDoc(
                path: [name, command.name], summary: command.summary, usage: command.usage, description: String(HelpText.trimmed(command.description)),
                options: options(command.makeFlags()), inheritedOptions: global,
                arguments: ["discover", "help", "version"].contains(command.name) ? .none : .files)
        }
        return CommandDoc(
            path: [name], summary: description, usage: "[global options] <command> [command options] [arguments...]",
            description: "actool builds, validates, inspects and patches App Container Images (ACIs).\n\nRun \"actool help <command>\" for more details on a specific command.",
            options: global, subcommands: commands)
    }
}
