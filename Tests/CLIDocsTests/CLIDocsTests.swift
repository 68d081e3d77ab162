import Foundation
import LinuxSystem
import TestSupport
import Testing

@testable import ActoolCLI
@testable import CLIDocs
@testable import RktCLI

/// Man pages and shell completions generated from both tools' command tables (needs
/// mandoc, bash and zsh): every command has a page that lints clean and is offered by
/// both completions, and the completion scripts complete what a user types.
struct CLIDocsTests {
    static let tools = [Actool.documentation(), Rkt.documentation()]

    static func tool(_ name: String) throws -> CommandDoc {
        try #require(tools.first { $0.program == name })
    }

    /// Every page, rendered and checked by mandoc's linter at warning level.
    @Test(arguments: ["actool", "rkt"]) func pagesLintClean(tool: String) throws {
        try requireTool("mandoc", package: "mandoc")
        let root = try Self.tool(tool)
        let s = Scratch()
        defer { s.remove() }
        var paths: [String] = []
        for command in root.all {
            let path = s.file(command.pageName + ".1")
            try Files.writeFile(path, Array(ManPage.render(command, date: "2026-12-06", source: "appc-tools", manual: "test").utf8))
            paths.append(path)
        }
        let lint = try Subprocess.run(["mandoc", "-T", "lint", "-W", "warning"] + paths)
        #expect(lint.code == 0 && lint.stdoutText.isEmpty && lint.stderrText.isEmpty, "\(lint.stdoutText)\(lint.stderrText)")
    }

