import ImageKit
import Testing

struct FileTypeTests {
    @Test func compressedMagic() {
        #expect(FileType.detect([0x1f, 0x8b, 0x08, 0]) == .gzip)
        #expect(FileType.detect(Array("BZh91AY".utf8)) == .bzip2)
        #expect(FileType.detect([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]) == .xz)
        // Only the two gzip bytes are checked by the sniffer.
        #expect(FileType.detect([0x1f, 0x8b]) == .gzip)
        #expect(FileType.detect(Array("BZ".utf8)) == .text)
    }

    @Test func tarNeedsMagicAndMoreThan262Bytes() {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        #expect(FileType.detect(block) == .tar)
        var gnu = [UInt8](repeating: 0, count: 512)
        gnu.replaceSubrange(257..<265, with: Array("ustar  \0".utf8))
        #expect(FileType.detect(gnu) == .tar)
        // Exactly 262 bytes: magic present but not "more than 262" read.
        #expect(FileType.detect(block.prefix(262)) != .tar)
        // A v7 tar has no magic and is binary: unknown.
        var v7 = [UInt8](repeating: 0, count: 512)
        v7.replaceSubrange(0..<4, with: Array("file".utf8))
        #expect(FileType.detect(v7) == .unknown)
        #expect(FileType.detect([UInt8](repeating: 0, count: 1024)) == .unknown)
    }

    @Test func textRules() {
        #expect(FileType.detect([]) == .text)
        #expect(FileType.detect(Array(validManifest.utf8)) == .text)
        #expect(FileType.detect([0xef, 0xbb, 0xbf] + Array("{}".utf8)) == .text)
        #expect(FileType.detect([0xff, 0xfe, 0x7b, 0x00]) == .unknown)
        #expect(FileType.detect(Array("{\"a\":\u{01}}".utf8)) == .unknown)
        #expect(FileType.detect(Array("  <html><body>".utf8)) == .unknown)
        #expect(FileType.detect(Array("<?xml version=\"1.0\"?>".utf8)) == .unknown)
        #expect(FileType.detect(Array("%PDF-1.4".utf8)) == .unknown)
        #expect(FileType.detect(Array("GIF89a....".utf8)) == .unknown)
        // Escape (0x1b) is not a binary byte for Go's sniffer.
        #expect(FileType.detect([0x1b, 0x5b, 0x30, 0x6d]) == .text)
        // Bytes past 512 are never looked at.
        #expect(FileType.detect(Array(repeating: UInt8(0x61), count: 512) + [0]) == .text)
    }
}
