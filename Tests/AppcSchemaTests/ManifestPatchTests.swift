import GoCompat
import Testing

@testable import AppcSchema

/// Applies a patch configured by `configure` to the manifest `json`.
private func patched(_ json: String, _ configure: (inout ManifestPatch) -> Void) throws -> ImageManifest {
    var patch = ManifestPatch()
    configure(&patch)
    var m = try image(json)
    try patch.apply(to: &m)
    return m
}

/// The error text of applying the patch, or nil; the manifest must be untouched on failure.
private func patchError(_ json: String, _ configure: (inout ManifestPatch) -> Void) -> String? {
    var patch = ManifestPatch()
    configure(&patch)
    guard let original = try? image(json) else { return "BAD TEST MANIFEST" }
    var m = original
    do {
        try patch.apply(to: &m)
        return nil
    } catch {
        return m == original ? error.message : "MANIFEST CHANGED: " + error.message
    }
}

/// Patches, then encodes canonically (Go's `im.MarshalJSON()`).
private func patchedJSON(_ json: String, _ configure: (inout ManifestPatch) -> Void) throws -> String {
    text(try patched(json, configure).encoded())
}

private func raw(_ isolator: Isolator?) -> String? { isolator?.rawValue.map(text) }

private let noApp = "no app in the supplied manifest and no exec command provided"
private let head = #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app""#

struct ManifestPatchTests {
    // MARK: name, exec, user, group

    @Test func name() throws {
        #expect(try patched(manifest()) { $0.name = "example.com/new" }.name.value == "example.com/new")
        #expect(patchError(manifest()) { $0.name = "Bad" } == identifierCharError)
        #expect(patchError(manifest()) { $0.name = "bad-" } == identifierEdgeError)
        // No flag: unchanged, but still canonicalised by the encoder.
        #expect(
            try patchedJSON(#"{"name":"example.com/app","acVersion":"0.8.11","acKind":"ImageManifest"}"#) { _ in }
                == head + "}")
    }

