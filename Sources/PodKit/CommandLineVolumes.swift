import AppcSchema
import GoCompat
import ImageKit

extension Volume {
    /// rkt's `--volume NAME,kind=host|empty,source=PATH,readOnly=BOOL,recursive=BOOL[,mode=,uid=,gid=]`.
    public static func parse(rktFlag text: String) throws(PodError) -> Volume {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty, !first.contains("=") else {
            throw .invalid("--volume \(goQuote(text)): the volume name must come first (NAME,kind=host,source=PATH)")
        }
        var fields: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { throw .invalid("--volume \(goQuote(text)): \(goQuote(part)) is not key=value") }
            let key = String(part[..<eq])
            guard ["kind", "source", "readOnly", "recursive", "mode", "uid", "gid"].contains(key) else {
                throw .invalid("--volume \(goQuote(text)): unknown volume parameter \(goQuote(key))")
            }
            fields[key] = String(part[part.index(after: eq)...])
        }
        func flag(_ key: String) throws(PodError) -> Bool? {
            guard let value = fields[key] else { return nil }
            guard let flag = Strconv.parseBool(value) else { throw .invalid("--volume \(goQuote(text)): \(key) must be true or false") }
            return flag
        }
        let readOnly = try flag("readOnly"), recursive = try flag("recursive")
        do throws(ManifestError) {
            return try Volume(
                name: try ACName(first), kind: fields["kind"] ?? "host", source: fields["source"] ?? "",
                readOnly: readOnly, recursive: recursive, mode: fields["mode"],
                uid: fields["uid"].flatMap { Int($0) }, gid: fields["gid"].flatMap { Int($0) })
        } catch {
            throw .invalid("--volume \(goQuote(text)): \(error)")
        }
    }
}

extension Mount {
    /// rkt's `--mount volume=NAME,target=PATH`.
    public static func parse(rktFlag text: String) throws(PodError) -> Mount {
        var volume: String?, target: String?
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { throw .invalid("--mount \(goQuote(text)): \(goQuote(String(part))) is not key=value") }
            switch pieces[0] {
            case "volume": volume = pieces[1]
            case "target": target = pieces[1]
            default: throw .invalid("--mount \(goQuote(text)): unknown mount parameter \(goQuote(pieces[0]))")
            }
        }
        guard let volume, let target, !target.isEmpty else {
            throw .invalid("--mount \(goQuote(text)): needs volume=NAME,target=PATH")
        }
        do throws(ManifestError) {
            // A relative target is relative to the app's root, as in rkt.
            return Mount(volume: try ACName(volume), path: target.hasPrefix("/") ? target : "/" + target)
        } catch {
            throw .invalid("--mount \(goQuote(text)): \(error)")
        }
    }
}
