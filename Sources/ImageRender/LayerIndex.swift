/// One entry of a layer tree, as extracted (mode and owner as applied on disk).
struct LayerEntry: Equatable {
    enum Kind: UInt8 {
        /// A directory named by the archive.
        case directory = 0x64  // d
        /// A directory created only because something below it was named.
        case implicitDirectory = 0x44  // D
        case file = 0x66  // f
        case symlink = 0x6c  // l
        case hardlink = 0x68  // h
        case characterDevice = 0x63  // c
        case blockDevice = 0x62  // b
        case fifo = 0x70  // p
        /// The image's `manifest` entry (kept beside the rootfs, not in it).
        case manifest = 0x6d  // m

        var isDirectory: Bool { self == .directory || self == .implicitDirectory }
    }

    var kind: Kind
    /// Below the rootfs; empty for the rootfs itself.
    var path: RelativePath
    /// Permission bits (07777) as applied.
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var mtime: Int64
    var mtimeNanoseconds: Int64
    /// Regular files: the content length.
    var size: Int64 = 0
    /// Regular files: SHA-512 hex of the content.
    var digest: String = ""
    /// Symlinks: the link text. Hardlinks: the target's path below the rootfs.
    var target: [UInt8] = []
    var major: UInt32 = 0
    var minor: UInt32 = 0
}

/// The record of a layer tree (`cas/layers/KEY/index`): every entry in archive order,
/// so rendering can apply acirenderer's rules without reading the archive again, and
/// the content digests, so a rendered tree's hash is known without reading the files.
///
/// Text, one entry a line: `KIND MODE UID GID MTIME NSEC SIZE PATH =EXTRA`, with
/// `%XX` escapes in PATH and EXTRA for bytes that would break the line.
struct LayerIndex: Equatable {
    static let magic = "appc-layer-index 1"

    /// Extracted with root's rights (owners, devices, setuid bits kept).
    var privileged: Bool
    var entries: [LayerEntry]

    func encoded() -> [UInt8] {
        var out = Array("\(LayerIndex.magic) privileged=\(privileged ? 1 : 0)\n".utf8)
        for e in entries {
            out.append(e.kind.rawValue)
            out.append(contentsOf: Array(" \(String(e.mode, radix: 8)) \(e.uid) \(e.gid) \(e.mtime) \(e.mtimeNanoseconds) \(e.size) ".utf8))
            LayerIndex.escape(e.path.isEmpty ? [0x2e] : e.path, into: &out)
            out.append(contentsOf: [0x20, 0x3d])
            switch e.kind {
            case .file: out.append(contentsOf: Array(e.digest.utf8))
            case .symlink, .hardlink: LayerIndex.escape(e.target, into: &out)
            case .characterDevice, .blockDevice: out.append(contentsOf: Array("\(e.major),\(e.minor)".utf8))
            default: break
            }
            out.append(0x0a)
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> LayerIndex? {
        var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.last?.isEmpty == true else { return nil }
        lines.removeLast()
        guard let header = lines.first else { return nil }
        let headerText = String(decoding: header, as: UTF8.self)
        guard headerText.hasPrefix(magic + " privileged=") else { return nil }
        var index = LayerIndex(privileged: headerText.hasSuffix("=1"), entries: [])
        index.entries.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            guard let entry = decodeEntry(line) else { return nil }
            index.entries.append(entry)
        }
        return index
    }

    private static func decodeEntry(_ line: ArraySlice<UInt8>) -> LayerEntry? {
        let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard fields.count == 9, fields[0].count == 1, let first = fields[0].first, let kind = LayerEntry.Kind(rawValue: first),
            let mode = UInt32(text(fields[1]), radix: 8), let uid = UInt32(text(fields[2])), let gid = UInt32(text(fields[3])),
            let mtime = Int64(text(fields[4])), let nsec = Int64(text(fields[5])), let size = Int64(text(fields[6])),
            let path = unescape(fields[7]), fields[8].first == 0x3d, let extra = unescape(fields[8].dropFirst())
        else { return nil }
        var entry = LayerEntry(
            kind: kind, path: path == [0x2e] ? [] : path, mode: mode, uid: uid, gid: gid,
            mtime: mtime, mtimeNanoseconds: nsec, size: size)
        switch kind {
        case .file: entry.digest = String(decoding: extra, as: UTF8.self)
        case .symlink, .hardlink: entry.target = extra
        case .characterDevice, .blockDevice:
            let parts = extra.split(separator: 0x2c)
            guard parts.count == 2, let major = UInt32(text(parts[0])), let minor = UInt32(text(parts[1])) else { return nil }
            entry.major = major
            entry.minor = minor
        default: break
        }
        return entry
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// `%XX` for `%`, space, control bytes and DEL; everything else as is.
    static func escape(_ bytes: [UInt8], into out: inout [UInt8]) {
        let digits = Array("0123456789ABCDEF".utf8)
        for b in bytes {
            if b <= 0x20 || b == 0x25 || b == 0x7f {
                out.append(0x25)
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0x0f)])
            } else {
                out.append(b)
            }
        }
    }

    static func unescape(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == 0x25 {
                guard i + 2 < bytes.endIndex, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else { return nil }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
