import Foundation
import ImageFetch
import TestSupport
import Testing

/// Records `rkt trust` output in order, tagged by stream.
final class TrustRecorder: @unchecked Sendable {
    var lines: [String] = []
    var answers: [String]
    let terminal: Bool
    init(terminal: Bool, answers: [String] = []) {
        self.terminal = terminal
        self.answers = answers
    }
    var io: TrustIO {
        TrustIO(
            stdout: { self.lines.append("1 " + $0) }, stderr: { self.lines.append("2 " + $0) },
            isTerminal: { self.terminal },
            readLine: { self.answers.isEmpty ? nil : self.answers.removeFirst() })
    }
}

@Suite struct TrustTests {
    func keyFile(_ dir: Scratch, _ keys: GPGKeys) throws -> String {
        let path = dir.path + "/pubkey.gpg"
        try writeFile(path, keys.trustedArmored)
        return path
    }

    func fingerprintLines(_ keys: GPGKeys) throws -> [String] {
        let colons = try keys.colons(keys.trustedArmored).split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
        let fprs = colons.filter { $0.first == "fpr" }.map { String($0[9]) }
        func grouped(_ hex: String) -> String {
            var out = ""
            for (i, c) in hex.enumerated() {
                if i > 0 && i % 4 == 0 { out += i == 20 ? "  " : " " }
                out.append(c)
            }
            return out
        }
        #expect(fprs.count == 2)
        return [
            "1 gpg key fingerprint is: " + grouped(fprs[0]), "1     Subkey fingerprint: " + grouped(fprs[1]),
            "1 \tTest ACI Signer <signer@example.com>",
        ]
    }

