import CLISupport
import RktConfig

extension Rkt {
    static let configCommand = RktCommand(
        name: "config", summary: "Print configuration for each stage in JSON format", usage: "",
        long: """
            The output will be parsable JSON with "stage0" and stage1" as keys and rkt configuration entries as values.
            The generated configuration entries resemble the original rkt configuration format.
            """,
        flags: [.prettyPrint],
        run: { context in
            do throws(ConfigError) {
                let config = try context.configuration()
                context.console.out(String(decoding: config.json(pretty: context.flags.bool("pretty-print")), as: UTF8.self) + "\n")
                return 0
            } catch {
                return context.fail("cannot get configuration: \(error.message)")
            }
        })
}
