/// Man pages in roff's `man` macros, one per command, laid out as cobra's man page
/// generator lays out rkt's (NAME, SYNOPSIS, DESCRIPTION, OPTIONS, OPTIONS INHERITED FROM
/// PARENT COMMANDS, COMMANDS, SEE ALSO).
public enum ManPage {
    /// The page of `command`, in section 1. `date` (`2026-12-06`) and `source`
    /// (`appc-tools 1.30.0`) fill the footer; `manual` the header's centre.
    public static func render(_ command: CommandDoc, date: String, source: String, manual: String) -> String {
        var page = ".TH \(quoted(command.pageName.uppercased())) \"1\" \(quoted(date)) \(quoted(source)) \(quoted(manual))\n"
        page += ".SH NAME\n\(escape(command.pageName)) \\- \(escape(command.summary))\n"
        page += ".SH SYNOPSIS\n.B \(escape(command.path.joined(separator: " ")))\n"
        if !command.usage.isEmpty { page += escapeLine(command.usage) + "\n" }
        page += ".SH DESCRIPTION\n" + paragraphs(command.description.isEmpty ? command.summary : command.description)
        if !command.options.isEmpty { page += ".SH OPTIONS\n" + options(command.options) }
        if !command.inheritedOptions.isEmpty {
            page += ".SH \(command.path.count > 1 ? "OPTIONS INHERITED FROM PARENT COMMANDS" : "GLOBAL OPTIONS")\n" + options(command.inheritedOptions)
        }
        if !command.subcommands.isEmpty {
            page += ".SH COMMANDS\n"
            for sub in command.subcommands {
                page += ".TP\n.B \(escape(sub.path.last ?? ""))\n\(escapeLine(sub.summary))\n"
            }
        }
        var seeAlso: [String] = []
        if command.path.count > 1 { seeAlso.append(command.path.dropLast().joined(separator: "-")) }
        seeAlso += command.subcommands.map(\.pageName)
        if !seeAlso.isEmpty {
            page += ".SH SEE ALSO\n" + seeAlso.map { "\\fB\(escape($0))\\fP(1)" }.joined(separator: ",\n") + "\n"
        }
        return page
    }

    private static func options(_ list: [OptionDoc]) -> String {
        list.map { ".TP\n\\fB\(escape($0.spelling))\\fP\n\(escapeLine($0.usage))\n" }.joined()
    }

    /// Help text to roff: blank lines start paragraphs, lines starting with a tab or two
    /// spaces are kept as they are (examples), other lines are filled.
    private static func paragraphs(_ text: String) -> String {
        var out = ""
        var inExample = false
        var startsParagraph = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let example = line.hasPrefix("\t") || line.hasPrefix("  ")
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if inExample { out += ".fi\n.RE\n" }
                inExample = false
                startsParagraph = true
                continue
            }
            if example != inExample {
                out += example ? ".RS\n.nf\n" : ".fi\n.RE\n"
                inExample = example
            } else if startsParagraph {
                out += ".PP\n"
            }
            startsParagraph = false
            out += escapeLine(example ? String(line.drop { $0 == "\t" || $0 == " " }) : String(line)) + "\n"
        }
        if inExample { out += ".fi\n.RE\n" }
        return out
    }

    /// One line of text: escaped, and kept from being read as a request.
    static func escapeLine(_ text: String) -> String {
        let escaped = escape(text)
        return escaped.hasPrefix(".") || escaped.hasPrefix("'") ? "\\&" + escaped : escaped
    }

    /// Backslashes and hyphens as roff wants them (`\e`, `\-`).
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            case "\t": out += " "
            default: out.append(c)
            }
        }
        return out
    }

    /// A `.TH` argument: quoted, backslashes and quotes escaped (hyphens kept: the date
    /// must stay `YYYY-MM-DD` for man's parsers).
    private static func quoted(_ text: String) -> String {
        var out = "\""
        for c in text {
            switch c {
            case "\\": out += "\\e"
            case "\"": out += "\\(dq"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
