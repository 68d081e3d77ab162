import Testing

@testable import AppcSchema

struct DecodeTests {
    @Test func minimal() throws {
        let m = try image(manifest())
        #expect(m.acKind == .imageManifest)
        #expect(m.name.value == "example.com/app")
        #expect(m.acVersion.description == "0.8.11")
        #expect(m.app == nil)
        #expect(m.labels.isEmpty && m.annotations.isEmpty && m.dependencies.isEmpty && m.pathWhitelist.isEmpty)
    }

    @Test(arguments: [
        (#"{"acVersion":"0.8.11","name":"example.com/app"}"#, imageKindError),
        (#"{"acKind":"PodManifest","acVersion":"0.8.11","name":"example.com/app"}"#, imageKindError),
        (#"{"acKind":"imagemanifest","acVersion":"0.8.11","name":"example.com/app"}"#, "bad ACKind: imagemanifest"),
        (#"{"acKind":"","acVersion":"0.8.11","name":"example.com/app"}"#, "ACKind must be set"),
        (#"{"acKind":"ImageManifest","name":"example.com/app"}"#, "acVersion must be set"),
        (#"{"acKind":"ImageManifest","acVersion":"0.8.11"}"#, "name must be set"),
        (#"{"acKind":"ImageManifest"}"#, "acVersion must be set"),
        (#"{}"#, imageKindError),
        (#"null"#, imageKindError),
        (#"[]"#, "json: cannot unmarshal array into Go value of type schema.imageManifest"),
        (#""x""#, "json: cannot unmarshal string into Go value of type schema.imageManifest"),
        (#"{"name":""}"#, "ACIdentifier cannot be empty"),
    ])
    func requiredFields(_ json: String, _ message: String) {
        #expect(imageError(json) == message)
    }

    @Test func firstInvalidFieldInTheTextWins() {
        #expect(imageError(#"{"name":"Bad","acVersion":"x","acKind":"Nope"}"#) == identifierCharError)
        #expect(imageError(#"{"acVersion":"x","name":"Bad","acKind":"Nope"}"#) == "SemVer is bad")
        #expect(imageError(#"{"acKind":"Nope","acVersion":"x","name":"Bad"}"#) == "bad ACKind: Nope")
        #expect(imageError(#"{"labels":[{"name":"name","value":""}],"acKind":"Nope"}"#) == #"invalid label name: "name""#)
        #expect(imageError(#"{"app":{},"name":"Bad"}"#) == "user is required")
    }

    @Test func typeMismatchesAreRememberedNotFatal() {
        // A mismatch at the top level lets decoding go on: a later validation error wins...
        #expect(imageError(manifest(#""pathWhitelist":[1],"name":"Bad""#)) == identifierCharError)
        // ...otherwise the first mismatch is the result, before the required-field checks.
        #expect(
            imageError(manifest(#""pathWhitelist":[1],"dependencies":{}"#))
                == "json: cannot unmarshal number into Go struct field imageManifest.pathWhitelist of type string")
        #expect(
            imageError(#"{"pathWhitelist":"x"}"#)
                == "json: cannot unmarshal string into Go struct field imageManifest.pathWhitelist of type []string")
        #expect(
            imageError(manifest(#""dependencies":{}"#))
                == "json: cannot unmarshal object into Go struct field imageManifest.dependencies of type types.Dependencies")
        // Inside a custom unmarshaler a mismatch ends that value at once.
        #expect(
            imageError(manifest(#""app":{"user":5,"group":"0","workingDirectory":"rel"}"#))
                == "json: cannot unmarshal number into Go struct field imageManifest.app of type string")
        #expect(
            imageError(manifest(#""name":5"#))
                == "json: cannot unmarshal number into Go struct field imageManifest.name of type string")
        #expect(
            imageError(manifest(#""acKind":true"#))
                == "json: cannot unmarshal bool into Go struct field imageManifest.acKind of type string")
    }

    @Test func caseInsensitiveKeys() throws {
        let m = try image(
            #"""
            {"ACKIND":"ImageManifest","AcVersion":"0.8.11","NAME":"example.com/app",
             "App":{"USER":"1","group":"2","supplementaryGids":[3],"WorkingDirectory":"/w",
                    "mountpoints":[{"NAME":"data","PATH":"/d","readonly":true}]},
             "PATHWHITELIST":["/a"]}
            """#)
        #expect(m.name.value == "example.com/app")
        #expect(m.app?.user == "1")
        #expect(m.app?.supplementaryGIDs == [3])
        #expect(m.app?.workingDirectory == "/w")
        #expect(m.app?.mountPoints == [MountPoint(name: try ACName("data"), path: "/d", readOnly: true)])
        #expect(m.pathWhitelist == ["/a"])
        // Values are case-sensitive.
        #expect(imageError(#"{"acKind":"imageManifest"}"#) == "bad ACKind: imageManifest")
        // Go's folding also maps the Kelvin sign to k and the long s to s.
        let folded = try image(#"{"ac\u212Aind":"ImageManifest","acVer\u017Fion":"0.8.11","name":"example.com/app"}"#)
        #expect(folded.acVersion.description == "0.8.11")
        // Unknown keys are ignored.
        #expect(imageError(manifest(#""whatever":{"deep":[1,2]},"acKinds":5"#)) == nil)
    }

    @Test func duplicateKeys() throws {
        // Every occurrence is decoded and validated; the last valid one stays.
        #expect(try image(manifest(#""name":"example.com/b""#)).name.value == "example.com/b")
        #expect(imageError(manifest(#""name":"Bad","name":"example.com/b""#)) == identifierCharError)
        #expect(try image(manifest(#""Name":"example.com/c""#)).name.value == "example.com/c")
        // Lists are replaced...
        let labels = try image(manifest(#""labels":[{"name":"a","value":"1"}],"labels":[{"name":"b","value":"2"}]"#)).labels
        #expect(labels == [try Label(name: "b", value: "2")])
        // ...but a second app decodes on top of the first.
        let app = try #require(try image(manifest(#""app":{"user":"1","group":"2"},"app":{"exec":["/x"]}"#)).app)
        #expect(app.user == "1" && app.group == "2" && app.exec == ["/x"])
        // Plain structs in lists merge into the previous elements (Go reuses them).
        let mounts = try image(withApp(#""mountPoints":[{"name":"a","path":"/x","readOnly":true}],"mountPoints":[{"name":"b"}]"#)).app?.mountPoints
        #expect(mounts == [MountPoint(name: try ACName("b"), path: "/x", readOnly: true)])
        // Maps merge too.
        let annotations = try image(withApp(#""userAnnotations":{"a":"1"},"userAnnotations":{"b":"2"}"#)).app?.userAnnotations
        #expect(annotations == ["a": "1", "b": "2"])
    }

    @Test func nullHandling() throws {
        // null on a list, the app or a pointer means absent...
        let m = try image(manifest(#""labels":null,"app":null,"annotations":null,"dependencies":null,"pathWhitelist":null"#))
        #expect(m.app == nil && m.labels.isEmpty)
        #expect(try image(manifest(#""app":{"user":"1","group":"1"},"app":null"#)).app == nil)
        let app = try #require(try image(withApp(#""exec":null,"eventHandlers":null,"environment":null,"isolators":null,"user":null"#)).app)
        #expect(app.exec == nil && app.user == "0")
        #expect(try image(manifest(#""dependencies":[{"imageName":"example.com/b","imageID":null}]"#)).dependencies.first?.imageID == nil)
        // ...but Go hands null to the custom unmarshalers of non-pointer fields.
        #expect(imageError(manifest(#""name":null"#)) == "ACIdentifier cannot be empty")
        #expect(imageError(manifest(#""acVersion":null"#)) == "SemVer is bad")
        #expect(imageError(manifest(#""acKind":null"#)) == "ACKind must be set")
        #expect(imageError(withApp(#""ports":[{"name":null,"port":1}]"#)) == "ACName cannot be empty")
        #expect(imageError(manifest(#""labels":[{"name":null,"value":"x"}]"#)) == "ACIdentifier cannot be empty")
        // A null list element is a zero value: a zero label passes decoding...
        let zeroLabel = try image(manifest(#""labels":[null]"#))
        #expect(zeroLabel.labels == [Label(name: .empty, value: "")])
        // ...and fails when encoded, as in Go.
        #expect(
            encodeError(zeroLabel) == "json: error calling MarshalJSON for type types.Labels: "
                + "json: error calling MarshalJSON for type types.ACIdentifier: ACIdentifier cannot be empty")
        #expect(imageError(manifest(#""dependencies":[null]"#)) == "imageName cannot be empty")
        #expect(imageError(withApp(#""eventHandlers":[null]"#)) == #"eventHandler "name" cannot be empty"#)
    }

    @Test func syntaxErrorsAreDecorated() {
        let json = "{\n  \"acKind\": \"ImageManifest\",\n  \"name\": x\n}"
        #expect(
            imageError(json) == "\nError at line 3, column 12\n    2:   \"acKind\": \"ImageManifest\",\n"
                + "    3:   \"name\": x\n" + String(repeating: " ", count: 17)
                + "^\ninvalid character 'x' looking for beginning of value")
        #expect(imageError("")?.hasSuffix("unexpected end of JSON input") == true)
        #expect(imageError("")?.hasPrefix("\nError at line 1, column 0\n") == true)
        // A BOM: the quoted line holds the BOM's first byte alone, kept raw in messageBytes.
        do {
            _ = try ImageManifest.decode([0xEF, 0xBB, 0xBF] + bytes(manifest()))
            Issue.record("a BOM must be a syntax error")
        } catch {
            #expect(error.messageBytes.contains(0xEF))
            #expect(!error.messageBytes.contains(0xBF))
            #expect(error.message.hasSuffix("invalid character 'ï' looking for beginning of value"))
        }
    }

    @Test func appValidation() {
        #expect(imageError(manifest(#""app":{"group":"0"}"#)) == "user is required")
        #expect(imageError(manifest(#""app":{"user":"0"}"#)) == "group is required")
        #expect(imageError(manifest(#""app":{"user":"","group":"0"}"#)) == "user is required")
        #expect(imageError(withApp(#""workingDirectory":"rel""#)) == "workingDirectory must be an absolute path")
        #expect(imageError(withApp(#""workingDirectory":"/abs""#)) == nil)
        #expect(imageError(withApp(#""exec":["relative","args"]"#)) == nil)
        #expect(imageError(withApp(#""exec":[]"#)) == nil)
        #expect(imageError(withApp(#""supplementaryGIDs":[-1,5]"#)) == nil)
        #expect(
            imageError(withApp(#""supplementaryGIDs":[1.5]"#))
                == "json: cannot unmarshal number 1.5 into Go struct field imageManifest.app of type int")
        #expect(
            imageError(withApp(#""supplementaryGIDs":["1"]"#))
                == "json: cannot unmarshal string into Go struct field imageManifest.app of type int")
        // Order inside the app: user, group, workingDirectory, handlers, environment, isolators.
        #expect(imageError(manifest(#""app":{"workingDirectory":"rel","group":"0"}"#)) == "user is required")
        #expect(
            imageError(withApp(#""workingDirectory":"rel","environment":[{"name":"1"}]"#))
                == #"environment variable does not have valid identifier "1""#)
        #expect(
            imageError(withApp(#""workingDirectory":"rel","isolators":[null]"#))
                == "workingDirectory must be an absolute path")
        // Handler names are checked while decoding, before the app as a whole.
        #expect(imageError(manifest(#""app":{"eventHandlers":[{"name":"start"}]}"#)) == #"bad eventHandler "name": "start""#)
    }

    @Test(arguments: [
        (#""eventHandlers":[{"name":"pre-start","exec":["/a"]},{"name":"post-stop"}]"#, nil),
        (#""eventHandlers":[{"name":"pre-start"},{"name":"pre-start"}]"#, #"Only one eventHandler of name "pre-start" allowed"#),
        (#""eventHandlers":[{"exec":["/a"]}]"#, #"eventHandler "name" cannot be empty"#),
        (#""environment":[{"name":"A.b-c_1","value":"x"},{"name":"_","value":""}]"#, nil),
        (#""environment":[{"name":"","value":"x"}]"#, "environment variable name must not be empty"),
        (#""environment":[{"value":"x"}]"#, "environment variable name must not be empty"),
        (#""environment":[{"name":"1A"}]"#, #"environment variable does not have valid identifier "1A""#),
        (#""environment":[{"name":"A B"}]"#, #"environment variable does not have valid identifier "A B""#),
        (#""environment":[{"name":"A"},{"name":"A"}]"#, #"duplicate environment variable of name "A""#),
        (#""mountPoints":[{"name":"data","path":"/d"},{"path":""},{"name":"data","path":"rel"}]"#, nil),
        (#""mountPoints":[{"name":"Data"}]"#, nameCharError),
        (#""ports":[{"name":"http","port":80,"protocol":"tcp"},{"name":"http","port":81,"protocol":""}]"#, nil),
        (#""ports":[{"name":"p","port":0}]"#, "port must be in 1-65535 range"),
        (#""ports":[{"name":"p"}]"#, "port must be in 1-65535 range"),
        (#""ports":[{"name":"p","port":65536}]"#, "port must be in 1-65535 range"),
        (#""ports":[{"name":"p","port":65535,"count":1}]"#, nil),
        (#""ports":[{"name":"p","port":65535,"count":2}]"#, "end of port range must be in 1-65535 range"),
        (#""ports":[{"name":"p","port":1,"count":18446744073709551615}]"#, nil),
        (
            #""ports":[{"name":"p","port":-1}]"#,
            "json: cannot unmarshal number -1 into Go struct field imageManifest.app of type uint"
        ),
        (#""ports":[{"name":"P","port":1}]"#, nameCharError),
        (#""ports":[{"port":1}]"#, nil),
    ])
    func appParts(_ members: String, _ message: String?) {
        #expect(imageError(withApp(members)) == message)
    }

    @Test func portCountDefaultsToOne() throws {
        let ports = try image(withApp(#""ports":[{"name":"a","port":80},{"name":"b","port":81,"count":0},{"name":"c","port":82,"count":3}]"#)).app?.ports
        #expect(ports?.map(\.count) == [1, 1, 3])
    }

    @Test(arguments: [
        (#"[{"imageName":"example.com/base","imageID":"sha512-abc","labels":[{"name":"version","value":"1"}],"size":10}]"#, nil),
        (#"[{"imageName":"example.com/base","imageID":"sha512-zz"}]"#, nil),
        (#"[{"imageID":"sha512-abc"}]"#, "imageName cannot be empty"),
        (#"[{"imageName":"Example.com"}]"#, identifierCharError),
        (#"[{"imageName":"example.com/b","imageID":"sha256-abc"}]"#, "unrecognized hash type: sha256"),
        (#"[{"imageName":"example.com/b","imageID":"sha512"}]"#, "badly formatted hash string"),
        (#"[{"imageName":"example.com/b","imageID":"sha512-"}]"#, "unexpected empty hash value"),
        (
            #"[{"imageName":"example.com/b","size":-1}]"#,
            "json: cannot unmarshal number -1 into Go struct field imageManifest.dependencies of type uint"
        ),
        (
            #"[{"imageName":"example.com/b","labels":[{"name":"a","value":"1"},{"name":"a","value":"2"}]}]"#,
            #"duplicate labels of name "a""#
        ),
        (#"["x"]"#, "json: cannot unmarshal string into Go struct field imageManifest.dependencies of type types.dependency"),
    ])
    func dependencies(_ list: String, _ message: String?) {
        #expect(imageError(manifest(#""dependencies":"# + list)) == message)
    }

    @Test func dependencyFields() throws {
        let deps = try image(
            manifest(#""dependencies":[{"imageName":"example.com/base","imageID":"sha512-abc","labels":[{"name":"version","value":"1"}],"size":10},{"imageName":"example.com/x"}]"#)
        ).dependencies
        #expect(
            deps == [
                Dependency(
                    imageName: try ACIdentifier("example.com/base"), imageID: try ImageHash("sha512-abc"),
                    labels: [try Label(name: "version", value: "1")], size: 10),
                Dependency(imageName: try ACIdentifier("example.com/x")),
            ])
    }

    @Test func pathWhitelistIsNotValidated() throws {
        #expect(try image(manifest(#""pathWhitelist":["relative","","/abs/"]"#)).pathWhitelist == ["relative", "", "/abs/"])
    }
}

struct ManifestKindTests {
    func kind(_ json: String) -> Result<ManifestKind, ManifestError> {
        Result { () throws(ManifestError) in try ManifestKind.decode(bytes(json)) }
    }

    @Test func kinds() throws {
        #expect(try kind(#"{"acKind":"ImageManifest","acVersion":"0.8.11"}"#).get().acKind == .imageManifest)
        #expect(try kind(#"{"acVersion":"0.8.11","acKind":"PodManifest","name":"Bad"}"#).get().acKind == .podManifest)
        #expect(try kind(#"{"acKind":"ImageManifest"}"#).get().acVersion == nil)
        #expect(try kind(#"{}"#).get().acKind == nil)
        #expect(try kind(#"null"#).get().acKind == nil)
        #expect(try kind(#"{"ackind":"ImageManifest"}"#).get().acKind == .imageManifest)
    }

    @Test(arguments: [
        (#"{"acKind":"ImageManifest","acVersion":""}"#, "SemVer is bad"),
        (#"{"acVersion":"0.0.0","acKind":"ImageManifest"}"#, "SemVer cannot be zero"),
        (#"{"acKind":"Foo"}"#, "bad ACKind: Foo"),
        (#"{"acKind":""}"#, "ACKind must be set"),
        (#"{"acKind":null}"#, "ACKind must be set"),
        (#"{"acKind":5}"#, "json: cannot unmarshal number into Go struct field kind.acKind of type string"),
        (#"[]"#, "json: cannot unmarshal array into Go value of type schema.kind"),
        ("{\n  \"acKind\": x", "invalid character 'x' looking for beginning of value"),
        ("", "unexpected end of JSON input"),
    ])
    func errors(_ json: String, _ message: String) {
        #expect(throws: ManifestError(message)) { try ManifestKind.decode(bytes(json)) }
    }
}
