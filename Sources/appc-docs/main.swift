// Writes the man pages and shell completions of actool and rkt, generated from the tables
// their help pages come from, into a `share` directory laid out as Debian's /usr/share:
//   appc-docs SHARE_DIR      (the date on the pages comes from $SOURCE_DATE_EPOCH, else now)
import ActoolCLI
import CLIDocs
import CLISupport
import Glibc
import ImageStore
import LinuxSystem
import RktCLI

let console = Console.standard()
let arguments = CommandLine.arguments
guard arguments.count == 2, !arguments[1].hasPrefix("-") else {
    console.error("usage: appc-docs SHARE_DIR")
    exit(2)
}
let share = arguments[1]

/// `2026-12-06`: the day of $SOURCE_DATE_EPOCH (reproducible builds), else today, in UTC.
func pageDate() -> String {
    var seconds = time(nil)
    if let text = getenv("SOURCE_DATE_EPOCH").map({ String(cString: $0) }), let epoch = Int(text) { seconds = time_t(epoch) }
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
}

do {
    let date = pageDate()
    let tools: [(CommandDoc, source: String, manual: String)] = [
        (Actool.documentation(), "appc-tools (actool \(Actool.version))", "actool - the application container tool"),
        (Rkt.documentation(), "appc-tools (rkt \(RktRelease.version))", "rkt - App Container runtime"),
    ]
    for directory in ["man/man1", "bash-completion/completions", "zsh/vendor-completions"] {
        try Files.makeDirectories(share + "/" + directory)
    }
    var pages = 0
    for (root, source, manual) in tools {
        for command in root.all {
            try Files.writeFile("\(share)/man/man1/\(command.pageName).1", Array(ManPage.render(command, date: date, source: source, manual: manual).utf8))
            pages += 1
        }
        let header = "\(root.program) completion, generated from its command tables by appc-docs"
        try Files.writeFile("\(share)/bash-completion/completions/\(root.program)", Array(ShellCompletion.bash(root, header: "bash " + header).utf8))
        try Files.writeFile("\(share)/zsh/vendor-completions/_\(root.program)", Array(ShellCompletion.zsh(root, header: "zsh " + header).utf8))
    }
    console.out("appc-docs: \(pages) man pages, bash and zsh completions for actool and rkt in \(share)\n")
} catch {
    console.error("appc-docs: \(error)")
    exit(1)
}
