import Testing

@testable import AppcSchema

func pod(_ members: String = "") -> String {
    #"{"acVersion":"0.8.11","acKind":"PodManifest""# + (members.isEmpty ? "" : "," + members) + "}"
}

struct PodManifestTests {
    static let podKindError = #"missing or bad ACKind (must be "PodManifest")"#

    @Test func minimal() throws {
        let pm = try PodManifest.decode(bytes(pod()))
        #expect(pm.acKind == .podManifest)
        #expect(pm.apps == nil && pm.volumes == nil && pm.isolators == nil && pm.annotations == nil && pm.ports == nil)
        #expect(
            text(try pm.encoded()) == #"{"acVersion":"0.8.11","acKind":"PodManifest","apps":null,"volumes":null,"#
                + #""isolators":null,"annotations":null,"ports":null}"#)
        // acVersion is not required for pods (but a zero one cannot be encoded).
        let noVersion = try PodManifest.decode(bytes(#"{"acKind":"PodManifest"}"#))
        #expect(throws: ManifestError("json: error calling MarshalJSON for type types.SemVer: SemVer cannot be zero")) {
            try noVersion.encoded()
        }
    }

    @Test(arguments: [
        (#"{"acVersion":"0.8.11"}"#, podKindError),
        (#"{"acKind":"ImageManifest"}"#, podKindError),
        (#"{"acKind":"PodManifest","acVersion":""}"#, "SemVer is bad"),
        (#"[1]"#, "json: cannot unmarshal array into Go value of type schema.podManifest"),
    ])
    func kinds(_ json: String, _ message: String) {
        #expect(podError(json) == message)
    }

    @Test(arguments: [
        (#""apps":[{"name":"web","image":{"id":"sha512-abc","name":"example.com/web","labels":[{"name":"os","value":"linux"}]}}]"#, nil),
        (#""apps":[]"#, nil),
        (#""apps":[{"name":"web","image":{}}]"#, nil),
        (#""apps":[{"name":"web","image":{"id":"sha512-a"}},{"name":"web","image":{"id":"sha512-b"}}]"#, #"duplicate apps of name "web""#),
        (#""apps":[{"name":"Web","image":{"id":"sha512-a"}}]"#, nameCharError),
        (#""apps":[{"name":"web","image":{"id":"sha1-a"}}]"#, "unrecognized hash type: sha1"),
        (#""apps":[{"name":"web","image":{"id":null}}]"#, "badly formatted hash string"),
        (#""apps":[{"name":"web","image":{"id":"sha512-a","name":"Bad"}}]"#, identifierCharError),
        (#""apps":[{"name":"web","image":{"id":"sha512-a"},"app":{"user":"0"}}]"#, "group is required"),
        (#""apps":[{"name":"web","image":{"id":"sha512-a"},"mounts":[{"volume":"data","path":"/d"},{}]}]"#, nil),
        (#""apps":[{"name":"web","image":{"id":"sha512-a"},"mounts":[{"volume":"Data"}]}]"#, nameCharError),
        (
            #""apps":[{"name":"web","image":{"id":"sha512-a"},"annotations":[{"name":"created","value":"x"}]}]"#,
            #"bad Date: parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006""#
        ),
        (
            #""apps":[{"name":"web","image":{"id":"sha512-a"},"readOnlyRootFS":"yes"}]"#,
            "json: cannot unmarshal string into Go struct field podManifest.apps of type bool"
        ),
        (#""volumes":[{"name":"data","kind":"host","source":"/srv"},{"name":"tmp","kind":"empty"}]"#, nil),
        (#""volumes":[{"name":"data","kind":"host","source":"srv"}]"#, "source for host volume must be absolute path"),
        (#""volumes":[{"name":"data","kind":"host"}]"#, "source for host volume cannot be empty"),
        (#""volumes":[{"name":"data","kind":"host","source":"/s","mode":"0700"}]"#, "mode for host volume cannot be set"),
        (#""volumes":[{"name":"data","kind":"host","source":"/s","uid":1}]"#, "uid for host volume cannot be set"),
        (#""volumes":[{"name":"data","kind":"host","source":"/s","gid":1}]"#, "gid for host volume cannot be set"),
        (#""volumes":[{"name":"data","kind":"empty","source":"/s"}]"#, "source for empty volume must be empty"),
        (#""volumes":[{"name":"data","kind":"tmpfs"}]"#, #"unrecognized volume kind: should be one of "empty", "host""#),
        (#""volumes":[{"kind":"empty"}]"#, "name must be set"),
        (
            #""volumes":[{"name":"data","kind":"empty","uid":"0"}]"#,
            "json: cannot unmarshal string into Go struct field podManifest.volumes of type int"
        ),
        (#""isolators":[{"name":"example.com/x","value":1},{"name":"os/unix/sysctl","value":{}},{"name":"os/unix/sysctl","value":{}}]"#, nil),
        (#""isolators":[{"name":"resource/cpu","value":{"default":true}}]"#, "default must be false"),
        (#""isolators":[{"name":"resource/cpu"}]"#, #"isolator "resource/cpu" has no value"#),
        (#""annotations":[{"name":"a","value":"1"},{"name":"a","value":"2"}]"#, #"duplicate annotations of name "a""#),
        (#""ports":[{"name":"http","hostPort":8080,"hostIP":"127.0.0.1","podPort":{"name":"http","port":80}}]"#, nil),
        (#""ports":[{"name":"http","hostPort":8080,"hostIP":""}]"#, nil),
        (#""ports":[{"name":"http","hostIP":"1.2.3.04"}]"#, "invalid IP address: 1.2.3.04"),
        (#""ports":[{"name":"http","hostIP":5}]"#, "json: cannot unmarshal number into Go struct field ExposedPort.ports.hostIP of type net.IP"),
        (
            #""ports":[{"name":"http","hostPort":-1}]"#,
            "json: cannot unmarshal number -1 into Go struct field ExposedPort.ports.hostPort of type uint"
        ),
        (#""ports":[{"name":"http","podPort":{"name":"http","port":0}}]"#, "port must be in 1-65535 range"),
        (#""userAnnotations":{"a":"1"},"userLabels":{"b":"2"}"#, nil),
    ])
    func podParts(_ members: String, _ message: String?) {
        #expect(podError(pod(members)) == message)
    }

    @Test func emptyVolumeDefaults() throws {
        let pm = try PodManifest.decode(bytes(pod(#""volumes":[{"name":"tmp","kind":"empty"},{"name":"v","kind":"empty","mode":"0700","uid":5,"gid":null,"readOnly":true}]"#)))
        let volumes = try #require(pm.volumes)
        #expect(volumes[0].mode == "0755" && volumes[0].uid == 0 && volumes[0].gid == 0)
        #expect(volumes[1].mode == "0700" && volumes[1].uid == 5 && volumes[1].gid == 0 && volumes[1].readOnly == true)
    }

    @Test func encoding() throws {
        let json = pod(
            #"""
            "apps":[{"name":"web","image":{"id":"sha512-abc","name":"example.com/web"},"app":{"exec":["/w"],"user":"0","group":"0"},
                     "readOnlyRootFS":true,"mounts":[{"volume":"data","path":"/d","appVolume":{"name":"data","kind":"host","source":"/srv"}}]}],
            "volumes":[{"name":"tmp","kind":"empty"}],
            "isolators":[],
            "annotations":[{"name":"a","value":"<b>"}],
            "ports":[{"name":"http","hostPort":8080,"hostIP":"0:0::1","podPort":{"name":"http","port":80}}],
            "userLabels":{"b":"2","a":"1"}
            """#)
        let pm = try PodManifest.decode(bytes(json))
        #expect(
            text(try pm.encoded()) == #"{"acVersion":"0.8.11","acKind":"PodManifest","#
                + #""apps":[{"name":"web","image":{"name":"example.com/web","id":"sha512-abc"},"#
                + #""app":{"exec":["/w"],"user":"0","group":"0"},"readOnlyRootFS":true,"#
                + #""mounts":[{"volume":"data","path":"/d","appVolume":{"name":"data","kind":"host","source":"/srv"}}]}],"#
                + #""volumes":[{"name":"tmp","kind":"empty","mode":"0755","uid":0,"gid":0}],"#
                + #""isolators":[],"annotations":[{"name":"a","value":"\u003cb\u003e"}],"#
                + #""ports":[{"name":"http","hostPort":8080,"hostIP":"::1","podPort":{"name":"http","protocol":"","port":80,"count":1,"socketActivated":false}}],"#
                + #""userLabels":{"a":"1","b":"2"}}"#)
        var broken = pm
        let first = try #require(pm.apps?.first)
        broken.apps?.append(first)
        #expect(throws: ManifestError(#"json: error calling MarshalJSON for type schema.AppList: duplicate apps of name "web""#)) {
            try broken.encoded()
        }
        broken = pm
        broken.apps?[0].image.id = .empty
        #expect(
            throws: ManifestError(
                "json: error calling MarshalJSON for type schema.AppList: "
                    + "json: error calling MarshalJSON for type types.Hash: unexpected empty hash type")
        ) {
            try broken.encoded()
        }
    }

    @Test func builtInCode() throws {
        let pm = PodManifest(
            apps: [RuntimeApp(name: try ACName("web"), image: RuntimeImage(id: try ImageHash("sha512-1")))],
            volumes: [try Volume(name: ACName("tmp"), kind: "empty")])
        #expect(
            text(try pm.encoded()) == #"{"acVersion":"0.8.11+git","acKind":"PodManifest","#
                + #""apps":[{"name":"web","image":{"id":"sha512-1"}}],"#
                + #""volumes":[{"name":"tmp","kind":"empty","mode":"0755","uid":0,"gid":0}],"#
                + #""isolators":[],"annotations":[],"ports":[]}"#)
        #expect(throws: ManifestError("source for host volume cannot be empty")) {
            try Volume(name: ACName("h"), kind: "host")
        }
    }
}

struct NetIPTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("::", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("::1.2.3.4", "::102:304"),
        ("fe80::1:2", "fe80::1:2"),
    ])
    func valid(_ input: String, _ output: String) throws {
        #expect(try NetIP(input).description == output)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1:2", ":::", "1::2::3", "fe80::1%eth0",
        "1.2.3.4:80", "localhost", "12345::",
    ])
    func invalid(_ input: String) {
        #expect(throws: ManifestError("invalid IP address: " + input)) { try NetIP(input) }
    }
}
