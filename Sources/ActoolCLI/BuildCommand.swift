import Glibc
import GoCompat
import ImageKit

extension Command {
    static let build = Command(
        name: "build",
        summary: "Build an ACI from an Image Layout (experimental)",
        usage: "[--overwrite] [--no-compression] [--owner-root] [--reproducible] DIRECTORY OUTPUT_FILE",
        description: """
            Build an ACI from a given directory. The directory should
            contain an Image Layout. The Image Layout will be validated
            before the ACI is created. The produced ACI will be
            gzip-compressed by default.
            """,
        declareFlags: { flags in
            flags.bool("overwrite", usage: "Overwrite target file if it already exists")
            flags.bool("owner-root", usage: "Force ownership to root:root on all files")
            flags.bool("no-compression", usage: "Do not gzip-compress the produced ACI")
            flags.bool("reproducible", usage: "Same tree, same bytes: one mtime for every entry ($SOURCE_DATE_EPOCH, else 0) and numeric owners")
            flags.uint("compression-level", usage: "gzip level, 1 (fastest) to 9 (smallest)", default: "1")
        },
        run: { flags, args, _, console in
            guard args.count == 2 else {
                console.error("build: Must provide directory and output file")
                return 1
            }
            var options = ImageBuilder.Options()
            options.overwrite = flags.isSet("overwrite")
            options.ownerRoot = flags.isSet("owner-root")
            let level = Int32(flags.value("compression-level")) ?? 1
            guard (1...9).contains(level) else {
                console.error("build: --compression-level must be 1 to 9 (given \(level))")
                return 1
            }
            options.compression = flags.isSet("no-compression") ? .none : .gzip(level: level)
            switch reproducibleTime(requested: flags.isSet("reproducible")) {
            case let .success(time): options.fixedTime = time
            case let .failure(message):
                console.error("build: \(message)")
                return 1
            }
            do {
                try ImageBuilder.build(layout: args[0], output: args[1], options: options)
            } catch {
                console.error("build: \(error)")
                return 1
            }
            return 0
        })

    /// `--reproducible`, or `SOURCE_DATE_EPOCH` set (reproducible-builds.org's convention):
    /// the time every entry gets; nil for an ordinary build.
    private static func reproducibleTime(requested: Bool) -> Result<Int?, ReproducibleTimeError> {
        guard let text = getenv("SOURCE_DATE_EPOCH").map({ String(cString: $0) }), !text.isEmpty else {
            return .success(requested ? 0 : nil)
        }
        guard let seconds = Int(text), seconds >= 0 else {
            return .failure(ReproducibleTimeError(message: "SOURCE_DATE_EPOCH must be a whole number of seconds (given \(goQuote(text)))"))
        }
        return .success(seconds)
    }

    private struct ReproducibleTimeError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
