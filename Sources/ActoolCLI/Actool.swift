import CLISupport
import GoCompat
import ImageKit

/// actool's entry point: Go-style global flags, then the subcommand.
public enum Actool {
    static let name = "actool"
    static let description = "actool, the application container tool"
    /// The version `actool version` prints.
    public static let version = "0.8.11+git"

    /// Runs actool with `arguments` (the first is the program name) and returns the exit code.
    public static func main(arguments: [String], console: Console = .standard()) -> Int32 {
        let program = arguments.first ?? name
        let global = globalFlags()
        do {
            try global.parse(Array(arguments.dropFirst()), report: console.error) {
                console.errText("Usage of \(program):\n" + global.defaultsText)
            }
        } catch {
            // flag.CommandLine exits 0 for -h, 2 for anything else.
            if case .help = error { return 0 }
            return 2
        }
        var args = global.arguments
        if args.isEmpty || global.isSet("help") { args = ["help"] }

        guard let command = Commands.named(args[0]) else {
            console.error("\(name): unknown subcommand: \(goQuote(args[0]))")
            console.error("Run '\(name) help' for usage.")
            return 2
        }
        let flags = command.makeFlags()
        do {
            try flags.parse(Array(args.dropFirst()), report: console.error) {
                console.errText("Usage:\n" + flags.defaultsText)
            }
        } catch {
            console.error(error.message)
            return 2
        }
        return command.run(flags, flags.arguments, GlobalOptions(debug: global.isSet("debug")), console)
    }

    static func globalFlags() -> GoFlagSet {
        let set = GoFlagSet()
        set.bool("debug", usage: "Print verbose (debug) output")
        set.bool("help", usage: "Print usage information and exit")
        return set
    }
}
