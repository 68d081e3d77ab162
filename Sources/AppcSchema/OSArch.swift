/// Operating systems and architectures as Go names them (`GOOS`, `GOARCH`, and the
/// variant of ARM) and as appc's `os` and `arch` labels name them.
public enum OSArch {
    /// Go's `runtime.GOARCH` for this machine.
    public static var hostGoArch: String {
        #if arch(x86_64)
            return "amd64"
        #elseif arch(arm64)
            return "arm64"
        #else
            return "unknown"
        #endif
    }

    /// rkt's `common.GetArch()`: the appc name of this machine's architecture.
    public static var hostAppcArch: String { appc(goOS: "linux", goArch: hostGoArch)?.arch ?? "unknown" }

    /// appc's `ToAppcOSArch`: the appc pair for a Go triple, nil for one it does not know.
    public static func appc(goOS: String, goArch: String, variant: String = "") -> (os: String, arch: String)? {
        switch (goOS, goArch, variant) {
        case ("linux", "amd64", ""): return ("linux", "amd64")
        case ("linux", "386", ""): return ("linux", "i386")
        case ("linux", "arm64", ""): return ("linux", "aarch64")
        case ("linux", "arm", ""), ("linux", "arm", "6"): return ("linux", "armv6l")
        case ("linux", "arm", "7"): return ("linux", "armv7l")
        case ("linux", "ppc64", ""): return ("linux", "ppc64")
        case ("linux", "ppc64le", ""): return ("linux", "ppc64le")
        case ("linux", "s390x", ""): return ("linux", "s390x")
        case ("freebsd", "amd64", ""): return ("freebsd", "amd64")
        case ("freebsd", "386", ""): return ("freebsd", "i386")
        case ("freebsd", "arm", ""), ("freebsd", "arm", "5"), ("freebsd", "arm", "6"), ("freebsd", "arm", "7"): return ("freebsd", "arm")
        case ("darwin", "amd64", ""): return ("darwin", "x86_64")
        case ("darwin", "386", ""): return ("darwin", "i386")
        default: return nil
        }
    }
}

extension ACIdentifier {
    /// appc's `SanitizeACIdentifier`: lower case, every character outside `a-z0-9-._~/`
    /// replaced by `_`, separators stripped from both ends; nil when nothing is left.
    public static func sanitized(_ text: String) -> ACIdentifier? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        let edges = Set("-._~/".utf8)
        return sanitize(text, allowed: allowed, replacement: UInt8(ascii: "_"), edges: edges).map(ACIdentifier.init(unchecked:))
    }
}

extension ACName {
    /// appc's `SanitizeACName`: lower case, every character outside `a-z0-9-` replaced by
    /// `-`, hyphens stripped from both ends; nil when nothing is left.
    public static func sanitized(_ text: String) -> ACName? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-".utf8)
        return sanitize(text, allowed: allowed, replacement: UInt8(ascii: "-"), edges: [UInt8(ascii: "-")]).map(ACName.init(unchecked:))
    }
}

/// Go's `strings.ToLower`, then one replacement per character (not per byte: a
/// multi-byte character becomes one replacement, as a regexp over runes replaces it),
/// then the edges trimmed.
private func sanitize(_ text: String, allowed: Set<UInt8>, replacement: UInt8, edges: Set<UInt8>) -> String? {
    var out: [UInt8] = []
    for scalar in text.lowercased().unicodeScalars {
        if scalar.isASCII, allowed.contains(UInt8(scalar.value)) {
            out.append(UInt8(scalar.value))
        } else {
            out.append(replacement)
        }
    }
    while let first = out.first, edges.contains(first) { out.removeFirst() }
    while let last = out.last, edges.contains(last) { out.removeLast() }
    return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
}
