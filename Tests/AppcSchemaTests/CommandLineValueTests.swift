import Testing

@testable import AppcSchema

struct CommandLineValueTests {
    @Test func mounts() throws {
        #expect(
            try MountPoint.parse(commandLine: "work,path=/opt,readOnly=true")
                == MountPoint(name: try ACName("work"), path: "/opt", readOnly: true))
        #expect(try MountPoint.parse(commandLine: "work,path=/a b+c%41").path == "/a b+c%41")
        #expect(throws: ManifestError("unknown mountpoint parameter \"mode\"")) {
            try MountPoint.parse(commandLine: "work,path=/opt,mode=1")
        }
        #expect(throws: ManifestError(#"malformed string "name=work,path" - has a label without a value: path"#)) {
            try MountPoint.parse(commandLine: "work,path")
        }
        #expect(throws: ManifestError("path must be set")) { try MountPoint.parse(commandLine: "work") }
        #expect(throws: ManifestError("ACName cannot be empty")) { try MountPoint.parse(commandLine: ",path=/x") }
        #expect(throws: ManifestError(nameCharError)) { try MountPoint.parse(commandLine: "Work,path=/x") }
        #expect(throws: ManifestError(#"strconv.ParseBool: parsing "yes": invalid syntax"#)) {
            try MountPoint.parse(commandLine: "work,path=/x,readOnly=yes")
        }
        #expect(throws: ManifestError(#"label path with multiple values ["/a" "/b"]"#)) {
            try MountPoint.parse(commandLine: "work,path=/a,path=/b")
        }
        #expect(throws: ManifestError("invalid semicolon separator in query")) {
            try MountPoint.parse(commandLine: "work,pa;th=/a")
        }
    }

    @Test func ports() throws {
        let p = try Port.parse(commandLine: "query,protocol=tcp,port=8080")
        #expect(p == Port(unchecked: try ACName("query"), protocol: "tcp", port: 8080, count: 0, socketActivated: false))
        #expect(try Port.parse(commandLine: "q,port=1,count=2,socketActivated=T").socketActivated)
        #expect(throws: ManifestError("unknown port parameter \"host\"")) { try Port.parse(commandLine: "q,port=1,host=x") }
        #expect(throws: ManifestError(#"label port with multiple values ["1" "2"]"#)) {
            try Port.parse(commandLine: "q,port=1,port=2")
        }
        #expect(throws: ManifestError(#"strconv.ParseUint: parsing "70000": value out of range"#)) {
            try Port.parse(commandLine: "q,port=70000")
        }
        #expect(throws: ManifestError(#"strconv.ParseUint: parsing "-1": invalid syntax"#)) {
            try Port.parse(commandLine: "q,port=-1")
        }
        #expect(throws: ManifestError("port must be in 1-65535 range")) { try Port.parse(commandLine: "q,protocol=udp") }
        #expect(throws: ManifestError("end of port range must be in 1-65535 range")) {
            try Port.parse(commandLine: "q,port=65535,count=2")
        }
    }
}
