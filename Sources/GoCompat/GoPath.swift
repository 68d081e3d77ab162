/// Go's `path` package: slash-separated paths, lexical processing only.
public enum GoPath {
    /// `path.Clean`.
    public static func clean(_ path: String) -> String {
        let bytes = Array(path.utf8)
        let cleaned = clean(bytes: bytes)
        return cleaned == bytes ? path : String(decoding: cleaned, as: UTF8.self)
    }

    /// `path.Join`: the non-empty parts joined with `/` and cleaned; "" when all are empty.
    public static func join(_ parts: String...) -> String {
        let given = parts.filter { !$0.isEmpty }
        return given.isEmpty ? "" : clean(given.joined(separator: "/"))
    }

    private static let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")

    /// `path.Clean` of a byte string (names in archives need not be UTF-8). A path that is
    /// already clean, the usual case, is returned after one pass without copying.
    public static func clean(bytes path: [UInt8]) -> [UInt8] {
        if isClean(path) { return path }
        if path.isEmpty { return [dot] }
        let rooted = path.first == slash
        var parts: [ArraySlice<UInt8>] = []
        for part in path.split(separator: slash, omittingEmptySubsequences: true) {
            if part.count == 1 && part.first == dot { continue }
            if part.count == 2 && part.allSatisfy({ $0 == dot }) {
                if let last = parts.last, !(last.count == 2 && last.allSatisfy({ $0 == dot })) {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        var out: [UInt8] = rooted ? [slash] : []
        for (i, part) in parts.enumerated() {
            if i > 0 { out.append(slash) }
            out.append(contentsOf: part)
        }
        return out.isEmpty ? [dot] : out
    }

    /// True when `clean` would return `path` unchanged because it is not empty and has no
    /// empty, `.` or `..` component and no trailing slash (`/` alone is clean). Paths that
    /// are clean but have `..` components (`../a`) are left to the full algorithm.
    static func isClean(_ path: [UInt8]) -> Bool {
        if path == [slash] { return true }
        guard let last = path.last, last != slash else { return false }
        var length = 0, dots = 0  // of the component being read
        for (i, byte) in path.enumerated() {
            if byte == slash {
                if i > 0 && (length == 0 || length == dots && dots <= 2) { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == dot { dots += 1 }
            }
        }
        return !(length == dots && dots <= 2)
    }
}
