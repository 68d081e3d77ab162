import CLISupport
/// Commands whose help is actool's but whose implementation lands with a later issue.
/// Running one says so plainly and fails, rather than pretending.
extension Command {
    static let discover = Command(
        name: "discover",
        summary: "Discover the download URLs for one or more app container images",
        usage: "[--json] [--port] [--insecure] APP...",
        description: "Discover the download URLs for an app",
        declareFlags: { flags in
            flags.bool("insecure", usage: "Don't check TLS certificates and allow insecure non-TLS downloads over http")
            flags.bool("json", usage: "Output result as JSON")
            flags.uint("port", usage: "Port to connect to when performing discovery")
        },
        run: notYet("discover"))

    private static func notYet(_ name: String) -> @Sendable (GoFlagSet, [String], GlobalOptions, Console) -> Int32 {
        return { _, _, _, console in
            console.error("\(name): not implemented in this version of actool yet")
            return 1
        }
    }
}
