import AppcSchema
import CLISupport
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

extension Command {
    static let validate = Command(
        name: "validate",
        summary: "Validate that one or more images or manifests meet the AppContainer specification",
        usage: "[--type=TYPE] FILE...",
        description: "Validate one or more AppContainer files",
        declareFlags: { flags in
            flags.string("type", usage: "Type of file to validate. If unset, actool will try to detect the type. One of \"appimage,layout,manifest\"")
        },
        run: { flags, args, global, console in
            ValidateRun(type: flags.value("type"), debug: global.debug, console: console).run(args)
        })
}

/// `actool validate`: some failures stop at once (exit 1), others mark the run
/// failed and go on with the next file, exactly as actool does (appc-spec.md §8.2).
private struct ValidateRun {
    let type: String
    let debug: Bool
    let console: Console

    func run(_ paths: [String]) -> Int32 {
        guard !paths.isEmpty else {
            console.error("must pass one or more files")
            return 1
        }
        var exit: Int32 = 0
        for path in paths {
            switch validate(path) {
            case .ok: break
            case .failedContinue: exit = 1
            case .stop: return 1
            }
        }
        return exit
    }

    private enum Outcome { case ok, failedContinue, stop }

    private func validate(_ path: String) -> Outcome {
        var info = stat()
        guard stat(path, &info) == 0 else {
            console.error("unable to access \(path): stat \(path): \(errnoText(errno))")
            return .stop
        }
        var kind = type
        if info.st_mode & S_IFMT == S_IFDIR {
            switch kind {
            case "", "layout": kind = "layout"
            case "manifest", "appimage":
                console.error("\(path) is a directory (wrong --type?)")
                return .stop
            default:
                // actool panics here; we say what is wrong.
                console.error("\(path): unknown --type \(goQuote(kind)) (want one of appimage, layout, manifest)")
                return .stop
            }
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                console.error("\(path): unable to open: open \(path): \(errnoText(errno))")
                return .stop
            }
            defer { close(fd) }
            if kind.isEmpty {
                var head = [UInt8](repeating: 0, count: FileType.sniffLength)
                let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n >= 0 else {
                    console.error("\(path): error detecting file type: read \(path): \(errnoText(errno))")
                    return .stop
                }
                switch FileType.detect(head.prefix(n)) {
                case .gzip, .bzip2, .xz, .tar: kind = "appimage"
                case .text: kind = "manifest"
                case .unknown: kind = ""
                }
            }
        }
        switch kind {
        case "layout": return validateLayout(path)
        case "appimage": return validateImage(path)
        case "manifest": return validateManifest(path)
        default:
            console.error("\(path): unable to detect filetype (try --type)")
            return .stop
        }
    }

    private func validateLayout(_ path: String) -> Outcome {
        do {
            try ImageValidator.validateLayout(path: path)
        } catch {
            console.error("\(path): invalid image layout: \(error)")
            return .failedContinue
        }
        if debug { console.error("\(path): valid image layout") }
        return .ok
    }

    private func validateImage(_ path: String) -> Outcome {
        let stream: ACIStream
        do {
            stream = try ACIStream(path: path, pipelined: false)
        } catch {
            console.error("\(path): error decompressing file: \(error)")
            return .stop
        }
        defer { stream.close() }
        do {
            try ImageValidator.validateArchive(try TarReader(stream, hashing: false))
        } catch {
            console.error("\(path): error validating: \(error)")
            return .failedContinue
        }
        if debug { console.error("\(path): valid app container image") }
        return .ok
    }

    private func validateManifest(_ path: String) -> Outcome {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, limit: ImageValidator.manifestLimit)
        } catch {
            console.error("\(path): unable to read file \(error)")
            return .stop
        }
        let kind: ManifestKind
        do {
            kind = try ManifestKind.decode(bytes)
        } catch {
            console.error("\(path): error unmarshaling manifest: \(error)")
            return .stop
        }
        guard let acKind = kind.acKind else {
            // actool panics ("bad ACKind") here; we say what is wrong.
            console.error("\(path): error unmarshaling manifest: acKind must be set")
            return .stop
        }
        do {
            switch acKind {
            case .imageManifest: _ = try ImageManifest.decode(bytes)
            case .podManifest: _ = try PodManifest.decode(bytes)
            }
        } catch {
            console.error("\(path): invalid \(acKind.rawValue): \(error)")
            return .failedContinue
        }
        if debug { console.error("\(path): valid \(acKind.rawValue)") }
        return .ok
    }
}
