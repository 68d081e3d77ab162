import CLISupport
import GoCompat
import ImageKit

extension Command {
    static let help = Command(
        name: "help",
        summary: "Show a list of commands or help for one command",
        usage: "[COMMAND]",
        description: "Show a list of commands or detailed help for one command",
        declareFlags: { _ in },
        run: { _, args, _, console in
            guard let topic = args.first else {
                console.out(HelpText.global())
                return 0
            }
            guard let command = Commands.named(topic) else {
                console.error("Unrecognized command: \(topic)")
                return 1
            }
            console.out(HelpText.command(command))
            return 0
        })

    static let version = Command(
        name: "version",
        summary: "Print the version and exit",
        usage: "",
        description: "Print the version and exit",
        declareFlags: { _ in },
        run: { _, _, _, console in
            console.out("actool version \(Actool.version)\n")
            return 0
        })
}

/// actool's help pages: its Go templates, rendered through the same tab writer.
enum HelpText {
    static func global() -> String {
        var text = "NAME:\n\t\(Actool.name) - \(Actool.description)\n\n"
        // The trailing space after "USAGE:" is in actool's template.
        text += "USAGE: \n\t\(Actool.name) [global options] <command> [command options] [arguments...]\n\n"
        text += "VERSION:\n\t\(Actool.version)\n\n"
        text += "COMMANDS:"
        for command in Commands.listed {
            text += "\n\t\(command.name)\t\(command.summary)"
        }
        text += "\n\nGLOBAL OPTIONS:"
        for flag in Actool.globalFlags().sortedFlags {
            text += "\n" + option(flag)
        }
        text += "\n\nRun \"\(Actool.name) help <command>\" for more details on a specific command.\n"
        return TabWriter.format(text)
    }

    static func command(_ command: Command) -> String {
        var text = "NAME:\n\t\(command.name) - \(command.summary)\n\n"
        text += "USAGE:\n\t\(Actool.name) \(command.name) \(command.usage)\n\n"
        text += "DESCRIPTION:\n"
        for line in trimmed(command.description).split(separator: "\n", omittingEmptySubsequences: false) {
            text += "\t\(line)\n"
        }
        text += "\n"
        let flags = command.makeFlags().sortedFlags
        if !flags.isEmpty {
            text += "OPTIONS:"
            for flag in flags {
                text += "\n" + option(flag)
            }
            text += "\n\n"
        }
        text += "For help on global options run \"\(Actool.name) help\"\n"
        return TabWriter.format(text)
    }

    /// actool's `printOption`: `\t--name=default\tusage` (one dash for one-letter names).
    private static func option(_ flag: GoFlagSet.Flag) -> String {
        "\t\(spelling(flag))\t\(flag.usage)"
    }

    /// `--name=default` as a help page spells it.
    static func spelling(_ flag: GoFlagSet.Flag) -> String {
        (flag.name.count == 1 ? "-" : "--") + "\(flag.name)=\(flag.defaultValue)"
    }

    /// `strings.Trim(s, "\n\t ")`.
    static func trimmed(_ text: String) -> Substring {
        let junk: Set<Character> = ["\n", "\t", " "]
        var s = Substring(text)
        while let c = s.first, junk.contains(c) { s = s.dropFirst() }
        while let c = s.last, junk.contains(c) { s = s.dropLast() }
        return s
    }
}
