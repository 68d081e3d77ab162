import GoCompat
import ImageStore

extension Rkt {
    /// The help page of the command at `path` (`[]` for rkt itself), as rkt prints it for
    /// `--help`, `rkt help`, a missing command and a usage error: rkt's own template
    /// (NAME, USAGE, VERSION, COMMANDS, DESCRIPTION, OPTIONS, GLOBAL OPTIONS) through a
    /// tabwriter.
    ///
    /// `showsHelpFlag`: whether OPTIONS lists `-h, --help`. cobra adds that flag to a
    /// command only when it runs it, after it may already have fixed the command's list of
    /// local flags while looking for the command among the arguments; so the line appears
    /// exactly when nothing but command words was given (`rkt`, `rkt image`, `rkt status`),
    /// and not for `rkt run --help` or `rkt help run`.
    static func helpPage(path: [String], showsHelpFlag: Bool) -> String {
        var command = root
        for word in path {
            guard let next = command.subcommands.first(where: { $0.name == word }) else { break }
            command = next
        }
        let name = path.isEmpty ? "rkt" : path.joined(separator: " ")
        var text = "NAME:\n\t\(name) - \(command.summary)\n"
        let useLine = (["rkt"] + path).joined(separator: " ") + (command.usage.isEmpty ? "" : " " + command.usage)
        text += "\nUSAGE:\n\t\(useLine)\n"
        if path.isEmpty { text += "\nVERSION:\n\t\(RktRelease.version)\n" }
        if !command.subcommands.isEmpty {
            text += "\nCOMMANDS:\n"
            var listed: [(String, String)] = []
            func list(_ parent: RktCommand, _ prefix: [String]) {
                for sub in parent.subcommands.sorted(by: { $0.name < $1.name }) where !sub.hidden {
                    if sub.run != nil { listed.append(((prefix + [sub.name]).joined(separator: " "), sub.summary)) }
                    list(sub, prefix + [sub.name])
                }
            }
            list(command, [])
            // cobra's own `help` command, added to rkt itself last.
            if path.isEmpty { listed.append(("help", "Help about any command")) }
            for (name, summary) in listed { text += "\t\(name)\t\(summary)\n" }
        }
        let description = command.description
        if !description.isEmpty {
            text += "\nDESCRIPTION:\n"
            for line in description.split(separator: "\n", omittingEmptySubsequences: false) { text += "\t\(line)\n" }
        }
        var local = command.flags
        if path.isEmpty { local += globalFlags }
        var lines: [(String, String)] = local.filter(\.isListed).map { ($0.name, $0.helpLine) }
        if showsHelpFlag {
            lines.append(("help", "  -h, --help[=false]\thelp for \(path.last ?? "rkt")\n"))
        }
        if !lines.isEmpty {
            let sorted: [(String, String)] = lines.sorted { $0.0 < $1.0 }
            text += "\nOPTIONS:\n" + sorted.map { $0.1 }.joined()
        }
        if !path.isEmpty {
            let global: [FlagSpec] = globalFlags.filter { !$0.hidden }.sorted { $0.name < $1.name }
            text += "\nGLOBAL OPTIONS:\n" + global.map { $0.helpLine }.joined()
        }
        return TabWriter.format(text + "\n")
    }
}