    @Test func exec() throws {
        let m = try patched(withApp(#""exec":["/old"]"#)) { $0.exec = "/bin/sh -c  x " }
        #expect(m.app?.exec == ["/bin/sh", "-c", "", "x", ""])
        #expect(m.app?.user == "0")

        // Without an app, exec creates an empty one, which fails on encoding as in Go.
        let created = try patched(manifest()) { $0.exec = "/bin/true" }
        #expect(created.app == App(exec: ["/bin/true"]))
        #expect(encodeError(created) == "json: error calling MarshalJSON for type *types.App: user is required")
        let withUser = try patched(manifest()) {
            $0.exec = "/bin/true"
            $0.user = "0"
        }
        #expect(encodeError(withUser) == "json: error calling MarshalJSON for type *types.App: group is required")
        #expect(
            try patchedJSON(manifest()) {
                $0.exec = "/bin/true"
                $0.user = "0"
                $0.group = "1"
            }
                == head + #","app":{"exec":["/bin/true"],"user":"0","group":"1"}}"#)
    }

    @Test func userAndGroup() throws {
        let m = try patched(withApp()) {
            $0.user = "daemon"
            $0.group = "/etc/x"
        }
        #expect(m.app?.user == "daemon")
        #expect(m.app?.group == "/etc/x")
        let onlyGroup = try patched(withApp()) { $0.group = "users" }
        #expect(onlyGroup.app?.user == "0")
        #expect(onlyGroup.app?.group == "users")
    }

    @Test func appRequired() throws {
        let flags: [(inout ManifestPatch) -> Void] = [
            { $0.user = "0" }, { $0.group = "0" }, { $0.supplementaryGroups = "1" },
            { $0.capability = "CAP_CHOWN" }, { $0.revokeCapability = "CAP_CHOWN" },
            { $0.mounts = "work,path=/w" }, { $0.ports = "p,protocol=tcp,port=80" },
            { $0.isolators = "resource/cpu,limit=1" },
            // Ours.
            { $0.setEnvironment = ["A=1"] },
            {
                $0.setEnvironment = ["A=1"]
                $0.unsetEnvironment = ["A"]
            }, { $0.workingDirectory = "/" },
            // Go panics here (nil app); we report the same error instead.
            {
                $0.seccompMode = "remove"
                $0.seccompSet = "chmod"
            },
        ]
        for flag in flags {
            #expect(patchError(manifest(), flag) == noApp)
            // --exec provides the app.
            #expect(
                patchError(manifest()) {
                    flag(&$0)
                    $0.exec = "/x"
                } == nil)
        }
        // The check comes after name but before every app flag's own parsing.
        #expect(
            patchError(manifest()) {
                $0.name = "X"
                $0.user = "0"
            } == identifierCharError)
        #expect(patchError(manifest()) { $0.supplementaryGroups = "x" } == noApp)
        #expect(
            patchError(manifest()) {
                $0.capability = "A"
                $0.revokeCapability = "B"
            } == noApp)
        // Seccomp's own errors come first (Go parses the flags before touching the app).
        #expect(patchError(manifest()) { $0.seccompSet = "chmod" } == "--seccomp-set specified without --seccomp-mode")
        #expect(
            patchError(manifest()) { $0.seccompMode = "bogus" }
                == "cannot parse seccomp isolator: unknown seccomp mode bogus")
        // Flags that do not touch the app need none.
        #expect(
            patchError(manifest()) {
                $0.name = "example.com/x"
                $0.setLabels = ["version=1"]
                $0.setAnnotations = ["authors=me"]
                $0.addDependencies = [Dependency(imageName: try! ACIdentifier("example.com/dep"))]
            } == nil)
    }

    // MARK: supplementary groups

    @Test func supplementaryGroups() throws {
        let m = try patched(withApp(#""supplementaryGIDs":[7,8,9]"#)) { $0.supplementaryGroups = "1,-2,+3,0010" }
        #expect(m.app?.supplementaryGIDs == [1, -2, 3, 10])
        #expect(
            try patched(withApp()) { $0.supplementaryGroups = "9223372036854775807,-9223372036854775808" }
                .app?.supplementaryGIDs == [Int.max, Int.min])
    }

    @Test(arguments: [
        ("x", #"invalid supplementary group "x": strconv.Atoi: parsing "x": invalid syntax"#),
        ("1,,2", #"invalid supplementary group "": strconv.Atoi: parsing "": invalid syntax"#),
        ("1, 2", #"invalid supplementary group " 2": strconv.Atoi: parsing " 2": invalid syntax"#),
        ("1,+", #"invalid supplementary group "+": strconv.Atoi: parsing "+": invalid syntax"#),
        ("-", #"invalid supplementary group "-": strconv.Atoi: parsing "-": invalid syntax"#),
        ("1_000", #"invalid supplementary group "1_000": strconv.Atoi: parsing "1_000": invalid syntax"#),
        ("0x10", #"invalid supplementary group "0x10": strconv.Atoi: parsing "0x10": invalid syntax"#),
        (
            "9223372036854775808",
            #"invalid supplementary group "9223372036854775808": strconv.Atoi: parsing "9223372036854775808": value out of range"#
        ),
        (
            "-9223372036854775809",
            #"invalid supplementary group "-9223372036854775809": strconv.Atoi: parsing "-9223372036854775809": value out of range"#
        ),
        // ParseUint stops at the overflow, before a later bad character.
        (
            "99999999999999999999x",
            #"invalid supplementary group "99999999999999999999x": strconv.Atoi: parsing "99999999999999999999x": value out of range"#
        ),
        (
            "999999999999999999x",
            #"invalid supplementary group "999999999999999999x": strconv.Atoi: parsing "999999999999999999x": invalid syntax"#
        ),
    ])
    func badSupplementaryGroups(value: String, error: String) {
        #expect(patchError(withApp()) { $0.supplementaryGroups = value } == error)
    }

    // MARK: capabilities

    static let capsApp = withIsolators(
        #"{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_A"]}},"#
            + #"{"name":"resource/cpu","value":{"limit":"1"}},"#
            + #"{"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_B"]}},"#
            + #"{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_C"]}}"#)

    @Test func capabilities() throws {
        let retain = try patched(Self.capsApp) { $0.capability = "CAP_NET_ADMIN,CAP_SYS_ADMIN" }
        #expect(retain.app?.isolators.map(\.name.value) == ["resource/cpu", "os/linux/capabilities-retain-set"])
        #expect(raw(retain.app?.isolators.last) == #"{"set":["CAP_NET_ADMIN","CAP_SYS_ADMIN"]}"#)
        #expect(retain.app?.isolators.last?.value == .capabilitiesRetainSet(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]))

        let remove = try patched(Self.capsApp) { $0.revokeCapability = "CAP_MKNOD" }
        #expect(remove.app?.isolators.map(\.name.value) == ["resource/cpu", "os/linux/capabilities-remove-set"])
        #expect(raw(remove.app?.isolators.last) == #"{"set":["CAP_MKNOD"]}"#)

        // Names are not checked; empty entries survive, as in Go.
        let odd = try patched(withApp()) { $0.capability = "x,,<y>" }
        #expect(odd.app?.isolators.last?.value == .capabilitiesRetainSet(["x", "", "<y>"]))
        #expect(
            text(try odd.encoded()).hasSuffix(
                #""isolators":[{"name":"os/linux/capabilities-retain-set","value":{"set":["x","","\u003cy\u003e"]}}]}}"#))

        #expect(
            patchError(Self.capsApp) {
                $0.capability = "A"
                $0.revokeCapability = "B"
            }
                == "conflicting capabilities isolators provided")
    }

    // MARK: mounts and ports

    @Test func mounts() throws {
        let m = try patched(withApp(#""mountPoints":[{"name":"old","path":"/old"}]"#)) {
            $0.mounts = "work,path=/opt,readOnly=true:data,path=/data%20dir"
        }
        #expect(
            m.app?.mountPoints == [
                MountPoint(name: try ACName("old"), path: "/old"),
                MountPoint(name: try ACName("work"), path: "/opt", readOnly: true),
                MountPoint(name: try ACName("data"), path: "/data%20dir"),
            ])
        #expect(
            patchError(withApp()) { $0.mounts = "work,path=/opt:data,path=/d,bogus=1" }
                == #"cannot parse mount point "data,path=/d,bogus=1": unknown mountpoint parameter "bogus""#)
        #expect(
            patchError(withApp()) { $0.mounts = "work" }
                == #"cannot parse mount point "work": path must be set"#)
        #expect(
            patchError(withApp()) { $0.mounts = "Work,path=/w" }
                == #"cannot parse mount point "Work,path=/w": "# + nameCharError)
        #expect(
            patchError(withApp()) { $0.mounts = "w,path=/w,readOnly=yes" }
                == #"cannot parse mount point "w,path=/w,readOnly=yes": strconv.ParseBool: parsing "yes": invalid syntax"#)
        #expect(
            patchError(withApp()) { $0.mounts = "w,path" }
                == #"cannot parse mount point "w,path": malformed string "name=w,path" - has a label without a value: path"#)
    }

    @Test func ports() throws {
        let m = try patched(withApp(#""ports":[{"name":"old","protocol":"udp","port":53}]"#)) {
            $0.ports = "query,protocol=tcp,port=8080:range,protocol=tcp,port=9000,count=10,socketActivated=true"
        }
        #expect(m.app?.ports.map(\.name.value) == ["old", "query", "range"])
        #expect(m.app?.ports[0].count == 1)
        #expect(m.app?.ports[1].count == 0)  // left 0, as in Go
        #expect(m.app?.ports[2].count == 10)
        #expect(m.app?.ports[2].socketActivated == true)
        #expect(
            try patchedJSON(withApp()) { $0.ports = "q,protocol=tcp,port=80" }
                == head + #","app":{"exec":null,"user":"0","group":"0","#
                + #""ports":[{"name":"q","protocol":"tcp","port":80,"count":0,"socketActivated":false}]}}"#)

        #expect(
            patchError(withApp()) { $0.ports = "q,protocol=tcp,port=0" }
                == #"cannot parse port "q,protocol=tcp,port=0": port must be in 1-65535 range"#)
        #expect(
            patchError(withApp()) { $0.ports = "q,port=1,port=2" }
                == #"cannot parse port "q,port=1,port=2": label port with multiple values ["1" "2"]"#)
        #expect(
            patchError(withApp()) { $0.ports = "q,port=70000" }
                == #"cannot parse port "q,port=70000": strconv.ParseUint: parsing "70000": value out of range"#)
        #expect(
            patchError(withApp()) { $0.ports = "q,port=80,speed=1" }
                == #"cannot parse port "q,port=80,speed=1": unknown port parameter "speed""#)
    }

    // MARK: seccomp

    static let seccompApp = withIsolators(
        #"{"name":"os/linux/seccomp-retain-set","value":{"set":["read"]}},"#
            + #"{"name":"os/linux/no-new-privileges","value":true}"#)

    @Test func seccomp() throws {
        let m = try patched(Self.seccompApp) {
            $0.seccompMode = "remove,errno=EPERM"
            $0.seccompSet = "chmod,chown"
        }
        #expect(m.app?.isolators.map(\.name.value) == ["os/linux/no-new-privileges", "os/linux/seccomp-remove-set"])
        #expect(raw(m.app?.isolators.last) == #"{"set":["chmod","chown"],"errno":"EPERM"}"#)

        // Replacing again, by the other kind; the last mode and errno win.
        let again = try patched(Self.seccompApp) { $0.seccompMode = "errno=EACCES,remove,retain,errno=ENOSYS" }
        #expect(again.app?.isolators.map(\.name.value) == ["os/linux/no-new-privileges", "os/linux/seccomp-retain-set"])
        #expect(raw(again.app?.isolators.last) == #"{"set":[""],"errno":"ENOSYS"}"#)
        #expect(text(try again.encoded()).contains(#"{"name":"os/linux/seccomp-retain-set","value":{"set":[""],"errno":"ENOSYS"}}"#))
    }

    @Test(arguments: [
        ("bogus", "", "cannot parse seccomp isolator: unknown seccomp mode bogus"),
        ("errno=EPERM", "x", "cannot parse seccomp isolator: unknown seccomp mode "),
        ("remove,", "x", "cannot parse seccomp isolator: unknown seccomp mode "),
        ("remove,foo=bar", "x", "invalid seccomp-mode optional argument: foo=bar"),
        ("remove,=x", "x", "invalid seccomp-mode optional argument: =x"),
        ("remove,errno=E=X", "x", "cannot parse seccomp-mode argument: errno=E=X"),
        ("Remove", "x", "cannot parse seccomp isolator: unknown seccomp mode Remove"),
        ("retain,errno=eperm", "x", "cannot parse seccomp isolator: errno must be an upper case string"),
        ("", "chmod", "--seccomp-set specified without --seccomp-mode"),
    ])
    func badSeccomp(mode: String, set: String, error: String) {
        #expect(
            patchError(Self.seccompApp) {
                $0.seccompMode = mode
                $0.seccompSet = set
            } == error)
    }

    // MARK: isolators

    @Test func resourceIsolators() throws {
        let m = try patched(withApp()) {
            $0.isolators = "resource/cpu,request=50m,limit=100m:resource/memory,limit=1%47i&request=5%31%32Mi"
        }
        let isolators = try #require(m.app?.isolators)
        #expect(isolators.map(\.name.value) == ["resource/cpu", "resource/memory"])
        // Go's text with the value's keys sorted.
        #expect(raw(isolators[0]) == #"{ "limit": "100m", "request": "50m" }"#)
        #expect(raw(isolators[1]) == #"{ "limit": "1Gi", "request": "512Mi" }"#)
        #expect(
            isolators[0].value
                == .cpu(
                    ResourceLimits(
                        request: try ResourceQuantity("50m"),
                        limit: try ResourceQuantity("100m"))))
        #expect(
            try patchedJSON(withApp()) { $0.isolators = "resource/cpu,request=50m,limit=100m" }
                == head + #","app":{"exec":null,"user":"0","group":"0","#
                + #""isolators":[{"name":"resource/cpu","value":{"limit":"100m","request":"50m"}}]}}"#)
        // No parameters, unknown keys and keys without values: Go keeps them in the raw value.
        let loose = try patched(withApp()) { $0.isolators = "resource/cpu:resource/memory,zz=1,flag,=x" }
        #expect(raw(loose.app?.isolators[0]) == "{  }")
        #expect(raw(loose.app?.isolators[1]) == #"{ "": "x", "flag": "", "zz": "1" }"#)
        // Appended after the existing ones, repeatable kinds only checked on encoding.
        let appended = try patched(withIsolators(#"{"name":"resource/cpu","value":{"limit":"2"}}"#)) {
            $0.isolators = "resource/cpu,limit=1"
        }
        #expect(appended.app?.isolators.map { raw($0) } == [#"{"limit":"2"}"#, #"{ "limit": "1" }"#])
    }

    @Test func isolatorValuesMadeOfStrings() {
        // "true" is a JSON string: the block/network resources cannot be patched.
        #expect(
            patchError(withApp()) { $0.isolators = "resource/block-iops,default=true,limit=5" } == """
                cannot unmarshal isolator 
                                {
                                    "name": "resource/block-iops",
                                    "value": { "default": "true", "limit": "5" }
                                }: json: cannot unmarshal string into Go struct field resourceValue.default of type bool
                """)
        #expect(
            patchError(withApp()) { $0.isolators = "resource/cpu,limit=abc" } == """
                cannot unmarshal isolator 
                                {
                                    "name": "resource/cpu",
                                    "value": { "limit": "abc" }
                                }: \(IsolatorTests.formatError)
                """)
        // The value text is not escaped: a decoded quote breaks the JSON.
        #expect(
            patchError(withApp()) { $0.isolators = "resource/cpu,limit=%22" }
                == "cannot unmarshal isolator \n                {\n                    \"name\": \"resource/cpu\",\n"
                + #"                    "value": { "limit": """ }"# + "\n                }: "
                + #"invalid character '"' after object key:value pair"#)
    }

    @Test func rawJSONIsolators() throws {
        let m = try patched(withApp()) {
            $0.isolators = "os/linux/no-new-privileges,true:os/linux/oom-score-adj,-500"
        }
        let isolators = try #require(m.app?.isolators)
        #expect(isolators.map(\.name.value) == ["os/linux/no-new-privileges", "os/linux/oom-score-adj"])
        #expect(isolators.map { raw($0) } == ["true", "-500"])
        #expect(isolators[1].value == .oomScoreAdj(-500))
        #expect(
            try patchedJSON(withApp()) { $0.isolators = "os/linux/oom-score-adj,5:os/linux/no-new-privileges,false" }
                == head + #","app":{"exec":null,"user":"0","group":"0","isolators":["#
                + #"{"name":"os/linux/oom-score-adj","value":5},{"name":"os/linux/no-new-privileges","value":false}]}}"#)

        #expect(
            patchError(withApp()) { $0.isolators = "os/linux/no-new-privileges" }
                == "isolator os/linux/no-new-privileges: invalid format")
        #expect(
            patchError(withApp()) { $0.isolators = "os/linux/oom-score-adj,1,x" }
                == "isolator os/linux/oom-score-adj: invalid format")
        #expect(
            patchError(withApp()) { $0.isolators = "os/linux/no-new-privileges,yes" }
                == #"cannot unmarshal isolator { "name": "os/linux/no-new-privileges", "value": yes }: "#
                + "invalid character 'y' looking for beginning of value")
        #expect(
            patchError(withApp()) { $0.isolators = "os/linux/no-new-privileges," }
                == #"cannot unmarshal isolator { "name": "os/linux/no-new-privileges", "value":  }: "#
                + "invalid character '}' looking for beginning of value")
        #expect(
            patchError(withApp()) { $0.isolators = #"os/linux/no-new-privileges,"true""# }
                == #"cannot unmarshal isolator { "name": "os/linux/no-new-privileges", "value": "true" }: "#
                + "json: cannot unmarshal string into Go value of type bool")
        #expect(
            patchError(withApp()) { $0.isolators = "os/linux/oom-score-adj,2000" }
                == #"cannot unmarshal isolator { "name": "os/linux/oom-score-adj", "value": 2000 }: "#
                + "os/linux/oom-score-adj must be between -1000 and 1000, got 2000")
        // The query is parsed first, so a repeated bare value is a repeated key.
        #expect(
            patchError(withApp()) { $0.isolators = "os/linux/oom-score-adj,1,1" }
                == #"cannot parse isolator "os/linux/oom-score-adj,1,1": label 1 with multiple values ["" ""]"#)
        // A second oom-score-adj is accepted here and rejected by the encoder.
        let twice = try patched(withIsolators(#"{"name":"os/linux/oom-score-adj","value":1}"#)) {
            $0.isolators = "os/linux/oom-score-adj,2"
        }
        #expect(
            encodeError(twice) == "json: error calling MarshalJSON for type *types.App: "
                + #"isolators set contains too many instances of type os/linux/oom-score-adj""#)
    }

    @Test(arguments: [
        "os/linux/seccomp-remove-set,set=chmod", "os/linux/seccomp-retain-set", "os/unix/sysctl,a=b",
        "os/linux/capabilities-retain-set,set=CAP_CHOWN", "os/linux/cpu-shares,2", "example.com/unknown",
    ])
    func unsupportedIsolators(item: String) {
        let name = String(item.prefix { $0 != "," })
        #expect(
            patchError(withApp()) { $0.isolators = "resource/cpu,limit=1:" + item }
                == "isolator \(name) is not supported for patching")
    }

    @Test(arguments: [
        ("resource/cpu,limit=1,limit=2", #"label limit with multiple values ["1" "2"]"#),
        ("resource/cpu,name=resource/memory", #"label name with multiple values ["resource/cpu" "resource/memory"]"#),
        ("resource/cpu&limit=1&limit=2", #"label limit with multiple values ["1" "2"]"#),
        ("resource/cpu,limit=%zz", #"invalid URL escape "%zz""#),
        ("resource/cpu,limit=5%", #"invalid URL escape "%""#),
        ("resource/cpu,limit=%4", #"invalid URL escape "%4""#),
        ("resource/cpu,%zz=1,limit=%", #"invalid URL escape "%zz""#),
        // A semicolon error overrides an earlier escape error (Go's ParseQuery).
        ("resource/cpu,limit=%zz,a;b", "invalid semicolon separator in query"),
        ("resource/cpu;limit=1", "invalid semicolon separator in query"),
        ("Resource/cpu,limit=1", identifierCharError),
        ("resource/cpu/,limit=1", identifierEdgeError),
        (",limit=1", "ACIdentifier cannot be empty"),
    ])
    func unparsableIsolators(item: String, error: String) {
        #expect(patchError(withApp()) { $0.isolators = item } == "cannot parse isolator \(goQuote(item)): \(error)")
    }

    @Test func emptyIsolatorItems() {
        #expect(
            patchError(withApp()) { $0.isolators = "resource/cpu,limit=1:" }
                == #"cannot parse isolator "": ACIdentifier cannot be empty"#)
        #expect(patchError(withApp()) { $0.isolators = "::" } == #"cannot parse isolator "": ACIdentifier cannot be empty"#)
    }

    @Test func isolatorBytesThatAreNotUTF8() throws {
        // %ff decodes to a lone 0xFF byte: Go quotes it as \xff and copies it raw.
        #expect(
            patchError(withApp()) { $0.isolators = "resource/cpu,limit=%ff,limit=%e2%82%ac" }
                == #"cannot parse isolator "resource/cpu,limit=%ff,limit=%e2%82%ac": "#
                + #"label limit with multiple values ["\xff" "€"]"#)
        #expect(
            patchError(withApp()) { $0.isolators = "resource/cpu,limit=%x€" }
                == #"cannot parse isolator "resource/cpu,limit=%x€": invalid URL escape "%x\xe2""#)
        var patch = ManifestPatch()
        patch.isolators = "resource/cpu,limit=%ff"
        var m = try image(withApp())
        #expect {
            try patch.apply(to: &m)
        } throws: { error in
            guard let error = error as? ManifestError else { return false }
            return error.messageBytes == Array(
                "cannot unmarshal isolator \n                {\n                    \"name\": \"resource/cpu\",\n                    \"value\": { \"limit\": \"".utf8)
                + [0xFF] + Array("\" }\n                }: \(IsolatorTests.formatError)".utf8)
        }
        let kept = try patched(withApp()) { $0.isolators = "resource/cpu,x=%ff" }
        #expect(kept.app?.isolators.last?.rawValue == Array(#"{ "x": ""#.utf8) + [0xFF] + Array(#"" }"#.utf8))
        #expect(try kept.encoded().contains(0xFF))
    }

    // MARK: Go's order of checks

    @Test func firstFailingFlagInGoOrderWins() {
        let bad: [(String, (inout ManifestPatch) -> Void)] = [
            (identifierCharError, { $0.name = "X" }),
            (
                #"invalid supplementary group "x": strconv.Atoi: parsing "x": invalid syntax"#,
                { $0.supplementaryGroups = "x" }
            ),
            (
                "conflicting capabilities isolators provided",
                {
                    $0.capability = "A"
                    $0.revokeCapability = "B"
                }
            ),
            (#"cannot parse mount point "m": path must be set"#, { $0.mounts = "m" }),
            (#"cannot parse port "p,port=0": port must be in 1-65535 range"#, { $0.ports = "p,port=0" }),
            ("cannot parse seccomp isolator: unknown seccomp mode x", { $0.seccompMode = "x" }),
            ("isolator os/unix/sysctl is not supported for patching", { $0.isolators = "os/unix/sysctl" }),
            (
                #"--remove-dependency: no dependency named "example.com/none""#,
                { $0.removeDependencies = ["example.com/none"] }
            ),
            (#"--set-env "X": want NAME=VALUE"#, { $0.setEnvironment = ["X"] }),
            (#"--unset-env: no environment variable named "NONE""#, { $0.unsetEnvironment = ["NONE"] }),
            (#"--set-annotation "x": want NAME=VALUE"#, { $0.setAnnotations = ["x"] }),
            (#"--unset-annotation: no annotation named "none""#, { $0.unsetAnnotations = ["none"] }),
            (#"--set-label "x": want NAME=VALUE"#, { $0.setLabels = ["x"] }),
            (#"--unset-label: no label named "none""#, { $0.unsetLabels = ["none"] }),
            (#"--working-directory "x": workingDirectory must be an absolute path"#, { $0.workingDirectory = "x" }),
            (#"--extend-whitelist "x": path must be absolute"#, { $0.extendWhitelist = ["x"] }),
        ]
        // With every flag from index i on set badly, flag i's error is reported.
        for i in bad.indices {
            #expect(
                patchError(withApp()) { patch in
                    for (_, configure) in bad[i...].reversed() { configure(&patch) }
                } == bad[i].0)
        }
    }

    // MARK: dependencies

    static let withDependencies = manifest(
        #""dependencies":[{"imageName":"example.com/base","imageID":"sha512-aa"},"#
            + #"{"imageName":"example.com/libs","labels":[{"name":"version","value":"1"}]},"#
            + #"{"imageName":"example.com/extra"}]"#)

    @Test func addDependencies() throws {
        let tools = Dependency(imageName: try ACIdentifier("example.com/tools"), imageID: try ImageHash("sha512-ff"))
        let libs2 = Dependency(
            imageName: try ACIdentifier("example.com/libs"),
            labels: [try Label(name: "version", value: "2")], size: 42)
        let m = try patched(Self.withDependencies) { $0.addDependencies = [tools, libs2] }
        #expect(
            m.dependencies.map(\.imageName.value)
                == ["example.com/base", "example.com/libs", "example.com/extra", "example.com/tools"])
        #expect(m.dependencies[1] == libs2)
        #expect(m.dependencies[3] == tools)
        #expect(
            try patchedJSON(manifest()) { $0.addDependencies = [tools, libs2] }
                == head + #","dependencies":[{"imageName":"example.com/tools","imageID":"sha512-ff"},"#
                + #"{"imageName":"example.com/libs","labels":[{"name":"version","value":"2"}],"size":42}]}"#)
        // Adding the same name twice keeps one entry, the last one.
        let twice = try patched(manifest()) { $0.addDependencies = [tools, libs2, Dependency(imageName: tools.imageName)] }
        #expect(twice.dependencies == [Dependency(imageName: tools.imageName), libs2])
        // Duplicates already in the manifest collapse into the replaced entry.
        let duplicated = manifest(
            #""dependencies":[{"imageName":"example.com/a"},{"imageName":"example.com/b"},"#
                + #"{"imageName":"example.com/a","size":1}]"#)
        let replaced = try patched(duplicated) { $0.addDependencies = [Dependency(imageName: try! ACIdentifier("example.com/a"), size: 9)] }
        #expect(replaced.dependencies.map(\.imageName.value) == ["example.com/a", "example.com/b"])
        #expect(replaced.dependencies[0].size == 9)
    }

    @Test func removeDependencies() throws {
        let m = try patched(Self.withDependencies) { $0.removeDependencies = ["example.com/libs", "example.com/base"] }
        #expect(m.dependencies.map(\.imageName.value) == ["example.com/extra"])
        #expect(
            patchError(Self.withDependencies) { $0.removeDependencies = ["example.com/libs", "example.com/libs"] }
                == #"--remove-dependency: no dependency named "example.com/libs""#)
        #expect(
            patchError(manifest()) { $0.removeDependencies = ["example.com/base"] }
                == #"--remove-dependency: no dependency named "example.com/base""#)
        // Removal comes before addition: a dependency can be moved to the end.
        let moved = try patched(Self.withDependencies) {
            $0.removeDependencies = ["example.com/base"]
            $0.addDependencies = [Dependency(imageName: try! ACIdentifier("example.com/base"))]
        }
        #expect(moved.dependencies.map(\.imageName.value) == ["example.com/libs", "example.com/extra", "example.com/base"])
        #expect(
            try patchedJSON(Self.withDependencies) {
                $0.removeDependencies = ["example.com/base", "example.com/libs", "example.com/extra"]
            } == head + "}")
    }

    @Test func parseDependency() throws {
        #expect(
            try ManifestPatch.parseDependency("example.com/tools")
                == Dependency(imageName: try ACIdentifier("example.com/tools")))
        let full = try ManifestPatch.parseDependency("example.com/tools,imageID=sha512-abc,version=1.0=x,os=linux,arch=amd64")
        #expect(
            full
                == Dependency(
                    imageName: try ACIdentifier("example.com/tools"), imageID: try ImageHash("sha512-abc"),
                    labels: [
                        try Label(name: "version", value: "1.0=x"), try Label(name: "os", value: "linux"),
                        try Label(name: "arch", value: "amd64"),
                    ]))
        #expect(try ManifestPatch.parseDependency("a,arch=anything").labels == [try Label(name: "arch", value: "anything")])
        #expect(try ManifestPatch.parseDependency("a,version=").labels == [try Label(name: "version", value: "")])
    }

    @Test(arguments: [
        ("", "ACIdentifier cannot be empty"),
        (",version=1", "ACIdentifier cannot be empty"),
        ("Example.com/x", identifierCharError),
        ("x,imageID=abc", #"invalid imageID "abc": badly formatted hash string"#),
        ("x,imageID=md5-ab", #"invalid imageID "md5-ab": unrecognized hash type: md5"#),
        ("x,imageID=sha512-", #"invalid imageID "sha512-": unexpected empty hash value"#),
        ("x,imageID=sha512-a,imageID=sha512-b", #""imageID" given more than once"#),
        ("x,version", #""version" is not KEY=VALUE"#),
        ("x,", #""" is not KEY=VALUE"#),
        ("x,a=1,a=2", #""a" given more than once"#),
        ("x,name=y", #"invalid label name: "name""#),
        ("x,Os=linux", #"invalid label name "Os": "# + identifierCharError),
        ("x,=1", #"invalid label name "": ACIdentifier cannot be empty"#),
        ("x,os=plan9", #"bad os "plan9" (must be one of: [darwin freebsd linux])"#),
        (
            "x,os=linux,arch=x86_64",
            #"bad arch "x86_64" for linux (must be one of: [amd64 i386 aarch64 aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x])"#
        ),
    ])
    func badDependency(text: String, error: String) {
        #expect(throws: ManifestError("--add-dependency \(goQuote(text)): \(error)")) {
            try ManifestPatch.parseDependency(text)
        }
    }

    // MARK: environment

    @Test func environment() throws {
        let app = withApp(#""environment":[{"name":"PATH","value":"/bin"},{"name":"HOME","value":"/root"}]"#)
        let m = try patched(app) {
            $0.setEnvironment = ["TERM=xterm", "PATH=/usr/bin:/bin", "EMPTY=", "EQ=a=b", "TERM=vt100"]
            $0.unsetEnvironment = ["HOME"]
        }
        #expect(
            m.app?.environment == [
                EnvironmentVariable(unchecked: "PATH", value: "/usr/bin:/bin"),
                EnvironmentVariable(unchecked: "TERM", value: "vt100"),
                EnvironmentVariable(unchecked: "EMPTY", value: ""),
                EnvironmentVariable(unchecked: "EQ", value: "a=b"),
            ])
        // Set, then unset.
        #expect(
            try patched(app) {
                $0.setEnvironment = ["X=1"]
                $0.unsetEnvironment = ["X", "PATH", "HOME"]
            }
            .app?.environment == [])
        // Applied to the app --exec creates.
        #expect(
            try patched(manifest()) {
                $0.exec = "/x"
                $0.setEnvironment = ["A_1.b-c=v"]
            }.app?.environment
                == [EnvironmentVariable(unchecked: "A_1.b-c", value: "v")])

        #expect(patchError(app) { $0.setEnvironment = ["TERM"] } == #"--set-env "TERM": want NAME=VALUE"#)
        #expect(
            patchError(app) { $0.setEnvironment = ["1X=y"] }
                == #"--set-env "1X=y": environment variable does not have valid identifier "1X""#)
        #expect(
            patchError(app) { $0.setEnvironment = ["=y"] }
                == #"--set-env "=y": environment variable name must not be empty"#)
        #expect(
            patchError(app) { $0.unsetEnvironment = ["HOME", "HOME"] }
                == #"--unset-env: no environment variable named "HOME""#)
    }

    // MARK: annotations

    @Test func annotations() throws {
        let json = manifest(#""annotations":[{"name":"authors","value":"a"},{"name":"created","value":"2020-01-01T00:00:00Z"}]"#)
        let m = try patched(json) {
            $0.setAnnotations = [
                "homepage=https://example.com/x?a=b", "created=2024-05-06T07:08:09.5+02:00",
                "appc.io/executor/supports-systemd-notify=true",
            ]
            $0.unsetAnnotations = ["authors"]
        }
        #expect(
            m.annotations == [
                Annotation(name: try ACIdentifier("created"), value: "2024-05-06T07:08:09.5+02:00"),
                Annotation(name: try ACIdentifier("homepage"), value: "https://example.com/x?a=b"),
                Annotation(name: try ACIdentifier("appc.io/executor/supports-systemd-notify"), value: "true"),
            ])
        #expect(
            try patchedJSON(manifest()) { $0.setAnnotations = ["documentation=http://d/<x>"] }
                == head + #","annotations":[{"name":"documentation","value":"http://d/\u003cx\u003e"}]}"#)

        #expect(patchError(json) { $0.setAnnotations = ["authors"] } == #"--set-annotation "authors": want NAME=VALUE"#)
        #expect(
            patchError(json) { $0.setAnnotations = ["Authors=x"] }
                == #"--set-annotation "Authors=x": "# + identifierCharError)
        #expect(
            patchError(json) { $0.setAnnotations = ["created=yesterday"] }
                == #"--set-annotation "created=yesterday": bad Date: parsing time "yesterday" as "#
                + #""2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#)
        #expect(
            patchError(json) { $0.setAnnotations = ["homepage=ftp://x"] }
                == #"--set-annotation "homepage=ftp://x": bad URL scheme, must be http/https"#)
        #expect(
            patchError(json) { $0.setAnnotations = ["documentation=http://a b"] }
                == #"--set-annotation "documentation=http://a b": bad URL: parse "http://a b": invalid character " " in host name"#)
        #expect(
            patchError(json) { $0.unsetAnnotations = ["homepage"] }
                == #"--unset-annotation: no annotation named "homepage""#)
    }

    // MARK: labels

    @Test func labels() throws {
        let json = manifest(#""labels":[{"name":"version","value":"1"},{"name":"os","value":"darwin"},{"name":"arch","value":"x86_64"}]"#)
        let m = try patched(json) {
            $0.setLabels = ["version=2", "os=linux", "arch=aarch64", "channel=beta"]
            $0.unsetLabels = ["channel"]
        }
        #expect(
            m.labels == [
                try Label(name: "version", value: "2"), try Label(name: "os", value: "linux"),
                try Label(name: "arch", value: "aarch64"),
            ])
        // Unsetting arch leaves a valid os alone.
        #expect(try patched(json) { $0.unsetLabels = ["arch", "version"] }.labels == [try Label(name: "os", value: "darwin")])
        #expect(
            try patchedJSON(json) { $0.setLabels = ["os=freebsd", "arch=arm"] }
                == head + #","labels":[{"name":"version","value":"1"},{"name":"os","value":"freebsd"},{"name":"arch","value":"arm"}]}"#)

        #expect(patchError(json) { $0.setLabels = ["version"] } == #"--set-label "version": want NAME=VALUE"#)
        #expect(patchError(json) { $0.setLabels = ["name=x"] } == #"--set-label "name=x": invalid label name: "name""#)
        #expect(patchError(json) { $0.setLabels = ["Version=1"] } == #"--set-label "Version=1": "# + identifierCharError)
        #expect(
            patchError(json) { $0.setLabels = ["os=linux"] }
                == #"--set-label: bad arch "x86_64" for linux (must be one of: "#
                + "[amd64 i386 aarch64 aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x])")
        #expect(
            patchError(json) { $0.setLabels = ["os=plan9"] }
                == #"--set-label: bad os "plan9" (must be one of: [darwin freebsd linux])"#)
        #expect(patchError(json) { $0.unsetLabels = ["name"] } == #"--unset-label: no label named "name""#)
    }

    // MARK: working directory and whitelist

    @Test func workingDirectory() throws {
        #expect(try patched(withApp()) { $0.workingDirectory = "/srv/app" }.app?.workingDirectory == "/srv/app")
        #expect(try patched(withApp(#""workingDirectory":"/old""#)) { $0.workingDirectory = "" }.app?.workingDirectory == "")
        #expect(try patched(withApp(#""workingDirectory":"/old""#)) { _ in }.app?.workingDirectory == "/old")
        #expect(
            try patchedJSON(withApp()) { $0.workingDirectory = "/w" }
                == head + #","app":{"exec":null,"user":"0","group":"0","workingDirectory":"/w"}}"#)
        #expect(
            patchError(withApp()) { $0.workingDirectory = "srv" }
                == #"--working-directory "srv": workingDirectory must be an absolute path"#)
        #expect(patchError(manifest()) { $0.workingDirectory = "/srv" } == noApp)
    }

    @Test func extendWhitelist() throws {
        let json = manifest(#""pathWhitelist":["/bin/sh","/etc/passwd"]"#)
        let m = try patched(json) { $0.extendWhitelist = ["/usr/bin/gdb", "/bin/sh", "/usr/bin/strace", "/usr/bin/gdb"] }
        #expect(m.pathWhitelist == ["/bin/sh", "/etc/passwd", "/usr/bin/gdb", "/usr/bin/strace"])
        // An empty whitelist means "everything": left alone.
        #expect(try patched(manifest()) { $0.extendWhitelist = ["/usr/bin/gdb"] }.pathWhitelist == [])
        #expect(try patchedJSON(manifest(#""pathWhitelist":[]"#)) { $0.extendWhitelist = ["/x"] } == head + "}")
        #expect(
            patchError(json) { $0.extendWhitelist = ["/ok", "usr/bin/gdb"] }
                == #"--extend-whitelist "usr/bin/gdb": path must be absolute"#)
        #expect(patchError(manifest()) { $0.extendWhitelist = [""] } == #"--extend-whitelist "": path must be absolute"#)
    }

    // MARK: end to end

    @Test func everythingAtOnce() throws {
        let input = """
            {"acVersion":"0.8.11","acKind":"ImageManifest","name":"example.com/app",
             "labels":[{"name":"version","value":"1"},{"name":"os","value":"linux"}],
             "app":{"exec":["/old"],"user":"0","group":"0",
                    "environment":[{"name":"PATH","value":"/bin"}],
                    "isolators":[{"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_X"]}},
                                 {"name":"os/linux/seccomp-retain-set","value":{"set":["read"]}}],
                    "userLabels":{"z":"1","a":"2"}},
             "dependencies":[{"imageName":"example.com/base"}],
             "pathWhitelist":["/bin/app"]}
            """
        var patch = ManifestPatch()
        patch.name = "example.com/app-debug"
        patch.exec = "/bin/app --debug"
        patch.user = "1000"
        patch.group = "1000"
        patch.supplementaryGroups = "10,20"
        patch.capability = "CAP_SYS_PTRACE"
        patch.mounts = "data,path=/data"
        patch.ports = "http,protocol=tcp,port=8080"
        patch.seccompMode = "remove,errno=EPERM"
        patch.seccompSet = "reboot"
        patch.isolators = "resource/memory,request=64Mi,limit=128Mi:os/linux/no-new-privileges,true"
        patch.addDependencies = [try ManifestPatch.parseDependency("example.com/tools,imageID=sha512-ab,version=2")]
        patch.setEnvironment = ["DEBUG=1"]
        patch.setAnnotations = ["authors=Me <me@example.com>"]
        patch.setLabels = ["version=1-debug", "arch=amd64"]
        patch.workingDirectory = "/srv"
        patch.extendWhitelist = ["/usr/bin/gdb"]
        var m = try image(input)
        try patch.apply(to: &m)
        let expected =
            #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app-debug","#
            + #""labels":[{"name":"version","value":"1-debug"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"#
            + #""app":{"exec":["/bin/app","--debug"],"user":"1000","group":"1000","supplementaryGIDs":[10,20],"#
            + #""workingDirectory":"/srv","environment":[{"name":"PATH","value":"/bin"},{"name":"DEBUG","value":"1"}],"#
            + #""mountPoints":[{"name":"data","path":"/data"}],"#
            + #""ports":[{"name":"http","protocol":"tcp","port":8080,"count":0,"socketActivated":false}],"#
            + #""isolators":[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_SYS_PTRACE"]}},"#
            + #"{"name":"os/linux/seccomp-remove-set","value":{"set":["reboot"],"errno":"EPERM"}},"#
            + #"{"name":"resource/memory","value":{"limit":"128Mi","request":"64Mi"}},"#
            + #"{"name":"os/linux/no-new-privileges","value":true}],"#
            + #""userLabels":{"a":"2","z":"1"}},"#
            + #""annotations":[{"name":"authors","value":"Me \u003cme@example.com\u003e"}],"#
            + #""dependencies":[{"imageName":"example.com/base"},"#
            + #"{"imageName":"example.com/tools","imageID":"sha512-ab","labels":[{"name":"version","value":"2"}]}],"#
            + #""pathWhitelist":["/bin/app","/usr/bin/gdb"]}"#
        #expect(text(try m.encoded()) == expected)
        // Decoding the result turns the port's count 0 into 1, as Go's Port.UnmarshalJSON does.
        #expect(
            text(try image(expected).encoded())
                == expected.replacingOccurrences(#""count":0"#, #""count":1"#))
    }

    @Test func encoderErrorsAfterPatching() throws {
        // Go's texts for what only the encoder rejects.
        let execOnly = try patched(manifest()) {
            $0.exec = "/x"
            $0.group = "0"
        }
        #expect(encodeError(execOnly) == "json: error calling MarshalJSON for type *types.App: user is required")
        // Caught when parsing already, as in Go's PortFromString.
        #expect(
            patchError(withApp()) { $0.ports = "p,port=65535,count=2" }
                == #"cannot parse port "p,port=65535,count=2": end of port range must be in 1-65535 range"#)
        let twoSeccomp = try patched(withIsolators(#"{"name":"os/linux/seccomp-remove-set","value":{"set":["a"]}}"#)) {
            $0.exec = "/x"
        }
        #expect(encodeError(twoSeccomp) == nil)
        let dupLabels = try patched(manifest()) {
            $0.addDependencies = [
                Dependency(
                    imageName: try! ACIdentifier("example.com/d"),
                    labels: [try! Label(name: "a", value: "1"), try! Label(name: "a", value: "2")])
            ]
        }
        #expect(
            encodeError(dupLabels) == "json: error calling MarshalJSON for type types.Dependency: "
                + #"json: error calling MarshalJSON for type types.Labels: duplicate labels of name "a""#)
    }
}
