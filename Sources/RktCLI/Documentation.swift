import CLIDocs
import ImageStore

extension Rkt {
    /// rkt's command tree for its man pages and shell completions: the commands and flags
    /// its help pages list (hidden and deprecated ones left out), with what each command's
    /// arguments complete to.
    public static func documentation() -> CommandDoc {
        func options(_ flags: [FlagSpec]) -> [OptionDoc] {
            flags.filter(\.isListed).sorted { $0.name < $1.name }.map {
                OptionDoc(name: $0.name, spelling: $0.spelling, usage: $0.usage, takesValue: $0.kind != .bool)
            }
        }
        func describe(_ command: RktCommand, path: [String]) -> CommandDoc {
            let key = path.dropFirst().joined(separator: " ")
            return CommandDoc(
                path: path, summary: command.summary, usage: command.usage, description: command.description,
                options: options(path.count == 1 ? command.flags + globalFlags : command.flags),
                inheritedOptions: path.count == 1 ? [] : options(globalFlags),
                subcommands: command.subcommands.filter { !$0.hidden }.sorted { $0.name < $1.name }.map { describe($0, path: path + [$0.name]) },
                arguments: argumentCompletions[key] ?? .none)
        }
        return describe(root, path: ["rkt"])
    }

    /// What arguments complete to, by command path: images of the store, pods in the
    /// states the command accepts (as rkt's own bash script offered them), files.
    private static let argumentCompletions: [String: ArgumentCompletion] = {
        let images = ArgumentCompletion.words(shellCommand: "rkt image list --no-legend 2>/dev/null | awk '{print $1}'")
        func pods(_ states: String) -> ArgumentCompletion {
            .words(shellCommand: "rkt list --no-legend 2>/dev/null | awk '$0 ~ /\(states)/ {print $1}' | sort -u")
        }
        var table: [String: ArgumentCompletion] = [:]
        for path in ["run", "prepare", "image rm", "image cat-manifest", "image export", "image extract", "image render", "image verify"] {
            table[path] = images
        }
        table["run-prepared"] = pods("prepared")
        for path in ["enter", "stop", "debug", "bind", "unbind"] { table[path] = pods("running") }
        for path in ["rm", "export"] { table[path] = pods("prepare|exited") }
        for path in ["status", "cat-manifest"] { table[path] = pods(".") }
        for path in ["fetch", "trust"] { table[path] = .files }
        return table
    }()
}