    /// The command trees hold what the tools run: rkt's pages for its commands and groups,
    /// actool's for each of its commands (the unlisted `image-id` and `convert` too).
    @Test func treesCoverEveryCommand() {
        let rktPages = Set(Rkt.documentation().all.map(\.pageName))
        for page in ["rkt", "rkt-run", "rkt-enter", "rkt-image", "rkt-image-list", "rkt-image-render", "rkt-debug", "rkt-completion"] {
            #expect(rktPages.contains(page), "\(page)")
        }
        #expect(!rktPages.contains("rkt-image-fetch"), "hidden commands have no page")
        let actoolPages = Set(Actool.documentation().all.map(\.pageName))
        #expect(
            actoolPages
                == [
                    "actool", "actool-build", "actool-cat-manifest", "actool-convert", "actool-discover", "actool-help", "actool-image-id",
                    "actool-patch-manifest", "actool-validate", "actool-version",
                ])
    }

    /// What the help pages list, the documentation holds: every command `rkt help` and
    /// `actool help` name has a page, offered by both completions, and every option a
    /// command's help page shows is on its man page and completed by the shells.
    @Test func helpPagesAndDocumentationAgree() throws {
        func listed(_ help: String, section: String) -> [String] {
            guard let start = help.range(of: section + ":\n") else { return [] }
            return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
                .prefix { $0.hasPrefix("\t") || $0.hasPrefix("  ") }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        func check(_ root: CommandDoc, commands: [String], options: (String) -> [String]) {
            let docs = Dictionary(uniqueKeysWithValues: root.all.map { ($0.path.dropFirst().joined(separator: " "), $0) })
            let bash = ShellCompletion.bash(root, header: "test"), zsh = ShellCompletion.zsh(root, header: "test")
            for command in commands {
                guard let doc = docs[command] else {
                    Issue.record("\(root.program) \(command) is in the help but has no page")
                    continue
                }
                #expect(bash.contains("\"\(command)\")") && zsh.contains("\"\(command)\")"), "\(command) is not completed")
                let page = ManPage.render(doc, date: "2026-12-06", source: "test", manual: "test")
                for option in options(command) {
                    let name = String(option.prefix { $0 != "=" && $0 != "[" })
                    #expect(page.contains(ManPage.escape(name)), "\(root.program) \(command): \(name) is not on its page")
                    #expect(bash.contains(name) && zsh.contains(name), "\(root.program) \(command): \(name) is not completed")
                }
            }
        }
        let rktCommands = listed(Rkt.helpPage(path: [], showsHelpFlag: false), section: "COMMANDS")
            .map { String($0.split(separator: "\t").first ?? "") }.filter { $0 != "help" }
        #expect(rktCommands.count >= 20, "\(rktCommands)")
        check(Rkt.documentation(), commands: rktCommands) { command in
            listed(Rkt.helpPage(path: command.split(separator: " ").map(String.init), showsHelpFlag: false), section: "OPTIONS")
                .map { String($0.split(separator: "\t").first ?? "") }
        }
        let actoolCommands = Commands.all.map(\.name)
        #expect(listed(HelpText.global(), section: "COMMANDS").count == Commands.listed.count)
        check(Actool.documentation(), commands: actoolCommands) { command in
            guard let found = Commands.named(command) else { return [] }
            return listed(HelpText.command(found), section: "OPTIONS").map { String($0.split(separator: "\t").first ?? "") }
        }
    }

    /// A page's parts: the use line, paragraphs, examples kept verbatim, options with
    /// their defaults, escapes for roff's special characters.
    @Test func pageLayout() {
        let command = CommandDoc(
            path: ["rkt", "image", "list"], summary: "List images", usage: "[--fields=...]",
            description: "First -- paragraph.\n.dotted line\n\n\t$ rkt image list\nBack\\slash.",
            options: [OptionDoc(name: "fields", spelling: "--fields=id,name", usage: "fields to show", takesValue: true)],
            inheritedOptions: [OptionDoc(name: "debug", spelling: "--debug[=false]", usage: "debug output", takesValue: false)])
        let page = ManPage.render(command, date: "2026-12-06", source: "appc-tools 1", manual: "rkt manual")
        #expect(
            page == """
                .TH "RKT-IMAGE-LIST" "1" "2026-12-06" "appc-tools 1" "rkt manual"
                .SH NAME
                rkt\\-image\\-list \\- List images
                .SH SYNOPSIS
                .B rkt image list
                [\\-\\-fields=...]
                .SH DESCRIPTION
                First \\-\\- paragraph.
                \\&.dotted line
                .RS
                .nf
                $ rkt image list
                .fi
                .RE
                Back\\eslash.
                .SH OPTIONS
                .TP
                \\fB\\-\\-fields=id,name\\fP
                fields to show
                .SH OPTIONS INHERITED FROM PARENT COMMANDS
                .TP
                \\fB\\-\\-debug[=false]\\fP
                debug output
                .SH SEE ALSO
                \\fBrkt\\-image\\fP(1)

                """)
    }

    /// bash: `_TOOL` completes subcommands, options and files at the words typed.
    @Test(arguments: [
        (
            "actool", ["actool pa", "actool patch-manifest --rep", "actool --de", "actool validate FILES/al"],
            ["patch-manifest", "--replace", "--debug", "FILES/alpha.aci FILES/alpine.aci"]
        ),
        (
            "rkt", ["rkt ima", "rkt image l", "rkt run --ne", "rkt --dir=/x st", "rkt trust FILES/al"],
            ["image", "list", "--net=", "status stop", "FILES/alpha.aci FILES/alpine.aci"]
        ),
    ])
    func bashCompletes(tool: String, lines: [String], expected: [String]) throws {
        let root = try Self.tool(tool)
        let s = Scratch()
        defer { s.remove() }
        let script = s.file(tool + ".bash")
        try Files.writeFile(script, Array(ShellCompletion.bash(root, header: "test").utf8))
        let files = s.file("files")
        try Files.makeDirectories(files)
        for name in ["alpha.aci", "alpine.aci", "beta.aci"] { try Files.writeFile(files + "/" + name, [UInt8]()) }
        let probe = """
            complete() { :; }
            compopt() { :; }
            source \(script)
            for line in \(lines.map { "'\($0.replacingOccurrences(of: "FILES", with: files))'" }.joined(separator: " ")); do
                read -ra COMP_WORDS <<< "$line"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _\(tool); echo "${COMPREPLY[*]}"
            done
            """
        let result = try Subprocess.run(["bash", "--norc", "-c", probe])
        let wanted = expected.map { $0.replacingOccurrences(of: "FILES", with: files) + "\n" }.joined()
        #expect(
            result.stdoutText.split(separator: "\n").map { Set($0.split(separator: " ")) } == wanted.split(separator: "\n").map { Set($0.split(separator: " ")) },
            "\(result.stdoutText)\(result.stderrText)")
    }

    /// zsh: the function file parses, registers itself when sourced, and hands `_describe`
    /// the subcommands and options (with their summaries) at the path typed, `_files` for
    /// file arguments. zsh's own completion system is replaced by probes that print what
    /// they were given, so this checks the script's logic, not zsh's.
    @Test(arguments: [
        (
            "actool", ["actool pa", "actool patch-manifest --rep", "actool build ./x"],
            ["commands: build cat-manifest convert", "options: --debug --dry-run --help --no-compression --overwrite --replace\noptions: --add-dependency= --capability=", "files"]
        ),
        (
            "rkt", ["rkt ima", "rkt image l", "rkt run --ne", "rkt fetch ./x"],
            ["commands: bind cat-manifest", "commands: cat-manifest export extract gc list render rm verify", "options: --annotation= --caps-remove=", "files"]
        ),
    ])
    func zshCompletes(tool: String, lines: [String], expected: [String]) throws {
        try requireTool("zsh", package: "zsh")
        let root = try Self.tool(tool)
        let s = Scratch()
        defer { s.remove() }
        let script = s.file("_" + tool)
        try Files.writeFile(script, Array(ShellCompletion.zsh(root, header: "test").utf8))
        let syntax = try Subprocess.run(["zsh", "-n", script])
        #expect(syntax.code == 0, "\(syntax.stderrText)")
        let probe = """
            compdef() { print -r -- "compdef $*"; }
            source \(script)
            _describe() { local -a items; items=("${(@P)4}"); print -r -- "$2: ${(@)items%%:*}"; }
            compadd() { print -r -- "compadd $*"; }
            _files() { print -r -- files; }
            for line in \(lines.map { "'\($0)'" }.joined(separator: " ")); do
                words=(${(z)line}); CURRENT=${#words}; PREFIX=${words[CURRENT]}; print -r -- "> $line"; _\(tool)
            done
            """
        let result = try Subprocess.run(["zsh", "-f", "-c", probe])
        let output = result.stdoutText
        #expect(output.hasPrefix("compdef _\(tool) \(tool)\n"), "\(output)\(result.stderrText)")
        let blocks = output.split(separator: ">").dropFirst().map(String.init)
        #expect(blocks.count == lines.count, "\(output)")
        for (block, wanted) in zip(blocks, expected) {
            #expect(block.contains(wanted), "\(block) lacks \(wanted)")
        }
    }
}
