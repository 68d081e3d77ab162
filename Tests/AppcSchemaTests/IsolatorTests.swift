import Testing

@testable import AppcSchema

struct IsolatorTests {
    static let formatError =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

    @Test(arguments: [
        // resources
        (#"{"name":"resource/cpu","value":{"request":"250m","limit":"1"}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":2}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":" 100m "}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":"1e3"}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":"1E-3"}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":"+1.5Ki"}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":".5n"}}"#, nil),
        (#"{"name":"resource/cpu","value":{"request":null,"limit":null}}"#, nil),
        (#"{"name":"resource/cpu","value":{"Request":"1","LIMIT":"2u"}}"#, nil),
        (#"{"name":"resource/cpu","value":{}}"#, nil),
        (#"{"name":"resource/cpu","value":{"default":true}}"#, "default must be false"),
        (#"{"name":"resource/memory","value":{"default":true,"limit":"1G"}}"#, "default must be false"),
        (#"{"name":"resource/memory","value":{"limit":"1G","request":"512Mi"}}"#, nil),
        (#"{"name":"resource/cpu","value":{"limit":"abc"}}"#, formatError),
        (#"{"name":"resource/cpu","value":{"limit":"1Z"}}"#, formatError),
        (#"{"name":"resource/cpu","value":{"limit":""}}"#, formatError),
        (#"{"name":"resource/cpu","value":{"limit":true}}"#, formatError),
        (#"{"name":"resource/cpu","value":{"limit":{}}}"#, formatError),
        (#"{"name":"resource/cpu","value":{"limit":"1 k"}}"#, formatError),
        (#"{"name":"resource/cpu","value":{"limit":"1ki"}}"#, "unable to parse quantity's suffix"),
        (#"{"name":"resource/cpu","value":{"limit":"1e"}}"#, "unable to parse quantity's suffix"),
        (#"{"name":"resource/cpu","value":{"limit":"1-3"}}"#, "unable to parse quantity's suffix"),
        (#"{"name":"resource/cpu","value":{"limit":"1.2.3"}}"#, "unable to parse numeric part of quantity"),
        (#"{"name":"resource/cpu","value":{"limit":"."}}"#, "unable to parse numeric part of quantity"),
        (
            #"{"name":"resource/cpu","value":{"default":"false"}}"#,
            "json: cannot unmarshal string into Go struct field imageManifest.app of type bool"
        ),
        (
            #"{"name":"resource/cpu","value":5}"#,
            "json: cannot unmarshal number into Go struct field imageManifest.app of type types.resourceValue"
        ),
        (#"{"name":"resource/block-bandwidth","value":{"default":true,"limit":"10M"}}"#, nil),
        (#"{"name":"resource/block-iops","value":{"limit":"10"}}"#, "default must be true"),
        (
            #"{"name":"resource/network-bandwidth","value":{"default":true,"request":"1","limit":"2"}}"#,
            "request not supported by this resource, must be empty"
        ),
        // capabilities
        (#"{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_NET_ADMIN","whatever"]}}"#, nil),
        (#"{"name":"os/linux/capabilities-remove-set","value":{"set":[]}}"#, "set must be non-empty"),
        (#"{"name":"os/linux/capabilities-remove-set","value":{}}"#, "set must be non-empty"),
        (
            #"{"name":"os/linux/capabilities-retain-set","value":{"set":"CAP_X"}}"#,
            "json: cannot unmarshal string into Go struct field imageManifest.app of type []types.LinuxCapability"
        ),
        // seccomp
        (#"{"name":"os/linux/seccomp-remove-set","value":{"set":["@appc.io/empty"],"errno":"EACCES"}}"#, nil),
        (#"{"name":"os/linux/seccomp-retain-set","value":{"set":["@appc.io/all"]}}"#, nil),
        (
            #"{"name":"os/linux/seccomp-retain-set","value":{"set":["chmod"],"errno":"eperm"}}"#,
            "errno must be an upper case string"
        ),
        (
            #"{"name":"os/linux/seccomp-retain-set","value":{"set":["chmod"],"errno":"E2BIG"}}"#,
            "errno must be an upper case string"
        ),
        (#"{"name":"os/linux/seccomp-remove-set","value":{"errno":"EPERM"}}"#, "set must be non-empty"),
        // scalars
        (#"{"name":"os/linux/no-new-privileges","value":true}"#, nil),
        (
            #"{"name":"os/linux/no-new-privileges","value":"true"}"#,
            "json: cannot unmarshal string into Go struct field imageManifest.app of type bool"
        ),
        (#"{"name":"os/linux/oom-score-adj","value":-1000}"#, nil),
        (
            #"{"name":"os/linux/oom-score-adj","value":1001}"#,
            "os/linux/oom-score-adj must be between -1000 and 1000, got 1001"
        ),
        (
            #"{"name":"os/linux/oom-score-adj","value":1.5}"#,
            "json: cannot unmarshal number 1.5 into Go struct field imageManifest.app of type int"
        ),
        (#"{"name":"os/linux/cpu-shares","value":2}"#, nil),
        (
            #"{"name":"os/linux/cpu-shares","value":262145}"#,
            "os/linux/cpu-shares must be between 2 and 262144, got 262145"
        ),
        (#"{"name":"os/linux/cpu-shares","value":1}"#, "os/linux/cpu-shares must be between 2 and 262144, got 1"),
        // selinux, apparmor, sysctl
        (#"{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s0:c0"}}"#, nil),
        (#"{"name":"os/linux/selinux-context","value":{"role":"r","type":"t","level":"s0"}}"#, #"invalid user value """#),
        (
            #"{"name":"os/linux/selinux-context","value":{"user":"u","role":"a:b","type":"t","level":"s0"}}"#,
            #"invalid role value "a:b""#
        ),
        (
            #"{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t:x","level":"s0"}}"#,
            #"invalid type value "t:x""#
        ),
        (#"{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t"}}"#, #"invalid level value """#),
        (#"{"name":"os/linux/apparmor-profile","value":{"profile":"unconfined"}}"#, nil),
        (#"{"name":"os/linux/apparmor-profile","value":{}}"#, "apparmor profile must not be empty"),
        (#"{"name":"os/unix/sysctl","value":{"net.ipv4.tcp_mtu_probing":"1"}}"#, nil),
        (
            #"{"name":"os/unix/sysctl","value":{"net.ipv4.tcp_rfc1337":1}}"#,
            "json: cannot unmarshal number into Go struct field imageManifest.app of type string"
        ),
        // names
        (#"{"name":"example.com/custom","value":{}}"#, "invalid isolator"),
        (#"{"name":"resource/CPU","value":{}}"#, identifierCharError),
        (#"null"#, "invalid isolator"),
        (#"{"name":"resource/cpu"}"#, #"isolator "resource/cpu" has no value"#),
        (#"{"name":"os/linux/no-new-privileges","value":null}"#, #"isolator "os/linux/no-new-privileges" has no value"#),
        (#"5"#, "json: cannot unmarshal number into Go struct field imageManifest.app of type types.isolator"),
    ])
    func singleIsolator(_ isolator: String, _ message: String?) {
        #expect(imageError(withIsolators(isolator)) == message)
    }

    @Test(arguments: [
        (#"{"name":"resource/cpu","value":{}},{"name":"resource/cpu","value":{}}"#, nil),
        (#"{"name":"os/linux/capabilities-retain-set","value":{"set":["A"]}},{"name":"os/linux/capabilities-remove-set","value":{"set":["B"]}}"#, nil),
        (#"{"name":"os/linux/capabilities-retain-set","value":{"set":["A"]}},{"name":"os/linux/capabilities-retain-set","value":{"set":["B"]}}"#, nil),
        (#"{"name":"os/linux/no-new-privileges","value":true},{"name":"os/linux/no-new-privileges","value":false}"#, nil),
        (
            #"{"name":"os/linux/seccomp-remove-set","value":{"set":["a"]}},{"name":"os/linux/seccomp-remove-set","value":{"set":["b"]}}"#,
            #"isolators set contains too many instances of type os/linux/seccomp-remove-set""#
        ),
        (
            #"{"name":"os/linux/seccomp-remove-set","value":{"set":["a"]}},{"name":"os/linux/seccomp-retain-set","value":{"set":["b"]}}"#,
            "isolators set contains incompatible types"
        ),
        (
            #"{"name":"os/linux/seccomp-retain-set","value":{"set":["a"]}},{"name":"os/linux/seccomp-remove-set","value":{"set":["b"]}}"#,
            "isolators set contains incompatible types"
        ),
        (
            #"{"name":"os/linux/cpu-shares","value":2},{"name":"os/linux/cpu-shares","value":3}"#,
            #"isolators set contains too many instances of type os/linux/cpu-shares""#
        ),
        (
            #"{"name":"os/linux/oom-score-adj","value":2},{"name":"os/linux/oom-score-adj","value":3}"#,
            #"isolators set contains too many instances of type os/linux/oom-score-adj""#
        ),
        (
            #"{"name":"os/unix/sysctl","value":{}},{"name":"os/unix/sysctl","value":{}}"#,
            #"isolators set contains too many instances of type os/unix/sysctl""#
        ),
        (
            #"{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s"}},{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s"}}"#,
            #"isolators set contains too many instances of type os/linux/selinux-context""#
        ),
        (
            #"{"name":"os/linux/apparmor-profile","value":{"profile":"a"}},{"name":"os/linux/apparmor-profile","value":{"profile":"b"}}"#,
            #"isolators set contains too many instances of type os/linux/apparmor-profile""#
        ),
        // Unknown before a conflict: the first invalid one is reported.
        (
            #"{"name":"example.com/x","value":1},{"name":"os/linux/cpu-shares","value":1}"#,
            "os/linux/cpu-shares must be between 2 and 262144, got 1"
        ),
        (#"{"name":"example.com/x","value":1},{"name":"os/linux/cpu-shares","value":2}"#, "invalid isolator"),
    ])
    func isolatorSets(_ isolators: String, _ message: String?) {
        #expect(imageError(withIsolators(isolators)) == message)
    }

    @Test func rawValuePreserved() throws {
        let value = #"{ "limit" : 2.50e0, "request": "250m", "extra":[1, 2, {"a" : null}], "x":"<&>\u0041" }"#
        let m = try image(withIsolators(#"{"name":"resource/cpu","value":"# + value + "}"))
        let isolator = try #require(m.app?.isolators.first)
        #expect(isolator.rawValue.map(text) == value)
        #expect(
            isolator.value
                == .cpu(
                    ResourceLimits(
                        isDefault: false, request: try ResourceQuantity("250m"),
                        limit: try ResourceQuantity("2.50e0"))))
        let out = text(try m.encoded())
        #expect(out.contains(#"{"name":"resource/cpu","value":{"limit":2.50e0,"request":"250m","extra":[1,2,{"a":null}],"x":"\u003c\u0026\u003e\u0041"}}"#))
    }

    @Test func unknownIsolatorKeptRawInPods() throws {
        let pod = #"{"acKind":"PodManifest","acVersion":"0.8.11","isolators":[{"name":"example.com/x","value":[ 1,2 ]},{"name":"example.com/y"}]}"#
        let pm = try PodManifest.decode(bytes(pod))
        #expect(pm.isolators?.count == 2)
        #expect(pm.isolators?.first?.value == nil)
        #expect(text(try pm.encoded()).contains(#""isolators":[{"name":"example.com/x","value":[1,2]},{"name":"example.com/y","value":null}]"#))
    }

    @Test func parsedValues() throws {
        let list = """
            {"name":"os/linux/seccomp-remove-set","value":{"set":["a","b"],"errno":"EPERM"}},
            {"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_KILL"]}},
            {"name":"os/linux/oom-score-adj","value":-5},
            {"name":"os/unix/sysctl","value":{"k":"v"}},
            {"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s0"}}
            """
        let isolators = try #require(try image(withIsolators(list)).app?.isolators)
        #expect(
            isolators.map(\.value) == [
                .seccompRemoveSet(SeccompSet(set: ["a", "b"], errno: "EPERM")),
                .capabilitiesRetainSet(["CAP_KILL"]),
                .oomScoreAdj(-5),
                .sysctl(["k": "v"]),
                .selinuxContext(SELinuxContext(user: "u", role: "r", type: "t", level: "s0")),
            ])
    }

    @Test func constructors() throws {
        let caps = try Isolator(
            name: ACIdentifier(IsolatorName.capabilitiesRetainSet),
            value: .capabilitiesRetainSet(["CAP_A", "CAP_B"]))
        #expect(caps.rawValue.map(text) == #"{"set":["CAP_A","CAP_B"]}"#)
        let seccomp = try Isolator(
            name: ACIdentifier(IsolatorName.seccompRetainSet),
            value: .seccompRetainSet(SeccompSet(set: ["read"])))
        #expect(seccomp.rawValue.map(text) == #"{"set":["read"],"errno":""}"#)
        #expect(throws: ManifestError("set must be non-empty")) {
            try Isolator(name: ACIdentifier(IsolatorName.capabilitiesRemoveSet), value: .capabilitiesRemoveSet([]))
        }
        let raw = try Isolator(name: ACIdentifier("resource/memory"), rawValue: bytes(#"{"limit": "1G"}"#))
        #expect(raw.value == .memory(ResourceLimits(limit: try ResourceQuantity("1G"))))
        #expect(throws: ManifestError(#"isolator "resource/memory" has no value"#)) {
            try Isolator(name: ACIdentifier("resource/memory"), rawValue: nil)
        }
        let unknown = try Isolator(name: ACIdentifier("example.com/x"), rawValue: nil)
        #expect(unknown.value == nil)
    }

    @Test func decodeLikePatchManifest() throws {
        let isolator = try Isolator.decode(
            bytes(
                """

                    {
                        "name": "resource/cpu",
                        "value": { "request": "50m", "limit": "100m" }
                    }
                """))
        #expect(isolator.name.value == "resource/cpu")
        #expect(isolator.rawValue.map(text) == #"{ "request": "50m", "limit": "100m" }"#)
        #expect(throws: ManifestError("default must be false")) {
            try Isolator.decode(bytes(#"{"name":"resource/cpu","value":{"default":true}}"#))
        }
        // Values built from strings: "true" is not a bool.
        #expect(throws: ManifestError("json: cannot unmarshal string into Go struct field resourceValue.default of type bool")) {
            try Isolator.decode(bytes(#"{"name":"resource/block-iops","value":{"default":"true"}}"#))
        }
        #expect(throws: ManifestError("invalid character '}' looking for beginning of value")) {
            try Isolator.decode(bytes(#"{"name":"resource/cpu","value":}"#))
        }
    }

    @Test func hostileExponents() throws {
        #expect(try ResourceQuantity("1e9223372036854775807").scaled(0) == Int64.max)
        #expect(try ResourceQuantity("-1e9223372036854775807").scaled(3) == -Int64.max)
        #expect(try ResourceQuantity("1.5e-9223372036854775808").scaled(0) == 1)
        #expect(try ResourceQuantity("0e9223372036854775807").scaled(3) == 0)
        #expect(try ResourceQuantity("123456789012345678901234567890").scaled(0) == Int64.max)
        #expect(throws: ManifestError("unable to parse quantity's suffix")) { try ResourceQuantity("1e99999999999999999999") }
        #expect(imageError(withIsolators(#"{"name":"resource/memory","value":{"limit":"1e-9223372036854775808"}}"#)) == nil)
    }

    @Test(arguments: [
        ("1", 1, 1000),
        ("250m", 1, 250),
        ("1.5", 2, 1500),
        ("1Ki", 1024, 1_024_000),
        ("1Mi", 1_048_576, 1_048_576_000),
        ("1G", 1_000_000_000, 1_000_000_000_000),
        ("1e3", 1000, 1_000_000),
        ("-1.5", -2, -1500),
        ("0.1m", 1, 1),
        ("0", 0, 0),
    ])
    func quantityValues(_ text: String, _ value: Int64, _ milli: Int64) throws {
        let q = try ResourceQuantity(text)
        #expect(q.scaled(0) == value)
        #expect(q.scaled(3) == milli)
    }
}
