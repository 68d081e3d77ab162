import AppcSchema
import CLISupport
import ImageKit

extension Command {
    static let catManifest = Command(
        name: "cat-manifest",
        summary: "Print the manifest from an ACI",
        usage: " [--pretty-print] ACI_FILE",
        description: "Print the manifest from an ACI.",
        declareFlags: { flags in
            flags.bool("pretty-print", usage: "Print with better style")
        },
        run: { flags, args, _, console in
            catManifest(args, pretty: flags.isSet("pretty-print"), console: console)
        })

    /// Reads entries only up to the first `manifest`, then stops (appc-spec.md §8.4).
    private static func catManifest(_ args: [String], pretty: Bool, console: Console) -> Int32 {
        guard args.count == 1 else {
            console.error("cat-manifest: Must provide one file")
            return 1
        }
        let path = args[0]
        let stream: ACIStream
        do {
            stream = try ACIStream(path: path, pipelined: false)
        } catch {
            if case let .system(failure) = error, failure.operation == "open" {
                console.error("cat-manifest: Cannot open \(path): \(error)")
            } else {
                console.error("cat-manifest: Cannot extract \(path): \(error)")
            }
            return 1
        }
        defer { stream.close() }
        do {
            let reader = try TarReader(stream, hashing: false)
            while true {
                let entry: TarEntryHeader?
                do {
                    entry = try reader.next()
                } catch {
                    throw ImageKitError.archive("error reading tarball: \(error)")
                }
                guard let entry else { return 0 }  // no manifest: nothing printed, success
                guard entry.cleanedName == "manifest" else { continue }
                let bytes = try reader.readData(limit: ImageValidator.manifestLimit)
                // Without --pretty-print actool prints the stored bytes before decoding them.
                if !pretty { console.out(bytes + [0x0a]) }
                let manifest = try ImageManifest.decode(bytes)
                if pretty { console.out(try manifest.prettyEncoded() + [0x0a]) }
                return 0
            }
        } catch {
            console.error("cat-manifest: Unable to read \(path): ", error)
            return 1
        }
    }
}
