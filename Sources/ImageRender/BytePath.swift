import GoCompat

/// Paths inside images are byte strings (names need not be UTF-8), relative to a
/// root, `/`-separated, already cleaned; the root itself is the empty path.
typealias RelativePath = [UInt8]

enum BytePath {
    static let slash = UInt8(ascii: "/")
    static let dot = UInt8(ascii: ".")

    /// True for a cleaned name that climbs out of its root (`..`, `../x`).
    static func escapes(_ cleaned: [UInt8]) -> Bool {
        cleaned == [dot, dot] || cleaned.starts(with: [dot, dot, slash])
    }

    /// The part of a cleaned archive name below `rootfs/`; `[]` for `rootfs` itself,
    /// nil for names outside the rootfs (the manifest, `rootfs-extra`, ...).
    static func belowRootfs(_ cleaned: [UInt8]) -> RelativePath? {
        let rootfs = Array("rootfs".utf8)
        if cleaned == rootfs { return [] }
        guard cleaned.count > rootfs.count + 1, cleaned.starts(with: rootfs), cleaned[rootfs.count] == slash else { return nil }
        return Array(cleaned[(rootfs.count + 1)...])
    }

    static func components(_ path: RelativePath) -> [[UInt8]] {
        path.split(separator: slash, omittingEmptySubsequences: true).map { Array($0) }
    }

    static func parent(_ path: RelativePath) -> RelativePath {
        guard let i = path.lastIndex(of: slash) else { return [] }
        return Array(path[..<i])
    }

    static func join(_ a: RelativePath, _ b: [UInt8]) -> RelativePath {
        a.isEmpty ? b : a + [slash] + b
    }

    static func text(_ path: [UInt8]) -> String { String(decoding: path, as: UTF8.self) }
}

/// A NUL-terminated copy of `bytes`, to pass where C wants a `const char *`.
func cString(_ bytes: [UInt8]) -> [CChar] {
    var out = [CChar]()
    out.reserveCapacity(bytes.count + 1)
    for b in bytes { out.append(CChar(bitPattern: b)) }
    out.append(0)
    return out
}

func cString(_ text: String) -> [CChar] { cString(Array(text.utf8)) }
