import CCrypto
import GoCompat
import ImageKit

/// The little of OpenPGP (RFC 4880) this module reads itself: ASCII armor, packet
/// framing, v4 key fingerprints and user IDs. Signatures are checked by `gpgv`.
enum OpenPGP {
    /// One transferable public key: its primary key, subkeys and user IDs.
    struct Entity: Equatable {
        /// The primary key's v4 fingerprint (20 bytes).
        var fingerprint: [UInt8]
        /// Subkey fingerprints, in packet order.
        var subkeyFingerprints: [[UInt8]]
        /// User IDs, in packet order.
        var identities: [String]
        /// The entity's packets, binary (for a gpgv keyring).
        var packets: [UInt8]

        /// rkt's key file name: 40 lower-case hex digits.
        var fileName: String { hex(fingerprint) }
    }

    // MARK: Armor

    /// Decodes the first armored block of `text` (Go's `armor.Decode`): returns its
    /// type (`PGP PUBLIC KEY BLOCK`) and binary content, or nil when there is none.
    static func dearmor(_ data: [UInt8]) throws(FetchError) -> (type: String, bytes: [UInt8])? {
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" })
            .map { String($0).trimmingCharacters(in: " \t\r") }
        var index = 0
        var type = ""
        while index < lines.count {
            let line = lines[index]
            index += 1
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                type = String(line.dropFirst(11).dropLast(5))
                break
            }
        }
        guard !type.isEmpty else { return nil }
        // Armor headers ("Key: value") run up to the first blank line.
        var cursor = index
        while cursor < lines.count, lines[cursor].contains(":"), !lines[cursor].hasPrefix("-----") { cursor += 1 }
        if cursor < lines.count, lines[cursor].isEmpty {
            index = cursor + 1
        } else if cursor > index {
            throw FetchError("openpgp: invalid data: armor header without blank line")
        }
        var base64 = ""
        var checksum: String?
        while index < lines.count {
            let line = lines[index]
            index += 1
            if line.hasPrefix("-----END ") { break }
            if line.hasPrefix("=") && line.count == 5 {
                checksum = String(line.dropFirst())
                continue
            }
            base64 += line
        }
        guard let bytes = Base64.decode(base64) else { throw FetchError("openpgp: invalid data: bad base64") }
        if let checksum {
            guard let expected = Base64.decode(checksum), expected.count == 3 else {
                throw FetchError("openpgp: invalid data: bad armor checksum")
            }
            let crc = crc24(bytes)
            guard expected == [UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)] else {
                throw FetchError("openpgp: invalid data: armor checksum mismatch")
            }
        }
        return (type, bytes)
    }

    /// Go's `openpgp.ReadArmoredKeyRing`: the entities of an armored public (or private) key block.
    static func readArmoredKeyRing(_ data: [UInt8]) throws(FetchError) -> [Entity] {
        guard let (type, bytes) = try dearmor(data) else {
            throw FetchError("openpgp: invalid argument: no armored data found")
        }
        guard type == "PGP PUBLIC KEY BLOCK" || type == "PGP PRIVATE KEY BLOCK" else {
            throw FetchError("openpgp: invalid argument: expected public or private key block, got: \(type)")
        }
        let entities = try readKeyRing(bytes)
        guard !entities.isEmpty else { throw FetchError("openpgp: invalid argument: no armored data found") }
        return entities
    }

    /// Splits binary key material into entities.
    static func readKeyRing(_ bytes: [UInt8]) throws(FetchError) -> [Entity] {
        var entities: [Entity] = []
        var offset = 0
        while offset < bytes.count {
            let packet = try readPacket(bytes, at: offset)
            let raw = Array(bytes[offset..<packet.end])
            switch packet.tag {
            case 6, 5:  // public key, secret key: a new entity
                let fp = try fingerprint(bytes[packet.body], secret: packet.tag == 5)
                entities.append(Entity(fingerprint: fp, subkeyFingerprints: [], identities: [], packets: raw))
            case 14, 7:  // public subkey, secret subkey
                guard !entities.isEmpty else { throw FetchError("openpgp: invalid data: subkey packet not following a primary key") }
                entities[entities.count - 1].subkeyFingerprints.append(try fingerprint(bytes[packet.body], secret: packet.tag == 7))
                entities[entities.count - 1].packets += raw
            case 13:  // user ID
                guard !entities.isEmpty else { throw FetchError("openpgp: invalid data: user ID packet not following a primary key") }
                entities[entities.count - 1].identities.append(String(decoding: bytes[packet.body], as: UTF8.self))
                entities[entities.count - 1].packets += raw
            default:
                guard !entities.isEmpty else { throw FetchError("openpgp: invalid data: first packet was not a public/private key") }
                entities[entities.count - 1].packets += raw
            }
            offset = packet.end
        }
        return entities
    }

    struct Packet {
        var tag: Int
        var body: Range<Int>
        var end: Int
    }

    /// One packet's tag and body (old and new formats; no partial lengths, which keys never use).
    static func readPacket(_ bytes: [UInt8], at start: Int) throws(FetchError) -> Packet {
        let truncated = FetchError("openpgp: invalid data: unexpected EOF")
        guard start < bytes.count else { throw truncated }
        let first = bytes[start]
        guard first & 0x80 != 0 else { throw FetchError("openpgp: invalid data: tag byte does not have MSB set") }
        var cursor = start + 1
        var tag: Int
        var length: Int
        func byte() throws(FetchError) -> Int {
            guard cursor < bytes.count else { throw truncated }
            defer { cursor += 1 }
            return Int(bytes[cursor])
        }
        if first & 0x40 == 0 {
            tag = Int(first >> 2) & 0x0f
            switch first & 3 {
            case 0: length = try byte()
            case 1: length = try byte() << 8 | byte()
            case 2: length = try byte() << 24 | byte() << 16 | byte() << 8 | byte()
            default: length = bytes.count - cursor
            }
        } else {
            tag = Int(first & 0x3f)
            let b = try byte()
            if b < 192 {
                length = b
            } else if b < 224 {
                length = (b - 192) << 8 + (try byte()) + 192
            } else if b == 255 {
                length = try byte() << 24 | byte() << 16 | byte() << 8 | byte()
            } else {
                throw FetchError("openpgp: unsupported feature: partial body length in a key")
            }
        }
        guard cursor + length <= bytes.count else { throw truncated }
        return Packet(tag: tag, body: cursor..<(cursor + length), end: cursor + length)
    }

    /// The v4 fingerprint of a key packet body: SHA-1 over 0x99, a 2-byte length and
    /// the public part of the body.
    static func fingerprint(_ body: ArraySlice<UInt8>, secret: Bool) throws(FetchError) -> [UInt8] {
        guard let version = body.first else { throw FetchError("openpgp: invalid data: empty key packet") }
        guard version == 4 else { throw FetchError("openpgp: unsupported feature: public key version \(version)") }
        var publicPart = body
        if secret {
            publicPart = body[body.startIndex..<(body.startIndex + (try publicKeyLength(body)))]
        }
        let n = publicPart.count
        return sha1([0x99, UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + publicPart)
    }

    /// The length of the public-key fields at the start of a (secret) key body.
    private static func publicKeyLength(_ body: ArraySlice<UInt8>) throws(FetchError) -> Int {
        let b = Array(body)
        guard b.count >= 6 else { throw FetchError("openpgp: invalid data: short key packet") }
        var cursor = 6
        func mpi() throws(FetchError) {
            guard cursor + 2 <= b.count else { throw FetchError("openpgp: invalid data: short key packet") }
            let bits = Int(b[cursor]) << 8 | Int(b[cursor + 1])
            cursor += 2 + (bits + 7) / 8
        }
        func oid() throws(FetchError) {
            guard cursor < b.count else { throw FetchError("openpgp: invalid data: short key packet") }
            cursor += 1 + Int(b[cursor])
        }
        switch b[5] {
        case 1, 2, 3:
            try mpi()
            try mpi()  // RSA n, e
        case 16, 20:
            try mpi()
            try mpi()
            try mpi()  // ElGamal p, g, y
        case 17:
            try mpi()
            try mpi()
            try mpi()
            try mpi()  // DSA p, q, g, y
        case 19, 22:
            try oid()
            try mpi()  // ECDSA, EdDSA
        case 18:
            try oid()
            try mpi()
            cursor += 1 + (cursor < b.count ? Int(b[cursor]) : 0)  // ECDH + KDF params
        default: throw FetchError("openpgp: unsupported feature: public key algorithm \(b[5])")
        }
        guard cursor <= b.count else { throw FetchError("openpgp: invalid data: short key packet") }
        return cursor
    }

    // MARK: Helpers

    static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard let context = EVP_MD_CTX_new() else { return [] }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha1(), nil)
        bytes.withUnsafeBytes { raw in _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count) }
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }

    static func crc24(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xB704CE
        for b in bytes {
            crc ^= UInt32(b) << 16
            for _ in 0..<8 {
                crc <<= 1
                if crc & 0x1000000 != 0 { crc ^= 0x1864CFB }
            }
        }
        return crc & 0xFFFFFF
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// rkt's `fingerToString`: upper-case hex in groups of four, two spaces in the middle
    /// (`4E03 45EE A4E2 CBD4 F2F3  B43E D4A3 DECB 8772 12D0`).
    static func groupedFingerprint(_ bytes: [UInt8]) -> String {
        var out = ""
        for (i, b) in bytes.enumerated() {
            if i > 0 && i % 2 == 0 {
                out += " "
                if i == 10 { out += " " }
            }
            out += hex([b]).uppercased()
        }
        return out
    }
}
