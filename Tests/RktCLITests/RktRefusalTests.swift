import Foundation
import ImageKit
import ImageStore
import LinuxSystem
import TestSupport
import Testing

/// What rkt refuses, and how (issue: rkt as its users know it): the exact lines and exit
/// codes of rkt 1.30 for invocations that must fail before any pod is made (run in-process).
struct RktRefusalTests {
    /// rkt's parseDNSFlags (rkt/run.go): `run: error with dns flags: ...`, exit 254.
    @Test(arguments: [
        (["--dns=bogus"], "Invalid IP passed to --dns: bogus"),
        (["--dns=8.8.8.8,1.2.3"], "Invalid IP passed to --dns: 1.2.3"),
        (["--dns=host", "--dns=8.8.8.8"], "no other --dns options allowed when --dns=host is passed"),
        (["--dns=none", "--dns=host"], "no other --dns options allowed when --dns=none is passed"),
        (["--dns=host", "--dns-search=example.com"], "Cannot call --dns-opt, --dns-search, or --dns-domain with --dns=host"),
        (["--dns=none", "--dns-domain=example.com"], "Cannot call --dns-opt, --dns-search, or --dns-domain with --dns=none"),
        (["--hosts-entry=notanip=foo"], "Invalid IP passed to --hosts-entry: notanip"),
        (["--hosts-entry=10.0.0.1"], "Did not understand --hosts-entry 10.0.0.1"),
        (["--hosts-entry=host", "--hosts-entry=10.0.0.1=db"], "cannot pass --hosts-entry=host with multiple hosts-entries"),
    ])
    func dnsFlags(flags: [String], message: String) {
        let s = Scratch()
        defer { s.remove() }
        let result = rkt(s.file("data"), arguments: ["run"] + flags + ["example.com/none"])
        #expect(result.code == 254 && result.out.isEmpty, "\(result)")
        #expect(result.err == "run: error with dns flags: \(message)\n", "\(result)")
    }

    /// rkt's Apps.Validate: a --mount of a volume nobody declared (TestVolumeMount).
    @Test func danglingMount() {
        let s = Scratch()
        defer { s.remove() }
        let pod = rkt(s.file("data"), "run", "--mount=volume=data,target=/data", "example.com/none")
        #expect(pod.code == 254)
        #expect(pod.err == "run: error parsing app image arguments: dangling mount point \"/data\": volume \"data\" not found\n", "\(pod)")
        let app = rkt(s.file("data"), "prepare", "--volume=other,kind=empty", "example.com/none", "--mount=volume=data,target=/d")
        #expect(app.err == "prepare: error parsing app image arguments: dangling mount point \"/d\": volume \"data\" not found\n", "\(app)")
    }

    /// One line, not a usage page (TestRunConflictingFlags).
    @Test func podManifestConflicts() {
        let s = Scratch()
        defer { s.remove() }
        let result = rkt(s.file("data"), "run", "--pod-manifest=/nonexistent", "--set-env=A=B")
        #expect(result.code == 254 && result.out.isEmpty)
        #expect(result.err == "run: conflicting flags set with --pod-manifest (see --help)\n", "\(result)")
    }

    /// A bad global flag is refused as it is parsed, whatever the command.
    @Test(arguments: [["list"], ["version"], ["image", "list"], ["gc"]])
    func insecureOptionsEverywhere(command: [String]) {
        let s = Scratch()
        defer { s.remove() }
        let result = rkt(s.file("data"), arguments: ["--insecure-options=bogus"] + command)
        #expect(result.code == 254, "\(result)")
        #expect(result.err.hasPrefix("Error: invalid argument \"bogus\" for --insecure-options=bogus: "), "\(result)")
    }

