import CLISupport
import Foundation
import Testing

@testable import RktCLI

/// Global flags mean the same wherever they stand: before the command, after it, after an
/// image, between images (rkt parses its whole flag set among `run`/`prepare`'s images).
/// These check the context every later step reads; `Pods.Run.globalFlagsAfterTheImage`
/// checks the effect on real pods.
@Suite struct GlobalFlagPositions {
    /// Each global flag as written, and the value the final context must hold.
    static let cases: [(words: [String], name: String, value: String)] = [
        (["--dir=/tmp/elsewhere"], "dir", "/tmp/elsewhere"),
        (["--dir", "/tmp/elsewhere"], "dir", "/tmp/elsewhere"),
        (["--insecure-options=image,tls"], "insecure-options", "image,tls"),
        (["--insecure-options", "image"], "insecure-options", "image"),
        (["--debug"], "debug", "true"),
        (["--debug=true"], "debug", "true"),
        (["--local-config=/tmp/local"], "local-config", "/tmp/local"),
        (["--system-config=/tmp/system"], "system-config", "/tmp/system"),
        (["--user-config=/tmp/user"], "user-config", "/tmp/user"),
        (["--trust-keys-from-https"], "trust-keys-from-https", "true"),
    ]

    /// The command lines that place `flag` in each position, and the images they name.
    static func placements(_ command: String, _ flag: [String]) -> [(arguments: [String], images: [String])] {
        [
            (["rkt"] + flag + [command, "a.aci"], ["a.aci"]),
            (["rkt", command] + flag + ["a.aci"], ["a.aci"]),
            (["rkt", command, "a.aci"] + flag, ["a.aci"]),
            (["rkt", command, "a.aci"] + flag + ["b.aci"], ["a.aci", "b.aci"]),
            (["rkt", command, "a.aci", "--", "x", "---"] + flag + ["b.aci"], ["a.aci", "b.aci"]),
            (["rkt", command, "a.aci", "--exec=/bin/sh"] + flag + ["--name=n"], ["a.aci"]),
        ]
    }

    @Test(arguments: ["run", "prepare"])
    func everyGlobalFlagInEveryPosition(command: String) {
        let console = Console(out: { _ in }, err: { _ in })
        for (words, name, value) in Self.cases {
            for (arguments, images) in Self.placements(command, words) {
                guard case .run(_, let context) = Rkt.parse(arguments: arguments, console: console) else {
                    Issue.record("\(arguments): not parsed as a command")
                    continue
                }
                guard let (final, apps) = Rkt.imageArguments(context) else {
                    Issue.record("\(arguments): images not parsed")
                    continue
                }
                #expect(final.flags.string(name) == value, "\(arguments)")
                #expect(apps.map(\.image) == images, "\(arguments)")
                if name == "dir" { #expect(final.dataDirectory == value, "\(arguments)") }
                if name == "debug" { #expect(final.debug, "\(arguments)") }
            }
        }
    }

    /// The image's own flags are not taken for global ones, and a global flag after the
    /// image leaves the image's flags alone.
    @Test func imageFlagsStayWithTheImage() throws {
        let console = Console(out: { _ in }, err: { _ in })
        let arguments = ["rkt", "run", "a.aci", "--exec=/bin/sh", "--debug", "--name=n", "--", "-c", "true"]
        guard case .run(_, let context) = Rkt.parse(arguments: arguments, console: console),
            let (final, apps) = Rkt.imageArguments(context)
        else {
            Issue.record("\(arguments): not parsed")
            return
        }
        #expect(final.debug)
        #expect(apps.count == 1)
        #expect(apps.first?.flags == ["exec": "/bin/sh", "name": "n"])
        #expect(apps.first?.args == ["-c", "true"])
    }

    /// A relative `--dir` is taken from the current directory wherever it is written (rkt's `absDir`).
    @Test func relativeDirAfterTheImageIsMadeAbsolute() {
        final class Buffer: @unchecked Sendable { var text = "" }
        let err = Buffer()
        let console = Console(out: { _ in }, err: { err.text += String(decoding: $0, as: UTF8.self) })
        guard case .run(_, let context) = Rkt.parse(arguments: ["rkt", "prepare", "a.aci", "--dir=relative"], console: console) else {
            Issue.record("not parsed as a command")
            return
        }
        let parsed = Rkt.imageArguments(context)
        #expect(parsed?.0.dataDirectory == FileManager.default.currentDirectoryPath + "/relative")
        #expect(err.text == "")
    }
}
