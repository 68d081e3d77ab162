@testable import AppcSchema

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// Decodes an image manifest; the Go error text, or nil when valid.
func imageError(_ json: String) -> String? {
    do {
        _ = try ImageManifest.decode(bytes(json))
        return nil
    } catch {
        return error.message
    }
}

func image(_ json: String) throws -> ImageManifest {
    try ImageManifest.decode(bytes(json))
}

/// Decodes a pod manifest; the Go error text, or nil when valid.
func podError(_ json: String) -> String? {
    do {
        _ = try PodManifest.decode(bytes(json))
        return nil
    } catch {
        return error.message
    }
}

/// A minimal valid image manifest with `extra` members appended.
func manifest(_ extra: String = "") -> String {
    #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app""#
        + (extra.isEmpty ? "" : "," + extra) + "}"
}

/// A manifest whose app has user and group, then `members`.
func withApp(_ members: String = "") -> String {
    manifest(#""app":{"user":"0","group":"0""# + (members.isEmpty ? "" : "," + members) + "}")
}

/// A manifest whose app has the given isolators (JSON array body).
func withIsolators(_ isolators: String) -> String {
    withApp(#""isolators":["# + isolators + "]")
}

func encodeError(_ m: ImageManifest) -> String? {
    do {
        _ = try m.encoded()
        return nil
    } catch {
        return error.message
    }
}

let identifierCharError = #"ACIdentifier must contain only lower case alphanumeric characters plus "-._~/""#
let identifierEdgeError = "ACIdentifier must start and end with only lower case alphanumeric characters"
let nameCharError = #"ACName must contain only lower case alphanumeric characters plus "-""#
let nameEdgeError = "ACName must start and end with only lower case alphanumeric characters"
let imageKindError = #"missing or bad ACKind (must be "ImageManifest")"#