    /// `--set-env-file` as rkt reads it (TestEnv): `#` and `;` comments skipped, names required and unique.
    @Test func environmentFiles() throws {
        let s = Scratch()
        defer { s.remove() }
        let bad = s.file("bad.env")
        try "# comment\n;another\n=novalue\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let malformed = rkt(s.file("data"), "run", "--set-env-file=\(bad)", "example.com/none")
        #expect(malformed.code == 254)
        #expect(
            malformed.err.hasPrefix(
                "Error: invalid argument \"\(bad)\" for --set-env-file=\(bad): environment variable must be specified as name=value (file \"\(bad)\")\n"
            ), "\(malformed)")
        let first = s.file("a.env"), second = s.file("b.env")
        try "# set by a\nA=1\n;B=ignored\n\nC=x=y\n".write(toFile: first, atomically: true, encoding: .utf8)
        try "A=2\n".write(toFile: second, atomically: true, encoding: .utf8)
        let twice = rkt(s.file("data"), "run", "--set-env-file=\(first)", "--set-env-file=\(second)", "example.com/none")
        #expect(twice.err.contains("environment variable \"A\" already set (file \"\(second)\")"), "\(twice)")
    }

    /// `image rm` of one image named twice, by ID and by name, removes it once and exits 0
    /// (TestImageRunRmDuplicate, TestImagePrepareRmDuplicate).
    @Test func imageRemovedOnceWhenNamedTwice() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let store = try ImageStore(directory: dir)
        let a = try store.importImage(from: try s.image("a.aci", name: "example.com/a"))
        let b = try store.importImage(from: try s.image("b.aci", name: "example.com/b"))
        let byBoth = rkt(dir, "image", "rm", a.key, "example.com/a", String(a.key.prefix(20)))
        #expect(byBoth.code == 0, "\(byBoth)")
        #expect(byBoth.out == "successfully removed aci for image: \"\(a.key)\"\n")
        #expect(byBoth.err == "rm: 1 image(s) successfully removed\n")
        let sameID = rkt(dir, "image", "rm", b.key, b.key)
        #expect(sameID.code == 0 && sameID.out == "successfully removed aci for image: \"\(b.key)\"\n", "\(sameID)")
        #expect(try store.records().isEmpty)
    }

    /// `--stage1-path` takes only an rkt-stage1 that reads this rkt's plans; anything else is
    /// refused, naming the file, before a pod is made.
    @Test func stage1Path() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        let image = try s.image("a.aci", name: "example.com/a")
        let stage1Image = try s.image("stage1.aci", name: "coreos.com/rkt/stage1-coreos")
        let data = s.file("data.bin")
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: data))
        chmod(data, 0o755)
        let cases: [(String, String)] = [
            ("/bin/true", "prepare: stage1 \"/bin/true\" is not an rkt-stage1 executable"),
            (data, "prepare: stage1 \"\(data)\" is not an rkt-stage1 executable"),
            (stage1Image, "prepare: stage1 \"\(stage1Image)\" is an ACI (coreos.com/rkt/stage1-coreos): this rkt runs only its own stage1"),
            (s.file("missing"), "prepare: stage1 \"\(s.file("missing"))\": "),
        ]
        for (path, message) in cases {
            let result = rkt(dir, "--insecure-options=image", "prepare", "--stage1-path=\(path)", image)
            #expect(result.code == 254 && result.err.hasPrefix(message), "\(path): \(result)")
            #expect(result.err.split(separator: "\n").count == 1, "one line: \(result)")
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: dir + "/pods/prepare")) ?? [] == [], "no pod was made")
    }

    /// A dependency that is not in the store and cannot be fetched is named, with how to
    /// fetch it (discovery tries the loopback address the name gives, where nothing listens).
    @Test func missingDependencyIsNamed() throws {
        let s = Scratch()
        defer { s.remove() }
        let image = try s.image("app.aci", name: "example.com/app", extra: #","dependencies":[{"imageName":"127.0.0.1/missing-tools"}]"#)
        let result = rkt(s.file("data"), "--insecure-options=image", "fetch", image)
        #expect(result.code == 254 && result.out.isEmpty)
        #expect(
            result.err
                == "fetch: discovery failed: dependency \"127.0.0.1/missing-tools\" of image \"example.com/app\" is not in the store and could not be fetched; fetch it first: rkt fetch 127.0.0.1/missing-tools, or rkt fetch the .aci file that holds it\n",
            "\(result)")
    }

    /// `rkt completion bash`: rkt's messages, and a script bash takes that completes
    /// subcommands and flags of this command tree.
    @Test func completion() throws {
        let s = Scratch()
        defer { s.remove() }
        let dir = s.file("data")
        #expect(rkt(dir, "completion").err == "completion: shell type is not specified\n")
        #expect(rkt(dir, "completion", "bash", "zsh").err == "completion: too many arguments, only shell type is expected\n")
        let zsh = rkt(dir, "completion", "zsh")
        #expect(zsh.code == 254 && zsh.err == "completion: 'zsh' shell is not supported\n")
        let script = rkt(dir, "completion", "bash")
        #expect(script.code == 0)
        let path = s.file("rkt.bash")
        try script.out.write(toFile: path, atomically: true, encoding: .utf8)
        let probe = """
            source \(path)
            complete() { :; }
            for line in "rkt ima" "rkt image l" "rkt run --ne" "rkt --dir=/x st"; do
                read -ra COMP_WORDS <<< "$line"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _rkt 2>/dev/null; echo "${COMPREPLY[*]}"
            done
            """
        let result = try Subprocess.run(["/bin/bash", "-c", probe])
        #expect(result.stdoutText == "image\nlist\n--net=\nstatus stop\n", "\(result)")
    }
}
