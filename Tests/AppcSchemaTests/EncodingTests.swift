import Testing

@testable import AppcSchema

struct EncodingTests {
    static let rich = #"""
        {
          "name": "example.com/app",
          "acVersion": "0.8.011-rc.1+build.5",
          "acKind": "ImageManifest",
          "pathWhitelist": ["/bin/sh", "/etc/<x>"],
          "dependencies": [
            {"size": 1024, "labels": [{"value": "1.0", "name": "version"}], "imageID": "sha512-abc", "imageName": "example.com/base"},
            {"imageName": "example.com/tools", "size": 0}
          ],
          "annotations": [{"name": "created", "value": "2018-01-24T10:00:00Z"},
                          {"name": "homepage", "value": "https://example.com/a?b=1&c=2"}],
          "app": {
            "userLabels": {"z": "1", "B": "2", "a": "3"},
            "userAnnotations": {"k": "v"},
            "isolators": [{"value": {"set": ["CAP_NET_BIND_SERVICE"]}, "name": "os/linux/capabilities-retain-set"},
                          {"name": "resource/memory", "value": {"limit":  "1Gi" , "x": 2.50e0}}],
            "ports": [{"socketActivated": true, "count": 0, "port": 8080, "protocol": "tcp", "name": "http"}],
            "mountPoints": [{"readOnly": false, "path": "/data", "name": "data"}, {"name": "cfg", "path": "/etc/cfg", "readOnly": true}],
            "environment": [{"value": "/usr/bin:/bin", "name": "PATH"}],
            "workingDirectory": "/srv",
            "supplementaryGIDs": [10, -1],
            "group": "0",
            "user": "1000",
            "eventHandlers": [{"exec": ["/bin/prep", "--go"], "name": "pre-start"}, {"name": "post-stop"}],
            "exec": ["/bin/app", "--flag=<v>", "tab\there", "é", "\u2028"]
          },
          "labels": [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}]
        }
        """#

    static let richCompact =
        #"{"acKind":"ImageManifest","acVersion":"0.8.11-rc.1+build.5","name":"example.com/app","#
        + #""labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"#
        + #""app":{"exec":["/bin/app","--flag=\u003cv\u003e","tab\there","é","\u2028"],"#
        + #""eventHandlers":[{"name":"pre-start","exec":["/bin/prep","--go"]},{"name":"post-stop","exec":null}],"#
        + #""user":"1000","group":"0","supplementaryGIDs":[10,-1],"workingDirectory":"/srv","#
        + #""environment":[{"name":"PATH","value":"/usr/bin:/bin"}],"#
        + #""mountPoints":[{"name":"data","path":"/data"},{"name":"cfg","path":"/etc/cfg","readOnly":true}],"#
        + #""ports":[{"name":"http","protocol":"tcp","port":8080,"count":1,"socketActivated":true}],"#
        + #""isolators":[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_NET_BIND_SERVICE"]}},"#
        + #"{"name":"resource/memory","value":{"limit":"1Gi","x":2.50e0}}],"#
        + #""userAnnotations":{"k":"v"},"userLabels":{"B":"2","a":"3","z":"1"}},"#
        + #""annotations":[{"name":"created","value":"2018-01-24T10:00:00Z"},{"name":"homepage","value":"https://example.com/a?b=1\u0026c=2"}],"#
        + #""dependencies":[{"imageName":"example.com/base","imageID":"sha512-abc","labels":[{"name":"version","value":"1.0"}],"size":1024},"#
        + #"{"imageName":"example.com/tools"}],"#
        + #""pathWhitelist":["/bin/sh","/etc/\u003cx\u003e"]}"#

    @Test func richManifestCompact() throws {
        let m = try image(Self.rich)
        #expect(text(try m.encoded()) == Self.richCompact)
        // Canonical output decodes to the same manifest (raw isolator texts aside)
        // and re-encodes identically.
        let again = try image(Self.richCompact)
        #expect(again.app?.isolators.map(\.value) == m.app?.isolators.map(\.value))
        var stripped = again
        stripped.app?.isolators = m.app?.isolators ?? []
        #expect(stripped == m)
        #expect(text(try again.encoded()) == Self.richCompact)
    }

    @Test func prettyEncoding() throws {
        let m = try image(
            #"""
            {"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app",
             "labels":[{"name":"os","value":"linux"}],
             "app":{"exec":[],"eventHandlers":[{"name":"post-stop"}],"user":"0","group":"0",
                    "isolators":[{"name":"os/linux/no-new-privileges","value":true},
                                 {"name":"resource/cpu","value":{"limit":"1","x":[]}}],
                    "userLabels":{"b":"2","a":"1"}},
             "dependencies":[{"imageName":"example.com/base","size":5}]}
            """#)
        let expected = """
            {
                "acKind": "ImageManifest",
                "acVersion": "0.8.11",
                "name": "example.com/app",
                "labels": [
                    {
                        "name": "os",
                        "value": "linux"
                    }
                ],
                "app": {
                    "exec": [],
                    "eventHandlers": [
                        {
                            "name": "post-stop",
                            "exec": null
                        }
                    ],
                    "user": "0",
                    "group": "0",
                    "isolators": [
                        {
                            "name": "os/linux/no-new-privileges",
                            "value": true
                        },
                        {
                            "name": "resource/cpu",
                            "value": {
                                "limit": "1",
                                "x": []
                            }
                        }
                    ],
                    "userLabels": {
                        "a": "1",
                        "b": "2"
                    }
                },
                "dependencies": [
                    {
                        "imageName": "example.com/base",
                        "size": 5
                    }
                ]
            }
            """
        #expect(text(try m.prettyEncoded()) == expected)
    }

    @Test func execIsAlwaysPresent() throws {
        #expect(text(try image(withApp()).encoded()).contains(#""app":{"exec":null,"user":"0","group":"0"}"#))
        #expect(text(try image(withApp(#""exec":[]"#)).encoded()).contains(#""app":{"exec":[],"user":"0","group":"0"}"#))
        // An empty list elsewhere is left out like an absent one.
        #expect(
            text(try image(manifest(#""labels":[],"pathWhitelist":[],"dependencies":[]"#)).encoded())
                == #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app"}"#)
    }

    @Test func mapKeysSortedByBytes() throws {
        let m = try image(withApp(#""userAnnotations":{"é":"1","z":"2","Z":"3","a":"4","aa":"5"}"#))
        #expect(text(try m.encoded()).contains(#""userAnnotations":{"Z":"3","a":"4","aa":"5","z":"2","é":"1"}"#))
    }

    @Test func encodingValidatesLikeMarshalJSON() throws {
        let base = try image(withApp())
        var m = base
        m.acVersion = .zero
        #expect(encodeError(m) == "acVersion must be set")
        #expect(throws: ManifestError("json: error calling MarshalJSON for type *schema.ImageManifest: acVersion must be set")) {
            try m.prettyEncoded()
        }
        m = base
        m.name = .empty
        #expect(encodeError(m) == "name must be set")
        m = base
        m.acKind = .podManifest
        #expect(encodeError(m) == imageKindError)

        // patch-manifest --exec on a manifest without an app.
        m = try image(manifest())
        m.app = App(exec: "/bin/sh -c  x".split(separator: " ", omittingEmptySubsequences: false).map(String.init))
        #expect(encodeError(m) == "json: error calling MarshalJSON for type *types.App: user is required")
        m.app?.user = "0"
        #expect(encodeError(m) == "json: error calling MarshalJSON for type *types.App: group is required")
        m.app?.group = "0"
        #expect(text(try m.encoded()).hasSuffix(#""app":{"exec":["/bin/sh","-c","","x"],"user":"0","group":"0"}}"#))

        m = base
        m.labels = [try Label(name: "a", value: "1"), try Label(name: "a", value: "2")]
        #expect(encodeError(m) == #"json: error calling MarshalJSON for type types.Labels: duplicate labels of name "a""#)
        m = base
        m.annotations = [try Annotation(name: "created", value: "yesterday")]
        #expect(
            encodeError(m) == "json: error calling MarshalJSON for type types.Annotations: bad Date: parsing time "
                + #""yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#)
        m = base
        m.dependencies = [Dependency(imageName: .empty)]
        #expect(encodeError(m) == "json: error calling MarshalJSON for type types.Dependency: imageName cannot be empty")
        m = base
        m.app?.mountPoints = [MountPoint(name: .empty, path: "/x")]
        #expect(
            encodeError(m) == "json: error calling MarshalJSON for type *types.App: "
                + "json: error calling MarshalJSON for type types.ACName: ACName cannot be empty")
        m = base
        m.app?.ports = [Port(unchecked: try ACName("p"), protocol: "tcp", port: 0, count: 1, socketActivated: false)]
        #expect(
            encodeError(m) == "json: error calling MarshalJSON for type *types.App: "
                + "json: error calling MarshalJSON for type types.Port: port must be in 1-65535 range")
        m = base
        m.app?.eventHandlers = [EventHandler(unchecked: "start", exec: nil)]
        #expect(
            encodeError(m) == "json: error calling MarshalJSON for type *types.App: "
                + #"json: error calling MarshalJSON for type types.EventHandler: bad eventHandler "name": "start""#)
        m = base
        m.app?.environment = [EnvironmentVariable(unchecked: "1", value: "")]
        #expect(
            encodeError(m) == "json: error calling MarshalJSON for type *types.App: "
                + #"environment variable does not have valid identifier "1""#)
        m = base
        m.app?.isolators = [try Isolator(name: ACIdentifier("example.com/x"), rawValue: nil)]
        #expect(encodeError(m) == "json: error calling MarshalJSON for type *types.App: invalid isolator")
    }

    @Test func patchedValues() throws {
        var m = try image(withApp())
        m.name = try ACIdentifier("example.com/patched")
        m.app?.ports.append(try Port(name: ACName("q"), protocol: "tcp", port: 8080, count: 0))
        m.app?.mountPoints.append(MountPoint(name: try ACName("work"), path: "/opt", readOnly: true))
        m.app?.supplementaryGIDs = [1, 2]
        m.app?.environment.append(try EnvironmentVariable(name: "K", value: "v"))
        m.app?.isolators.append(
            try Isolator(
                name: ACIdentifier(IsolatorName.seccompRemoveSet),
                value: .seccompRemoveSet(SeccompSet(set: ["chmod"], errno: "EPERM"))))
        m.dependencies.append(Dependency(imageName: try ACIdentifier("example.com/tools"), imageID: try ImageHash("sha512-ff")))
        #expect(
            text(try m.encoded()) == #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/patched","#
                + #""app":{"exec":null,"user":"0","group":"0","supplementaryGIDs":[1,2],"environment":[{"name":"K","value":"v"}],"#
                + #""mountPoints":[{"name":"work","path":"/opt","readOnly":true}],"#
                + #""ports":[{"name":"q","protocol":"tcp","port":8080,"count":0,"socketActivated":false}],"#
                + #""isolators":[{"name":"os/linux/seccomp-remove-set","value":{"set":["chmod"],"errno":"EPERM"}}]},"#
                + #""dependencies":[{"imageName":"example.com/tools","imageID":"sha512-ff"}]}"#)
    }

    @Test func newManifest() throws {
        let m = ImageManifest(
            name: try ACIdentifier("example.com/new"),
            labels: [try Label(name: "os", value: "linux")],
            app: App(exec: ["/bin/true"], user: "0", group: "0"))
        #expect(
            text(try m.encoded()) == #"{"acKind":"ImageManifest","acVersion":"0.8.11+git","name":"example.com/new","#
                + #""labels":[{"name":"os","value":"linux"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}"#)
    }
}
