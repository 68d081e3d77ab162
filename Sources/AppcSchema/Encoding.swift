import GoJSON

// Canonical encoding (appc-spec.md §6): Go struct key order, `omitempty`
// fields left out when empty, maps with sorted keys, and every nested
// `MarshalJSON` re-validating its value. An error from a nested marshaler is
// wrapped as Go's `*json.MarshalerError`:
// `json: error calling MarshalJSON for type T: MESSAGE`.

struct EncodeFailure: Error {
    let message: String
}

/// A nested `MarshalJSON` of Go type `type`: its errors get wrapped.
func marshaler(_ type: String, _ body: () throws -> JSONValue) throws -> JSONValue {
    do {
        return try body()
    } catch let failure as EncodeFailure {
        throw EncodeFailure(message: "json: error calling MarshalJSON for type \(type): \(failure.message)")
    }
}

/// Fails with a bare message (an `assertValid` inside a `MarshalJSON`).
func check(_ error: String?) throws {
    if let error { throw EncodeFailure(message: error) }
}

/// Builds an object, leaving out the `omitempty` members given as nil.
func jsonObject(_ members: [(String, JSONValue?)]) -> JSONValue {
    .object(members.compactMap { key, value in value.map { JSONMember(key: key, value: $0) } })
}

func stringMap(_ map: [String: String]) -> JSONValue {
    .object(map.keys.sorted(by: GoText.byteLess).map { JSONMember(key: $0, value: .string(map[$0] ?? "")) })
}

func jsonStrings(_ list: [String]?) -> JSONValue {
    list.map { .array($0.map { .string($0) }) } ?? .null
}

extension ACIdentifier {
    func marshal() throws -> JSONValue {
        try marshaler("types.ACIdentifier") {
            try check(ACIdentifier.validationError(value))
            return .string(value)
        }
    }
}

extension ACName {
    func marshal() throws -> JSONValue {
        try marshaler("types.ACName") {
            try check(ACName.validationError(value))
            return .string(value)
        }
    }
}

extension SemVer {
    func marshal() throws -> JSONValue {
        try marshaler("types.SemVer") {
            try check(isEmpty ? "SemVer cannot be zero" : nil)
            return .string(description)
        }
    }
}

extension ImageHash {
    func marshal(_ type: String) throws -> JSONValue {
        try marshaler(type) {
            try check(validationError)
            return .string(description)
        }
    }
}

extension Label {
    static func marshalList(_ labels: [Label]) throws -> JSONValue {
        try marshaler("types.Labels") {
            try check(validationError(labels))
            return .array(
                try labels.map { label in
                    jsonObject([("name", try label.name.marshal()), ("value", .string(label.value))])
                })
        }
    }
}

extension Annotation {
    static func marshalList(_ annotations: [Annotation]) throws -> JSONValue {
        try marshaler("types.Annotations") {
            try check(validationError(annotations))
            return .array(
                try annotations.map { a in
                    jsonObject([("name", try a.name.marshal()), ("value", .string(a.value))])
                })
        }
    }
}

extension Isolator {
    /// `{"name": NAME, "value": VALUE}`, as a manifest writes it.
    public var manifestJSON: JSONValue { (try? marshal()) ?? .null }

    func marshal() throws -> JSONValue {
        jsonObject([("name", try name.marshal()), ("value", rawValue.map { .raw($0) } ?? .null)])
    }
}

extension Port {
    func marshal(_ type: String = "types.Port") throws -> JSONValue {
        try marshaler(type) {
            try check(validationError)
            return jsonObject([
                ("name", try name.marshal()),
                ("protocol", .string(self.protocol)),
                ("port", .number(String(port))),
                ("count", .number(String(count))),
                ("socketActivated", .bool(socketActivated)),
            ])
        }
    }
}

extension MountPoint {
    func marshal() throws -> JSONValue {
        jsonObject([
            ("name", try name.marshal()),
            ("path", .string(path)),
            ("readOnly", readOnly ? .bool(true) : nil),
        ])
    }
}

extension App {
    /// Go's `App.MarshalJSON` body (the caller wraps it as `*types.App`).
    func marshalBody() throws -> JSONValue {
        try check(validationError)
        return jsonObject([
            ("exec", try marshaler("types.Exec") { jsonStrings(exec) }),
            (
                "eventHandlers",
                eventHandlers.isEmpty
                    ? nil
                    : .array(
                        try eventHandlers.map { handler in
                            try marshaler("types.EventHandler") {
                                try check(EventHandler.nameError(handler.name))
                                return jsonObject([
                                    ("name", .string(handler.name)),
                                    ("exec", try marshaler("types.Exec") { jsonStrings(handler.exec) }),
                                ])
                            }
                        })
            ),
            ("user", .string(user)),
            ("group", .string(group)),
            ("supplementaryGIDs", supplementaryGIDs.isEmpty ? nil : .array(supplementaryGIDs.map { .number(String($0)) })),
            ("workingDirectory", workingDirectory.isEmpty ? nil : .string(workingDirectory)),
            (
                "environment",
                environment.isEmpty
                    ? nil
                    : try marshaler("types.Environment") {
                        try check(EnvironmentVariable.validationError(environment))
                        return .array(environment.map { jsonObject([("name", .string($0.name)), ("value", .string($0.value))]) })
                    }
            ),
            ("mountPoints", mountPoints.isEmpty ? nil : .array(try mountPoints.map { try $0.marshal() })),
            ("ports", ports.isEmpty ? nil : .array(try ports.map { try $0.marshal() })),
            ("isolators", isolators.isEmpty ? nil : .array(try isolators.map { try $0.marshal() })),
            ("userAnnotations", userAnnotations.isEmpty ? nil : stringMap(userAnnotations)),
            ("userLabels", userLabels.isEmpty ? nil : stringMap(userLabels)),
        ])
    }

    func marshal() throws -> JSONValue {
        try marshaler("*types.App") { try marshalBody() }
    }
}

extension Dependency {
    func marshal() throws -> JSONValue {
        try marshaler("types.Dependency") {
            try check(imageName.isEmpty ? "imageName cannot be empty" : nil)
            return jsonObject([
                ("imageName", try imageName.marshal()),
                ("imageID", try imageID.map { try $0.marshal("*types.Hash") }),
                ("labels", labels.isEmpty ? nil : try Label.marshalList(labels)),
                ("size", size == 0 ? nil : .number(String(size))),
            ])
        }
    }
}

extension ImageManifest {
    /// The manifest as Go's `MarshalJSON` builds it (errors from `assertValid`
    /// bare, nested ones wrapped).
    public func marshalTree() throws -> JSONValue {
        try check(topLevelError)
        return jsonObject([
            ("acKind", .string(acKind.rawValue)),
            ("acVersion", try acVersion.marshal()),
            ("name", try name.marshal()),
            ("labels", labels.isEmpty ? nil : try Label.marshalList(labels)),
            ("app", try app.map { try $0.marshal() }),
            ("annotations", annotations.isEmpty ? nil : try Annotation.marshalList(annotations)),
            ("dependencies", dependencies.isEmpty ? nil : .array(try dependencies.map { try $0.marshal() })),
            ("pathWhitelist", pathWhitelist.isEmpty ? nil : .array(pathWhitelist.map { .string($0) })),
        ])
    }

}