    @Test func trustsAKeyForAPrefix() throws {
        let keys = try GPGKeys.get()
        let dir = Scratch("imagefetch-test", removeOnDeinit: true)
        let local = dir.mkdir("etc-rkt")
        let key = try keyFile(dir, keys)
        let store = TrustStore(systemConfig: dir.path + "/usr-lib-rkt", localConfig: local)
        let recorder = TrustRecorder(terminal: false)
        let fp = keys.trusted.lowercased()
        let result = try store.add(keyFile: key, prefix: "example.com/busybox", root: false, skipFingerprintReview: true, io: recorder.io)
        let stored = "\(local)/trustedkeys/prefix.d/example.com/busybox/\(fp)"
        #expect(result.storedPaths == [stored])
        #expect(
            recorder.lines == ["2 pubkey: prefix: \"example.com/busybox\"\nkey: \"\(key)\""] + (try fingerprintLines(keys)) + [
                "1 Trusting \"\(key)\" for prefix \"example.com/busybox\" without fingerprint review.",
                "1 Added key for prefix \"example.com/busybox\" at \"\(stored)\"",
            ])
        #expect((readText(stored) ?? "") == keys.trustedArmored)
        // The stored key verifies images of that prefix.
        let setup = try Setup()
        let image = try ACIFactory.make(in: setup.files, file: "b.aci", name: "example.com/busybox/sub")
        try keys.sign(image.path, with: keys.trusted)
        var options = setup.options()
        options.localConfig = local
        #expect(try setup.fetcher(options, log: LogLines()).fetch(image.path).key == image.key)
    }

    @Test func trustsARootKey() throws {
        let keys = try GPGKeys.get()
        let dir = Scratch("imagefetch-test", removeOnDeinit: true)
        let key = try keyFile(dir, keys)
        let recorder = TrustRecorder(terminal: false)
        try TrustStore(localConfig: dir.path + "/etc").add(keyFile: key, prefix: nil, root: true, skipFingerprintReview: true, io: recorder.io)
        let stored = "\(dir.path)/etc/trustedkeys/root.d/\(keys.trusted.lowercased())"
        #expect(recorder.lines.first == "2 pubkey: prefix: \"\"\nkey: \"\(key)\"")
        #expect(
            recorder.lines.suffix(2) == [
                "1 Trusting \"\(key)\" for prefix \"\" without fingerprint review.",
                "1 Added root key at \"\(stored)\"",
            ])
        #expect((readText(stored) ?? "") == keys.trustedArmored)
    }

    @Test func reviewNeedsATerminal() throws {
        let keys = try GPGKeys.get()
        let dir = Scratch("imagefetch-test", removeOnDeinit: true)
        let key = try keyFile(dir, keys)
        let recorder = TrustRecorder(terminal: false)
        let store = TrustStore(localConfig: dir.path + "/etc")
        let error = expectFetchError {
            try store.add(keyFile: key, prefix: "example.com/busybox", root: false, skipFingerprintReview: false, io: recorder.io)
        }
        #expect(
            error?.render("error adding keys", debug: false)
                == "error adding keys: error reviewing key: unable to ask user to review fingerprint due to lack of tty")
        #expect(
            recorder.lines.suffix(3) == [
                "2 pubkey: To trust the key for \"example.com/busybox\", do one of the following:",
                "2 pubkey:  - call rkt with --trust-keys-from-https",
                "2 pubkey:  - run: rkt trust --prefix \"example.com/busybox\"",
            ])
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/etc/trustedkeys"))
    }

    @Test func interactiveReview() throws {
        let keys = try GPGKeys.get()
        let dir = Scratch("imagefetch-test", removeOnDeinit: true)
        let key = try keyFile(dir, keys)
        let store = TrustStore(localConfig: dir.path + "/etc")
        let yes = TrustRecorder(terminal: true, answers: ["maybe\n", "yes\n"])
        try store.add(keyFile: key, prefix: "example.com/a", root: false, skipFingerprintReview: false, io: yes.io)
        #expect(
            yes.lines.suffix(5) == [
                "1 Are you sure you want to trust this key (yes/no)?",
                "1 Please enter 'yes' or 'no'",
                "1 Are you sure you want to trust this key (yes/no)?",
                "1 Trusting \"\(key)\" for prefix \"example.com/a\" after fingerprint review.",
                "1 Added key for prefix \"example.com/a\" at \"\(dir.path)/etc/trustedkeys/prefix.d/example.com/a/\(keys.trusted.lowercased())\"",
            ])
        let no = TrustRecorder(terminal: true, answers: ["no\n"])
        let result = try store.add(keyFile: key, prefix: "example.com/b", root: false, skipFingerprintReview: false, io: no.io)
        #expect(result.storedPaths.isEmpty)
        #expect(no.lines.last == "2 pubkey: not trusting \"\(key)\"")
        let eof = TrustRecorder(terminal: true, answers: [])
        let error = expectFetchError { try store.add(keyFile: key, prefix: "example.com/c", root: false, skipFingerprintReview: false, io: eof.io) }
        #expect(error?.render("error adding keys", debug: false) == "error adding keys: EOF")
    }

    @Test func keyLocationErrors() throws {
        let keys = try GPGKeys.get()
        let dir = Scratch("imagefetch-test", removeOnDeinit: true)
        let store = TrustStore(localConfig: dir.path + "/etc")
        let recorder = TrustRecorder(terminal: false)
        let http = expectFetchError { try store.add(keyFile: "http://127.0.0.1:1/k.gpg", prefix: "example.com/a", root: false, skipFingerprintReview: true, io: recorder.io) }
        #expect(http?.render("error adding keys", debug: false) == "error adding keys: --insecure-allow-http required for http URLs")
        #expect(http?.chain.first == "error accessing the key http://127.0.0.1:1/k.gpg")
        let missing = expectFetchError { try store.add(keyFile: dir.path + "/nope.gpg", prefix: "example.com/a", root: false, skipFingerprintReview: true, io: recorder.io) }
        #expect(missing?.message == "open \(dir.path)/nope.gpg: no such file or directory")
        try writeFile(dir.path + "/binary.gpg", "not armored")
        let binary = expectFetchError { try store.add(keyFile: dir.path + "/binary.gpg", prefix: "example.com/a", root: false, skipFingerprintReview: true, io: recorder.io) }
        #expect(binary?.chain == ["error displaying the key \(dir.path)/binary.gpg", "error reading key", "openpgp: invalid argument: no armored data found"])
        _ = keys
    }

    @Test func discoversKeysForAPrefix() throws {
        let f = try DiscoveryFixture()
        let store = TrustStore(
            localConfig: f.s.local, insecureAllowHTTP: true, insecureSkipTLSCheck: true,
            discoveryPort: f.server.port)
        let recorder = TrustRecorder(terminal: false)
        let result = try store.trust(keyFiles: [], prefix: "127.0.0.1/app", root: false, skipFingerprintReview: true, io: recorder.io)
        #expect(result.storedPaths == ["\(f.s.local)/trustedkeys/prefix.d/127.0.0.1/app/\(f.keys.trusted.lowercased())"])
        #expect(recorder.lines.first == "2 pubkey: prefix: \"127.0.0.1/app\"\nkey: \"\(f.server.base)/pubkeys.gpg\"")
        let none = expectFetchError { try store.trust(keyFiles: [], prefix: "127.0.0.1/none", root: false, skipFingerprintReview: true, io: recorder.io) }
        #expect(none?.render("error determining key location", debug: false) == "error determining key location: discovery failed")
    }
}
