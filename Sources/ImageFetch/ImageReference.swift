import GoCompat
import ImageKit
import OCIImage

/// What an image argument of `rkt fetch` names (rkt's `DistFromImageString`).
enum ImageReference: Equatable {
    /// A local ACI file (absolute path).
    case file(String)
    /// An `http(s)://...aci` URL.
    case url(String)
    /// An image name with labels, to find in the store or by discovery.
    case name(AppName)
    /// A Docker or OCI image on the local disk (`oci:PATH[:NAME]`,
    /// `docker-archive:PATH[:REFERENCE]`), converted on the way in.
    case local(LocalImage.Location)
    /// `docker://[REGISTRY/]REPOSITORY[:TAG|@DIGEST]` (or `docker:`), and the URL rkt
    /// records it under (`docker://` + the reference as written).
    case docker(DockerReference, url: String)

    /// Classifies `text`: an absolute path, an existing regular file, something with
    /// `./` or ending in `.aci` is a path (and must end in `.aci`); `file://`,
    /// `http://` and `https://` URLs must end in `.aci`; everything else is an image name.
    static func parse(_ text: String) throws(FetchError) -> ImageReference {
        let scheme = TrustStore.scheme(of: text)
        switch scheme {
        case "":
            if isPath(text) { return try parse("file://" + Paths.absolute(text)) }
            return .name(try appName(text))
        case "file", "http", "https":
            let path = urlPath(text, scheme: scheme)
            guard path.hasSuffix(".aci"), extensionOf(path) == ".aci" else {
                throw FetchError("invalid image string \(goQuote(text))")
            }
            return scheme == "file" ? .file(path) : .url(text)
        case "docker":
            // rkt accepts `docker://` and `docker:`.
            let reference = text.hasPrefix("docker://") ? String(text.dropFirst(9)) : String(text.dropFirst(7))
            do {
                return .docker(try DockerReference(parsing: reference), url: "docker://" + reference)
            } catch {
                throw FetchError("docker distribution creation error: bad docker URL \(goQuote(reference)): \(error.message)")
            }
        case "oci", "docker-archive":
            guard let location = LocalImage.Location(text), !location.path.isEmpty else {
                throw FetchError("invalid image string \(goQuote(text))")
            }
            return .local(location)
        default:
            return .name(try appName(text))
        }
    }

    private static func appName(_ text: String) throws(FetchError) -> AppName {
        do {
            return try AppName(parsing: text)
        } catch {
            throw FetchError("invalid appc image string \(goQuote(text)): \(error.message)")
        }
    }

    /// rkt's `guessAppcOrPath`.
    private static func isPath(_ text: String) -> Bool {
        if text.hasPrefix("/") { return true }
        if Files.isRegularFile(text) { return true }
        if text.contains(":") { return false }
        if text.contains("./") { return true }
        return extensionOf(text) == ".aci"
    }

    /// Go's `filepath.Ext`.
    static func extensionOf(_ path: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "" }
        return String(path[dot...])
    }

    /// The path part of a URL (percent-decoded), as Go's `url.Parse` gives it.
    static func urlPath(_ url: String, scheme: String) -> String {
        var rest = url.dropFirst(scheme.count + 1)
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            if let slash = rest.firstIndex(of: "/") { rest = rest[slash...] } else { rest = "" }
        }
        return percentDecode(String(rest))
    }

    static func percentDecode(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                out.append(value)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// rkt's `ascURLFromImgURL`: the path's `.aci` suffix becomes `.aci.asc` (query kept).
    static func signatureURL(for url: String) -> String {
        var base = Substring(url)
        var tail = Substring("")
        if let cut = url.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            base = url[..<cut]
            tail = url[cut...]
        }
        if base.hasSuffix(".aci") { base = base.dropLast(4) }
        return base + ".aci.asc" + tail
    }

    /// rkt's `ascPathFromImgPath`.
    static func signaturePath(for path: String) -> String {
        (path.hasSuffix(".aci") ? String(path.dropLast(4)) : path) + ".aci.asc"
    }
}
