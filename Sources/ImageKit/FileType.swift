/// What the first bytes of a file say it is (appc's `aci.DetectFileType`, appc-spec.md §1.3).
public enum FileType: String, Sendable, Equatable {
    case gzip, bzip2, xz, tar, text, unknown

    /// How many bytes the sniffer looks at.
    public static let sniffLength = 512

    /// True for the types that hold an image archive (possibly compressed).
    public var isArchive: Bool {
        switch self {
        case .gzip, .bzip2, .xz, .tar: return true
        case .text, .unknown: return false
        }
    }

    /// Classifies the first (up to 512) bytes of a file; first match wins.
    public static func detect<C: Collection>(_ head: C) -> FileType where C.Element == UInt8 {
        let bytes = Array(head.prefix(sniffLength))
        if bytes.starts(with: [0x1f, 0x8b]) { return .gzip }
        if bytes.starts(with: [0x42, 0x5a, 0x68]) { return .bzip2 }
        if bytes.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        // "ustar" at 257..<262, and only when more than 262 bytes were read.
        if bytes.count > 262, bytes[257..<262].elementsEqual(Array("ustar".utf8)) { return .tar }
        if ContentSniffer.isPlainUTF8Text(bytes) { return .text }
        return .unknown
    }
}

/// The part of Go's `http.DetectContentType` that decides whether data is
/// `text/plain; charset=utf-8`: no earlier signature matches, and no byte of
/// the sniffed prefix is a "binary" control byte.
enum ContentSniffer {
    static func isPlainUTF8Text(_ data: [UInt8]) -> Bool {
        var first = 0
        while first < data.count, isWhitespace(data[first]) { first += 1 }
        if matchesEarlierSignature(data, firstNonWhitespace: first) { return false }
        // A UTF-8 byte order mark is reported as text/plain; charset=utf-8 too.
        if data.starts(with: [0xef, 0xbb, 0xbf]) { return true }
        for byte in data[first...] where isBinary(byte) { return false }
        return true
    }

    private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x09 || b == 0x0a || b == 0x0c || b == 0x0d || b == 0x20
    }

    private static func isBinary(_ b: UInt8) -> Bool {
        b <= 0x08 || b == 0x0b || (0x0e...0x1a).contains(b) || (0x1c...0x1f).contains(b)
    }

    /// Signatures Go checks before its text rule (only those that can match bytes
    /// without binary values matter; the rest are rejected by the text rule anyway).
    private static func matchesEarlierSignature(_ data: [UInt8], firstNonWhitespace first: Int) -> Bool {
        let rest = Array(data[first...])
        for tag in htmlTags where matchesHTMLTag(rest, tag: tag) { return true }
        if rest.starts(with: Array("<?xml".utf8)) { return true }
        // UTF-16 byte order marks make it text/plain; charset=utf-16, not utf-8.
        if data.starts(with: [0xfe, 0xff]) || data.starts(with: [0xff, 0xfe]) { return true }
        let exact: [String] = ["%PDF-", "%!PS-Adobe-", "GIF87a", "GIF89a", "BM", "ID3", ".snd", "wOFF", "wOF2", "OTTO", "ttcf", "OggS\u{0}"]
        for sig in exact where data.starts(with: Array(sig.utf8)) { return true }
        if matchesMasked(data, prefix: "FORM", at: 8, tail: "AIFF") { return true }
        if matchesMasked(data, prefix: "RIFF", at: 8, tail: "WAVE") { return true }
        if matchesMasked(data, prefix: "RIFF", at: 8, tail: "AVI ") { return true }
        if matchesMasked(data, prefix: "RIFF", at: 8, tail: "WEBPVP") { return true }
        return false
    }

    private static let htmlTags = [
        "<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT", "<TABLE",
        "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--",
    ]

    /// Go's htmlSig: case-insensitive tag followed by a space or '>'.
    private static func matchesHTMLTag(_ data: [UInt8], tag: String) -> Bool {
        let t = Array(tag.utf8)
        guard data.count >= t.count + 1, matchesCaseInsensitive(data, prefix: tag) else { return false }
        let next = data[t.count]
        return next == 0x20 || next == 0x3e
    }

    private static func matchesCaseInsensitive(_ data: [UInt8], prefix: String) -> Bool {
        let p = Array(prefix.utf8)
        guard data.count >= p.count else { return false }
        for (i, c) in p.enumerated() {
            var d = data[i]
            if c >= 0x41 && c <= 0x5a, d >= 0x61 && d <= 0x7a { d -= 0x20 }
            if d != c { return false }
        }
        return true
    }

    /// `prefix` at 0, any 4 bytes, then `tail` at `at`.
    private static func matchesMasked(_ data: [UInt8], prefix: String, at: Int, tail: String) -> Bool {
        let t = Array(tail.utf8)
        guard data.count >= at + t.count, data.starts(with: Array(prefix.utf8)) else { return false }
        return data[at..<(at + t.count)].elementsEqual(t)
    }
}
