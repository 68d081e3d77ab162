import GoCompat
import Testing

@testable import AppcSchema

struct LabelTests {
    static let linuxArches = "[amd64 i386 aarch64 aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x]"

    static var validPairs: [(String, String)] {
        Label.validOSArch.flatMap { entry in entry.arches.map { (entry.os, $0) } }
    }

    @Test(arguments: validPairs)
    func validOSArch(_ os: String, _ arch: String) {
        #expect(imageError(manifest(#""labels":[{"name":"os","value":"\#(os)"},{"name":"arch","value":"\#(arch)"}]"#)) == nil)
    }

    @Test func osArchTableSize() {
        #expect(Self.validPairs.count == 15)
    }

    @Test(arguments: [
        (#"[{"name":"os","value":"plan9"}]"#, #"bad os "plan9" (must be one of: [darwin freebsd linux])"#),
        (#"[{"name":"os","value":"Linux"}]"#, #"bad os "Linux" (must be one of: [darwin freebsd linux])"#),
        (#"[{"name":"os","value":""}]"#, #"bad os "" (must be one of: [darwin freebsd linux])"#),
        (
            #"[{"name":"os","value":"linux"},{"name":"arch","value":"x86_64"}]"#,
            #"bad arch "x86_64" for linux (must be one of: \#(linuxArches))"#
        ),
        (
            #"[{"name":"arch","value":"arm"},{"name":"os","value":"darwin"}]"#,
            #"bad arch "arm" for darwin (must be one of: [x86_64 i386])"#
        ),
        (
            #"[{"name":"os","value":"freebsd"},{"name":"arch","value":"aarch64"}]"#,
            #"bad arch "aarch64" for freebsd (must be one of: [amd64 i386 arm])"#
        ),
        (#"[{"name":"name","value":"x"}]"#, #"invalid label name: "name""#),
        (#"[{"name":"version","value":"1"},{"name":"version","value":"2"}]"#, #"duplicate labels of name "version""#),
        (#"[{"name":"Version","value":"1"}]"#, identifierCharError),
        (
            #"[{"name":"version","value":1}]"#,
            "json: cannot unmarshal number into Go struct field imageManifest.labels of type string"
        ),
        (#"{}"#, "json: cannot unmarshal object into Go struct field imageManifest.labels of type types.labels"),
        (#"[5]"#, "json: cannot unmarshal number into Go struct field imageManifest.labels of type types.Label"),
    ])
    func invalidLabels(_ labels: String, _ message: String) {
        #expect(imageError(manifest(#""labels":"# + labels)) == message)
    }

    @Test func archAloneIsFree() throws {
        let m = try image(manifest(#""labels":[{"name":"arch","value":"anything"},{"name":"version","value":"1.0"}]"#))
        #expect(m.label("arch") == "anything")
        #expect(m.labels.count == 2)
    }

    @Test func validationBeforeOSCheck() {
        // A duplicate is reported before a bad os.
        let labels = #"[{"name":"os","value":"plan9"},{"name":"os","value":"linux"}]"#
        #expect(imageError(manifest(#""labels":"# + labels)) == #"duplicate labels of name "os""#)
    }

    @Test func dependencyLabelsChecked() {
        let dep = #""dependencies":[{"imageName":"example.com/base","labels":[{"name":"os","value":"plan9"}]}]"#
        #expect(imageError(manifest(dep)) == #"bad os "plan9" (must be one of: [darwin freebsd linux])"#)
    }

    @Test(arguments: [
        (#"[{"name":"created","value":"2018-01-24T10:00:00Z"}]"#, nil),
        (#"[{"name":"created","value":"2018-01-24T10:00:00.123456789+01:00"}]"#, nil),
        (#"[{"name":"created","value":"2018-01-24T10:00:00,5-05:30"}]"#, nil),
        (#"[{"name":"created","value":"2016-02-29T23:59:59Z"}]"#, nil),
        (#"[{"name":"authors","value":"anything at all"}]"#, nil),
        (#"[{"name":"homepage","value":"http://example.com/x?y#z"}]"#, nil),
        (#"[{"name":"documentation","value":"HTTPS://Example.com"}]"#, nil),
        (
            #"[{"name":"created","value":"2018-01-24"}]"#,
            #"bad Date: parsing time "2018-01-24" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T""#
        ),
        (
            #"[{"name":"created","value":"2018-01-24 10:00:00Z"}]"#,
            #"bad Date: parsing time "2018-01-24 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T""#
        ),
        (
            #"[{"name":"created","value":"2018-01-24T10:00:00"}]"#,
            #"bad Date: parsing time "2018-01-24T10:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00""#
        ),
        (
            #"[{"name":"created","value":"2018-13-01T00:00:00Z"}]"#,
            #"bad Date: parsing time "2018-13-01T00:00:00Z": month out of range"#
        ),
        (
            #"[{"name":"created","value":"2017-02-29T00:00:00Z"}]"#,
            #"bad Date: parsing time "2017-02-29T00:00:00Z": day out of range"#
        ),
        (
            #"[{"name":"created","value":"2018-01-24T10:00:00Zx"}]"#,
            #"bad Date: parsing time "2018-01-24T10:00:00Zx": extra text: "x""#
        ),
        (#"[{"name":"homepage","value":"ftp://example.com"}]"#, "bad URL scheme, must be http/https"),
        (#"[{"name":"homepage","value":"example.com"}]"#, "bad URL scheme, must be http/https"),
        (
            #"[{"name":"documentation","value":"http://a b"}]"#,
            #"bad URL: parse "http://a b": invalid character " " in host name"#
        ),
        (#"[{"name":"homepage","value":"http://x:y/"}]"#, #"bad URL: parse "http://x:y/": invalid port ":y" after host"#),
        (#"[{"name":"homepage","value":":foo"}]"#, #"bad URL: parse ":foo": missing protocol scheme"#),
        (#"[{"name":"homepage","value":"a","name":"x"}]"#, nil),
        (#"[{"name":"x","value":"1"},{"name":"x","value":"2"}]"#, #"duplicate annotations of name "x""#),
        (#"[{"name":"X","value":"1"}]"#, identifierCharError),
    ])
    func annotations(_ annotations: String, _ message: String?) {
        #expect(imageError(manifest(#""annotations":"# + annotations)) == message)
    }

    @Test func annotationOrderOfChecks() {
        // Duplicates first, then created, homepage, documentation.
        let both = #"[{"name":"homepage","value":"ftp://x"},{"name":"created","value":"nope"}]"#
        #expect(imageError(manifest(#""annotations":"# + both))?.hasPrefix("bad Date:") == true)
    }
}

struct DateAndURLTests {
    @Test(arguments: [
        ("2006-01-02T15:04:05Z", nil),
        ("2006-01-02T15:04:05+07:00", nil),
        ("2006-01-02T5:04:05Z", nil),
        ("2006-01-02T24:00:00Z", #"parsing time "2006-01-02T24:00:00Z": hour out of range"#),
        ("2006-01-02T23:60:00Z", #"parsing time "2006-01-02T23:60:00Z": minute out of range"#),
        ("2006-01-02T23:59:60Z", #"parsing time "2006-01-02T23:59:60Z": second out of range"#),
        ("2006-1-02T15:04:05Z", #"parsing time "2006-1-02T15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "1-02T15:04:05Z" as "01""#),
        ("06-01-02T15:04:05Z", #"parsing time "06-01-02T15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse "06-01-02T15:04:05Z" as "2006""#),
        ("2006-01-02T15:04:05z", #"parsing time "2006-01-02T15:04:05z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00""#),
        ("2006-01-02T15:04:05+0700", #"parsing time "2006-01-02T15:04:05+0700" as "2006-01-02T15:04:05Z07:00": cannot parse "+0700" as "Z07:00""#),
        ("2006-01-00T15:04:05Z", #"parsing time "2006-01-00T15:04:05Z": day out of range"#),
        ("", #"parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006""#),
        ("2006-01-02T15:04:05Zé", #"parsing time "2006-01-02T15:04:05Z\xc3\xa9": extra text: "\xc3\xa9""#),
    ])
    func rfc3339(_ value: String, _ message: String?) {
        #expect(GoTime.rfc3339Error(value) == message)
    }

    @Test(arguments: [
        ("http://example.com", nil),
        ("https://user:pa%20ss@example.com:8080/p%20ath?q=1#frag", nil),
        ("http://[::1]:80/", nil),
        ("http:opaque", nil),
        ("http://a%zz", #"bad URL: parse "http://a%zz": invalid URL escape "%zz""#),
        ("http://a/%4", #"bad URL: parse "http://a/%4": invalid URL escape "%4""#),
        ("http://a/#%zz", #"bad URL: parse "http://a/#%zz": invalid URL escape "%zz""#),
        ("http://[::1", #"bad URL: parse "http://[::1": missing ']' in host"#),
        ("http://a\u{1}", #"bad URL: parse "http://a\x01": net/url: invalid control character in URL"#),
        ("1http://x", #"bad URL: parse "1http://x": first path segment in URL cannot contain colon"#),
        ("http://a{b", #"bad URL: parse "http://a{b": invalid character "{" in host name"#),
        ("http://us^er@a", #"bad URL: parse "http://us^er@a": net/url: invalid userinfo"#),
        ("mailto:x@example.com", "bad URL scheme, must be http/https"),
    ])
    func urls(_ value: String, _ message: String?) {
        #expect(Annotation.urlError(value) == message)
    }
}
