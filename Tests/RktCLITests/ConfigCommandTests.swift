import Foundation
import ImageStore
import TestSupport
import Testing

/// A system and a local configuration directory, empty until written to.
private struct ConfigDirs {
    let scratch = Scratch()
    var system: String { scratch.file("lib") }
    var local: String { scratch.file("etc") }
    var flags: [String] { ["--system-config=\(system)", "--local-config=\(local)"] }

    func write(_ root: String, _ sub: String, _ name: String, _ text: String) {
        let path = (sub.isEmpty ? root : root + "/" + sub) + "/" + name
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func basic(_ root: String, _ name: String, domain: String, user: String, password: String) {
        write(
            root, "auth.d", name,
            #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["\#(domain)"], "type": "basic", "credentials": {"user": "\#(user)", "password": "\#(password)"}}"#
        )
    }
}

struct ConfigCommandTests {
    @Test func emptyConfigurationPrintsPathsAndStage1() {
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        let r = rktAsWritten(dirs.flags + ["config"])
        #expect(r.code == 0)
        #expect(
            r.out == """
                {
                \t"stage0": [
                \t\t{
                \t\t\t"rktVersion": "v1",
                \t\t\t"rktKind": "paths",
                \t\t\t"data": "",
                \t\t\t"stage1-images": ""
                \t\t},
                \t\t{
                \t\t\t"rktVersion": "v1",
                \t\t\t"rktKind": "stage1",
                \t\t\t"name": "",
                \t\t\t"version": "",
                \t\t\t"location": ""
                \t\t}
                \t]
                }

                """)
        #expect(r.err == "")
        let compact = rktAsWritten(dirs.flags + ["config", "--pretty-print=false"])
        #expect(
            compact.out
                == #"{"stage0":[{"rktVersion":"v1","rktKind":"paths","data":"","stage1-images":""},{"rktVersion":"v1","rktKind":"stage1","name":"","version":"","location":""}]}"#
                + "\n")
    }

    @Test func localOverridesSystemPerEntry() {
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        dirs.basic(dirs.system, "a.json", domain: "one.example", user: "sys", password: "p1")
        dirs.basic(dirs.system, "b.json", domain: "two.example", user: "sys2", password: "p2")
        dirs.write(
            dirs.local, "auth.d", "c.json",
            #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["one.example"], "type": "oauth", "credentials": {"token": "tok<&>"}}"#)
        dirs.write(
            dirs.local, "auth.d", "d.json",
            #"{"rktKind": "dockerAuth", "rktVersion": "v1", "registries": ["registry.example"], "credentials": {"user": "u", "password": "p"}}"#)
        dirs.write(dirs.system, "paths.d", "p.json", #"{"rktKind": "paths", "rktVersion": "v1", "data": "/srv/rkt", "stage1-images": "/usr/lib/s1"}"#)
        dirs.write(dirs.local, "paths.d", "p.json", #"{"rktKind": "paths", "rktVersion": "v1", "data": "/srv/rkt2"}"#)
        dirs.write(
            dirs.local, "stage1.d", "s.json",
            #"{"rktKind": "stage1", "rktVersion": "v1", "name": "example.com/s1", "version": "1.0", "location": "https://example.com/s1.aci"}"#)
        // Not read: other names, subdirectories.
        dirs.write(dirs.local, "auth.d", "README", "not json")
        dirs.write(dirs.local, "auth.d/sub", "x.json", "not json")
        let r = rktAsWritten(dirs.flags + ["config", "--pretty-print=false"])
        #expect(r.code == 0, "\(r.err)")
        #expect(
            r.out
                == #"{"stage0":[{"rktVersion":"v1","rktKind":"auth","domains":["one.example"],"type":"oauth","credentials":{"token":"tok\u003c\u0026\u003e"}},"#
                + #"{"rktVersion":"v1","rktKind":"auth","domains":["two.example"],"type":"basic","credentials":{"user":"sys2","password":"p2"}},"#
                + #"{"rktVersion":"v1","rktKind":"dockerAuth","registries":["registry.example"],"credentials":{"user":"u","password":"p"}},"#
                + #"{"rktVersion":"v1","rktKind":"paths","data":"/srv/rkt2","stage1-images":"/usr/lib/s1"},"#
                + #"{"rktVersion":"v1","rktKind":"stage1","name":"example.com/s1","version":"1.0","location":"https://example.com/s1.aci"}]}"# + "\n")
    }

    @Test func badConfigurationIsNamedAndRefused() {
        let cases: [(sub: String, text: String, message: (String) -> String)] = [
            ("auth.d", "{", { "failed to parse \"\($0)\": unexpected end of JSON input" }),
            ("auth.d", #"{"rktVersion": "v1"}"#, { "no rktKind specified in \"\($0)\"" }),
            ("auth.d", #"{"rktKind": "auth"}"#, { "no rktVersion specified in \"\($0)\"" }),
            (
                "auth.d", #"{"rktKind": "paths", "rktVersion": "v1"}"#,
                {
                    "the configuration directory \"\(($0 as NSString).deletingLastPathComponent)\" expects to have configuration files of kinds \"auth\\\", \\\"dockerAuth\", but \"x.json\" has kind of \"paths\""
                }
            ),
            ("auth.d", #"{"rktKind": "auth", "rktVersion": "v2"}"#, { "failed to parse \"\($0)\": no parser available for configuration of kind \"auth\" and version \"v2\"" }),
            ("auth.d", #"{"rktKind": "auth", "rktVersion": "v1", "type": "basic"}"#, { "failed to parse \"\($0)\": no domains specified" }),
            ("auth.d", #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["a"]}"#, { "failed to parse \"\($0)\": no auth type specified" }),
            ("auth.d", #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["a"], "type": "basic"}"#, { "failed to parse \"\($0)\": unexpected end of JSON input" }),
            (
                "auth.d", #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["a"], "type": "basic", "credentials": {"user": "u"}}"#,
                { "failed to parse \"\($0)\": password not specified" }
            ),
            ("auth.d", #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["a"], "type": "x", "credentials": {}}"#, { "failed to parse \"\($0)\": unknown auth type: \"x\"" }),
            (
                "auth.d", #"{"rktKind": 5, "rktVersion": "v1"}"#,
                { "failed to parse \"\($0)\": json: cannot unmarshal number into Go struct field configHeader.rktKind of type string" }
            ),
            ("paths.d", #"{"rktKind": "paths", "rktVersion": "v1", "data": "rel"}"#, { "failed to parse \"\($0)\": data directory must be an absolute path" }),
            (
                "stage1.d", #"{"rktKind": "stage1", "rktVersion": "v1", "name": "n"}"#,
                { "failed to parse \"\($0)\": invalid stage1 configuration: default stage1 image name specified, but version is missing" }
            ),
            (
                "stage1.d", #"{"rktKind": "stage1", "rktVersion": "v1", "location": "ftp://x/y.aci"}"#,
                {
                    "failed to parse \"\($0)\": invalid stage1 configuration: default stage1 image location URL has invalid scheme \"ftp\", allowed schemes are \"docker\\\", \\\"file\\\", \\\"http\\\", \\\"https\""
                }
            ),
        ]
        for (sub, text, message) in cases {
            let dirs = ConfigDirs()
            defer { dirs.scratch.remove() }
            dirs.write(dirs.local, sub, "x.json", text)
            let r = rktAsWritten(dirs.flags + ["config"])
            #expect(r.code == 254)
            #expect(r.err == "config: cannot get configuration: \(message("\(dirs.local)/\(sub)/x.json"))\n")
            #expect(r.out == "")
        }
        // One domain twice in one directory is refused; across directories it is an override.
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        dirs.basic(dirs.local, "a.json", domain: "a", user: "u", password: "p")
        dirs.basic(dirs.local, "b.json", domain: "a", user: "u", password: "p")
        let twice = rktAsWritten(dirs.flags + ["config"])
        #expect(twice.err == "config: cannot get configuration: failed to parse \"\(dirs.local)/auth.d/b.json\": auth for domain \"a\" is already specified\n")
        // Commands that use the data directory need the configuration that may name it.
        let list = rktAsWritten(dirs.flags + ["image", "list"])
        #expect(list.code == 254)
        #expect(list.err.hasPrefix("list: cannot get configuration: failed to parse"))
        #expect(rktAsWritten(dirs.flags + ["version"]).code == 0)
    }

    @Test func pathsDataDirectoryIsTheDefaultDataDirectory() throws {
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        let data = dirs.scratch.file("data")
        dirs.write(dirs.system, "paths.d", "p.json", #"{"rktKind": "paths", "rktVersion": "v1", "data": "\#(data)"}"#)
        let image = try dirs.scratch.image("a.aci", name: "example.com/a")
        let fetched = rktAsWritten(dirs.flags + ["--insecure-options=image", "fetch", image])
        #expect(fetched.code == 0, "\(fetched.err)")
        #expect(try ImageStore(directory: data).records().count == 1)
        // --dir wins, and a relative --dir is taken from the current directory.
        let other = rktAsWritten(dirs.flags + ["--dir=\(dirs.scratch.file("other"))", "image", "list", "--no-legend"])
        #expect(other.code == 0)
        #expect(FileManager.default.fileExists(atPath: dirs.scratch.file("other")))
        let empty = rktAsWritten(dirs.flags + ["--dir=", "image", "list"])
        #expect(empty.code == 254)
        #expect(empty.err == "Error: invalid argument \"\" for --dir=: \"\" is not a valid directory\n")
    }

    @Test func deprecatedStoreFlags() throws {
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        let data = dirs.scratch.file("data")
        let both = rktAsWritten(dirs.flags + ["--dir=\(data)", "fetch", "--store-only", "--no-store", "example.com/a"])
        #expect(both.code == 254)
        #expect(
            both.err == """
                Flag --store-only has been deprecated, please use --pull-policy=never
                Flag --no-store has been deprecated, please use --pull-policy=update
                fetch: both --store-only and --no-store specified

                """)
        let storeOnly = rktAsWritten(dirs.flags + ["--dir=\(data)", "fetch", "--store-only", "example.com/a"])
        #expect(storeOnly.code == 254)
        #expect(storeOnly.err.hasPrefix("Flag --store-only has been deprecated, please use --pull-policy=never\n"))
        #expect(storeOnly.err.contains("example.com/a"))
    }
}

/// `auth.d` credentials sent with HTTPS fetches (rkt's TestAuthBasic, TestAuthOauth,
/// TestAuthOverride, TestAuthIgnore): a loopback HTTPS server that answers 401 without them.
struct FetchAuthTests {
    @Test func basicAndOauthCredentialsAndTheirOverride() throws {
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        let root = dirs.scratch.mkdir("www")
        let image = try dirs.scratch.image("www/a.aci", name: "example.com/a")
        _ = image
        let server = try TestServer(root: root, https: true)
        let host = "127.0.0.1:\(server.port)"
        let url = server.base + "/a.aci"
        func fetch() -> RunResult {
            rktAsWritten(dirs.flags + ["--dir=\(dirs.scratch.file("data\(dirs.scratch.next())"))", "--insecure-options=image,tls", "fetch", url])
        }
        let basic = "Basic " + Data("user:secret".utf8).base64EncodedString()
        dirs.write(root, "", ".auth", basic)
        let none = fetch()
        #expect(none.code == 254)
        #expect(none.err.contains("bad HTTP status code: 401"), "\(none.err)")
        // Ignored: other names and subdirectories.
        dirs.write(dirs.local, "auth.d", "README", "x")
        dirs.basic(dirs.local, "test.notjson", domain: host, user: "user", password: "secret")
        dirs.basic(dirs.local, "sub/test.json", domain: host, user: "user", password: "secret")
        #expect(fetch().code == 254)
        dirs.basic(dirs.system, "test.json", domain: host, user: "user", password: "secret")
        let system = fetch()
        #expect(system.code == 0, "\(system.err)")
        #expect(server.requests.contains("AUTH " + basic))
        // Local overrides system: wrong local credentials fail.
        dirs.basic(dirs.local, "test.json", domain: host, user: "user", password: "wrong")
        #expect(fetch().err.contains("bad HTTP status code: 401"))
        // OAuth bearer tokens.
        dirs.write(root, "", ".auth", "Bearer sometoken")
        dirs.write(
            dirs.local, "auth.d", "test.json",
            #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["\#(host)"], "type": "oauth", "credentials": {"token": "sometoken"}}"#)
        let oauth = fetch()
        #expect(oauth.code == 0, "\(oauth.err)")
        #expect(server.requests.contains("AUTH Bearer sometoken"))
    }

    @Test func credentialsAreNeverSentOverPlainHTTP() throws {
        let dirs = ConfigDirs()
        defer { dirs.scratch.remove() }
        let root = dirs.scratch.mkdir("www")
        _ = try dirs.scratch.image("www/a.aci", name: "example.com/a")
        let server = try TestServer(root: root)
        dirs.write(root, "", ".auth", "Bearer sometoken")
        dirs.write(
            dirs.local, "auth.d", "test.json",
            #"{"rktKind": "auth", "rktVersion": "v1", "domains": ["127.0.0.1:\#(server.port)"], "type": "oauth", "credentials": {"token": "sometoken"}}"#)
        let r = rktAsWritten(dirs.flags + ["--dir=\(dirs.scratch.file("data"))", "--insecure-options=image,http", "fetch", server.base + "/a.aci"])
        #expect(r.code == 254)
        #expect(r.err.contains("bad HTTP status code: 401"))
        #expect(!server.requests.contains { $0.hasPrefix("AUTH") })
    }
}
