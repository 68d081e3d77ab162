import CLISupport
import ImageFetch

/// actool discover: appc discovery of an image's download URLs and keys.
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
        run: { flags, args, _, console in
            // actool prints this and still exits 0.
            guard !args.isEmpty else {
                console.error("discover: at least one name required")
                return 0
            }
            let port = UInt(flags.value("port")) ?? 0
            for name in args {
                do throws(DiscoverError) {
                    let result = try ImageFetch.discover(name: name, insecure: flags.isSet("insecure"), port: port == 0 ? nil : port)
                    console.out(flags.isSet("json") ? result.json : result.text)
                } catch {
                    if let partial = error.partial {
                        for attempt in partial.endpointAttempts {
                            console.out("discover endpoints walk: prefix: \(attempt.prefix) error: \(attempt.error)\n")
                        }
                    }
                    console.error(error.message)
                    return 1
                }
            }
            return 0
        })
}
