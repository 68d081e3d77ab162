import GoCompat

// The manifest editing behind `actool patch-manifest` (appc-spec.md §8.5):
// actool's own flags with Go's semantics, check order and error texts, then
// the flags this project adds (dependencies, environment, annotations,
// labels, working directory, path whitelist). Pure: no files, no archives.

/// What `patch-manifest` changes, one field per flag; an empty string or an
/// empty list means "flag not given".
public struct ManifestPatch: Sendable {
    // MARK: actool's flags (Go semantics and messages)

    /// `--name=ID`: the new image name (AC Identifier).
    public var name = ""
    /// `--exec="A B C"`: split on single spaces; creates an empty app if there is none.
    public var exec = ""
    /// `--user=S`.
    public var user = ""
    /// `--group=S`.
    public var group = ""
    /// `--supplementary-groups=1,2`: replaces the list.
    public var supplementaryGroups = ""
    /// `--capability=CAP_A,CAP_B`: replaces every capability isolator by a retain set.
    public var capability = ""
    /// `--revoke-capability=CAP_A,CAP_B`: replaces every capability isolator by a remove set.
    public var revokeCapability = ""
    /// `--mounts=NAME,path=P,readOnly=B[:...]`: appended.
    public var mounts = ""
    /// `--ports=NAME,protocol=P,port=N[,count=N][,socketActivated=B][:...]`: appended (count stays 0).
    public var ports = ""
    /// `--isolators=NAME,k=v,...[:...]`: appended.
    public var isolators = ""
    /// `--seccomp-mode=remove|retain[,errno=EXXX]`: replaces any seccomp isolator.
    public var seccompMode = ""
    /// `--seccomp-set=a,b`: the syscalls of the seccomp isolator.
    public var seccompSet = ""

    // MARK: this project's flags

    /// `--add-dependency`: appended in order; one whose image name is already
    /// listed replaces that entry in place.
    public var addDependencies: [Dependency] = []
    /// `--remove-dependency=NAME`: every dependency of that image name is removed.
    public var removeDependencies: [String] = []
    /// `--set-env=NAME=VALUE`, in order: replaces a variable in place, else appends.
    public var setEnvironment: [String] = []
    /// `--unset-env=NAME`.
    public var unsetEnvironment: [String] = []
    /// `--set-annotation=NAME=VALUE`: replaces in place, else appends.
    public var setAnnotations: [String] = []
    /// `--unset-annotation=NAME`.
    public var unsetAnnotations: [String] = []
    /// `--set-label=NAME=VALUE`: replaces in place, else appends.
    public var setLabels: [String] = []
    /// `--unset-label=NAME`.
    public var unsetLabels: [String] = []
    /// `--working-directory=PATH`: absolute, or empty to fall back to the default `/`.
    public var workingDirectory: String? = nil
    /// `--extend-whitelist=PATH`: absolute paths added to a non-empty `pathWhitelist`
    /// (an empty whitelist already means "everything", so it is left alone).
    public var extendWhitelist: [String] = []

    /// An empty patch (it still canonicalises the manifest when encoded).
    public init() {}

    /// The flag names used in this project's error messages, for the command line to register.
    public enum Flag {
        public static let addDependency = "--add-dependency"
        public static let removeDependency = "--remove-dependency"
        public static let setEnvironment = "--set-env"
        public static let unsetEnvironment = "--unset-env"
        public static let setAnnotation = "--set-annotation"
        public static let unsetAnnotation = "--unset-annotation"
        public static let setLabel = "--set-label"
        public static let unsetLabel = "--unset-label"
        public static let workingDirectory = "--working-directory"
        public static let extendWhitelist = "--extend-whitelist"
    }

    /// actool's error when app fields are patched on a manifest without an app.
    public static let noAppError = "no app in the supplied manifest and no exec command provided"

    /// Applies the patch: actool's flags in actool's order (name, exec, app
    /// check, user, group, supplementary groups, capabilities, mounts, ports,
    /// seccomp, isolators), then ours (remove/add dependencies, set/unset env,
    /// set/unset annotations, set/unset labels, working directory, whitelist).
    /// The first failing step wins; its error carries actool's exact text for
    /// actool's flags. On failure `manifest` is left unchanged.
    ///
    /// Encode the result with `manifest.encoded()`, which re-validates as Go does.
    public func apply(to manifest: inout ImageManifest) throws(ManifestError) {
        var m = manifest
        try applyActoolFlags(to: &m)
        try applyOwnFlags(to: &m)
        manifest = m
    }

    /// Parses `NAME[,imageID=sha512-...][,LABEL=VALUE...]` (the text form of
    /// `--add-dependency`): NAME an AC Identifier, `imageID` a valid image
    /// hash, every other `key=value` a label (checked as labels, os/arch
    /// included). A key given twice is an error.
    public static func parseDependency(_ text: String) throws(ManifestError) -> Dependency {
        func failure(_ reason: String) -> ManifestError {
            ManifestError("\(Flag.addDependency) \(goQuote(text)): \(reason)")
        }
        let parts = goSplit(text, ",")
        var dependency: Dependency
        do throws(ManifestError) {
            dependency = Dependency(imageName: try ACIdentifier(parts[0]))
        } catch {
            throw failure(error.message)
        }
        var seen: Set<String> = []
        for part in parts.dropFirst() {
            guard let (key, value) = splitPair(part) else {
                throw failure("\(goQuote(part)) is not KEY=VALUE")
            }
            if seen.contains(key) { throw failure("\(goQuote(key)) given more than once") }
            seen.insert(key)
            if key == "imageID" {
                do throws(ManifestError) {
                    dependency.imageID = try ImageHash(value)
                } catch {
                    throw failure("invalid imageID \(goQuote(value)): \(error.message)")
                }
                continue
            }
            let labelName: ACIdentifier
            do throws(ManifestError) {
                labelName = try ACIdentifier(key)
            } catch {
                throw failure("invalid label name \(goQuote(key)): \(error.message)")
            }
            dependency.labels.append(Label(name: labelName, value: value))
        }
        if let error = Label.validationError(dependency.labels) { throw failure(error) }
        return dependency
    }
}

// MARK: - actool's flags

extension ManifestPatch {
    /// Go's `patchManifest` (actool/manifest.go).
    func applyActoolFlags(to m: inout ImageManifest) throws(ManifestError) {
        if !name.isEmpty {
            m.name = try ACIdentifier(name)
        }

        if !exec.isEmpty {
            var app = m.app ?? App()
            app.exec = Self.goSplit(exec, " ")
            m.app = app
        }

        let patchesApp =
            !user.isEmpty || !group.isEmpty || !supplementaryGroups.isEmpty || !capability.isEmpty
            || !revokeCapability.isEmpty || !mounts.isEmpty || !ports.isEmpty || !isolators.isEmpty
        if patchesApp && m.app == nil {
            throw ManifestError(Self.noAppError)
        }
        // Every step below needs an app only when its flag is given; then the
        // check above (or, for seccomp, the one in its step) guarantees one.
        var app = m.app ?? App()

        if !user.isEmpty { app.user = user }
        if !group.isEmpty { app.group = group }

        if !supplementaryGroups.isEmpty {
            var gids: [Int] = []
            for g in Self.goSplit(supplementaryGroups, ",") {
                switch Self.atoi(g) {
                case .success(let gid): gids.append(gid)
                case .failure(let e):
                    throw ManifestError("invalid supplementary group \(goQuote(g)): \(e.text)")
                }
            }
            app.supplementaryGIDs = gids
        }

        if !capability.isEmpty && !revokeCapability.isEmpty {
            throw ManifestError("conflicting capabilities isolators provided")
        }
        if !capability.isEmpty || !revokeCapability.isEmpty {
            let retain = !capability.isEmpty
            let flag = retain ? capability : revokeCapability
            let names = Self.goSplit(flag, ",")
            let value: IsolatorValue = retain ? .capabilitiesRetainSet(names) : .capabilitiesRemoveSet(names)
            let isolatorName = retain ? IsolatorName.capabilitiesRetainSet : IsolatorName.capabilitiesRemoveSet
            let isolator: Isolator
            do throws(ManifestError) {
                if let error = value.validationError { throw ManifestError(error) }
                isolator = try Isolator(name: ACIdentifier(unchecked: isolatorName), value: value)
            } catch {
                throw ManifestError(
                    "cannot parse capability \(retain ? "retain" : "remove") set "
                        + "\(goQuote(flag)): \(error.message)")
            }
            Self.replaceIsolators(
                in: &app.isolators,
                named: [
                    IsolatorName.capabilitiesRemoveSet,
                    IsolatorName.capabilitiesRetainSet,
                ], with: isolator)
        }

        if !mounts.isEmpty {
            for text in Self.goSplit(mounts, ":") {
                do throws(ManifestError) {
                    app.mountPoints.append(try MountPoint.parse(commandLine: text))
                } catch {
                    throw ManifestError("cannot parse mount point \(goQuote(text)): \(error.message)")
                }
            }
        }

        if !ports.isEmpty {
            for text in Self.goSplit(ports, ":") {
                do throws(ManifestError) {
                    app.ports.append(try Port.parse(commandLine: text))
                } catch {
                    throw ManifestError("cannot parse port \(goQuote(text)): \(error.message)")
                }
            }
        }

        if !seccompMode.isEmpty {
            let isolator = try Self.seccompIsolator(mode: seccompMode, set: seccompSet)
            // Go dereferences the missing app here and panics; we report it instead.
            if m.app == nil { throw ManifestError(Self.noAppError) }
            Self.replaceIsolators(
                in: &app.isolators,
                named: [
                    IsolatorName.seccompRemoveSet,
                    IsolatorName.seccompRetainSet,
                ], with: isolator)
        } else if !seccompSet.isEmpty {
            throw ManifestError("--seccomp-set specified without --seccomp-mode")
        }

        if !isolators.isEmpty {
            for text in Self.goSplit(isolators, ":") {
                app.isolators.append(try Self.patchIsolator(text))
            }
        }
        if m.app != nil { m.app = app }
    }

    /// Go's `Isolators.ReplaceIsolatorsByName`: drops every isolator with one
    /// of `names` (order kept), then appends `isolator`.
    static func replaceIsolators(in list: inout [Isolator], named names: [String], with isolator: Isolator) {
        list.removeAll { names.contains($0.name.value) }
        list.append(isolator)
    }

    /// Go's `parseSeccompArgs`.
    static func seccompIsolator(mode modeFlag: String, set setFlag: String) throws(ManifestError) -> Isolator {
        var errno = ""
        var mode = ""
        for argument in goSplit(modeFlag, ",") {
            let kv = goSplit(argument, "=")
            switch kv.count {
            case 1:
                mode = kv[0]
            case 2:
                guard kv[0] == "errno" else {
                    throw ManifestError("invalid seccomp-mode optional argument: \(argument)")
                }
                errno = kv[1]
            default:
                throw ManifestError("cannot parse seccomp-mode argument: \(argument)")
            }
        }
        let set = SeccompSet(set: goSplit(setFlag, ","), errno: errno)
        let value: IsolatorValue
        let isolatorName: String
        switch mode {
        case "remove":
            value = .seccompRemoveSet(set)
            isolatorName = IsolatorName.seccompRemoveSet
        case "retain":
            value = .seccompRetainSet(set)
            isolatorName = IsolatorName.seccompRetainSet
        default:
            throw ManifestError("cannot parse seccomp isolator: unknown seccomp mode \(mode)")
        }
        do throws(ManifestError) {
            if let error = value.validationError { throw ManifestError(error) }
            return try Isolator(name: ACIdentifier(unchecked: isolatorName), value: value)
        } catch {
            throw ManifestError("cannot parse seccomp isolator: \(error.message)")
        }
    }

    /// One `--isolators` item: Go's `isolatorStrFromString`, the name switch,
    /// then `Isolator.UnmarshalJSON` of the JSON text built from it.
    static func patchIsolator(_ text: String) throws(ManifestError) -> Isolator {
        func cannotParse(_ reason: [UInt8]) -> ManifestError {
            ManifestError(bytes: Array("cannot parse isolator \(goQuote(text)): ".utf8) + reason)
        }
        let query = Array(("name=" + text).utf8).map { $0 == UInt8(ascii: ",") ? UInt8(ascii: "&") : $0 }
        let parameters: [(key: [UInt8], values: [[UInt8]])]
        switch GoQuery.parseQuery(query) {
        case .success(let p): parameters = p
        case .failure(let e): throw cannotParse(e.bytes)
        }
        // Go walks the parameters in map order (random); we take them in order
        // of appearance for errors ("name" comes first) and write the value's
        // keys sorted.
        var name = ""
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        for (key, values) in parameters {
            if values.count > 1 {
                var message = Array("label ".utf8) + key + Array(" with multiple values [".utf8)
                message += Array(values.map { Strconv.quote(bytes: $0) }.joined(separator: " ").utf8) + [UInt8(ascii: "]")]
                throw cannotParse(message)
            }
            if key == Array("name".utf8) {
                let candidate = String(decoding: values[0], as: UTF8.self)
                if let error = ACIdentifier.validationError(candidate) { throw cannotParse(Array(error.utf8)) }
                name = candidate
            } else {
                pairs.append((key, values[0]))
            }
        }
        pairs.sort { $0.key.lexicographicallyPrecedes($1.key) }
        let quote: [UInt8] = [UInt8(ascii: "\"")]
        let members = pairs.map { quote + $0.key + Array("\": \"".utf8) + $0.value + quote }
        let valueText = Array(members.joined(separator: Array(", ".utf8)))
        var isolatorText = Array("\n                {\n                    \"name\": \"\(name)\",\n                    \"value\": { ".utf8)
        isolatorText += valueText + Array(" }\n                }".utf8)

        var supported = IsolatorName.resources.contains(name)
        switch name {
        case IsolatorName.noNewPrivileges, IsolatorName.oomScoreAdj:
            supported = true
            let kv = goSplit(text, ",")
            if kv.count != 2 { throw ManifestError("isolator \(name): invalid format") }
            isolatorText = Array("{ \"name\": \"\(name)\", \"value\": \(kv[1]) }".utf8)
        case IsolatorName.seccompRemoveSet, IsolatorName.seccompRetainSet:
            supported = false
        default:
            break
        }
        if !supported { throw ManifestError("isolator \(name) is not supported for patching") }

        do throws(ManifestError) {
            return try Isolator.decode(isolatorText)
        } catch {
            throw ManifestError(
                bytes: Array("cannot unmarshal isolator ".utf8) + isolatorText
                    + Array(": ".utf8) + error.messageBytes)
        }
    }
}

// MARK: - this project's flags

extension ManifestPatch {
    func applyOwnFlags(to m: inout ImageManifest) throws(ManifestError) {
        for name in removeDependencies {
            let before = m.dependencies.count
            m.dependencies.removeAll { $0.imageName.value == name }
            if m.dependencies.count == before {
                throw ManifestError("\(Flag.removeDependency): no dependency named \(goQuote(name))")
            }
        }
        for dependency in addDependencies {
            if let i = m.dependencies.firstIndex(where: { $0.imageName == dependency.imageName }) {
                m.dependencies[i] = dependency
                var j = i + 1
                while j < m.dependencies.count {
                    if m.dependencies[j].imageName == dependency.imageName {
                        m.dependencies.remove(at: j)
                    } else {
                        j += 1
                    }
                }
            } else {
                m.dependencies.append(dependency)
            }
        }

        if !setEnvironment.isEmpty || !unsetEnvironment.isEmpty {
            guard var app = m.app else { throw ManifestError(Self.noAppError) }
            for argument in setEnvironment {
                let (name, value) = try Self.nameValue(argument, flag: Flag.setEnvironment)
                if let error = EnvironmentVariable.nameError(name) {
                    throw ManifestError("\(Flag.setEnvironment) \(goQuote(argument)): \(error)")
                }
                let variable = EnvironmentVariable(unchecked: name, value: value)
                if let i = app.environment.firstIndex(where: { $0.name == name }) {
                    app.environment[i] = variable
                } else {
                    app.environment.append(variable)
                }
            }
            for name in unsetEnvironment {
                let before = app.environment.count
                app.environment.removeAll { $0.name == name }
                if app.environment.count == before {
                    throw ManifestError("\(Flag.unsetEnvironment): no environment variable named \(goQuote(name))")
                }
            }
            m.app = app
        }

        for argument in setAnnotations {
            let (name, value) = try Self.nameValue(argument, flag: Flag.setAnnotation)
            let annotation: Annotation
            do throws(ManifestError) {
                annotation = try Annotation(name: name, value: value)
            } catch {
                throw ManifestError("\(Flag.setAnnotation) \(goQuote(argument)): \(error.message)")
            }
            let valueError: String?
            switch name {
            case "created": valueError = Annotation.dateError(value)
            case "homepage", "documentation": valueError = Annotation.urlError(value)
            default: valueError = nil
            }
            if let valueError {
                throw ManifestError("\(Flag.setAnnotation) \(goQuote(argument)): \(valueError)")
            }
            m.annotations.upsert(annotation)
        }
        for name in unsetAnnotations {
            guard m.annotations.remove(named: name) else {
                throw ManifestError("\(Flag.unsetAnnotation): no annotation named \(goQuote(name))")
            }
        }

        for argument in setLabels {
            let (name, value) = try Self.nameValue(argument, flag: Flag.setLabel)
            let label: Label
            do throws(ManifestError) {
                label = try Label(name: name, value: value)
            } catch {
                throw ManifestError("\(Flag.setLabel) \(goQuote(argument)): \(error.message)")
            }
            if name == "name" {
                throw ManifestError("\(Flag.setLabel) \(goQuote(argument)): invalid label name: \"name\"")
            }
            m.labels.upsert(label)
        }
        for name in unsetLabels {
            guard m.labels.remove(named: name) else {
                throw ManifestError("\(Flag.unsetLabel): no label named \(goQuote(name))")
            }
        }
        if !setLabels.isEmpty {
            var map: [String: String] = [:]
            for label in m.labels { map[label.name.value] = label.value }
            if let error = Label.osArchError(map) {
                throw ManifestError("\(Flag.setLabel): \(error)")
            }
        }

        if let workingDirectory {
            guard m.app != nil else { throw ManifestError(Self.noAppError) }
            if !workingDirectory.isEmpty && !workingDirectory.hasPrefix("/") {
                throw ManifestError(
                    "\(Flag.workingDirectory) \(goQuote(workingDirectory)): "
                        + "workingDirectory must be an absolute path")
            }
            m.app?.workingDirectory = workingDirectory
        }

        for path in extendWhitelist where !path.hasPrefix("/") {
            throw ManifestError("\(Flag.extendWhitelist) \(goQuote(path)): path must be absolute")
        }
        if !m.pathWhitelist.isEmpty {
            for path in extendWhitelist where !m.pathWhitelist.contains(path) {
                m.pathWhitelist.append(path)
            }
        }
    }

    /// `NAME=VALUE` split at the first `=`, or the flag's error.
    static func nameValue(_ argument: String, flag: String) throws(ManifestError) -> (String, String) {
        guard let pair = splitPair(argument) else {
            throw ManifestError("\(flag) \(goQuote(argument)): want NAME=VALUE")
        }
        return pair
    }
}

// MARK: - Go helpers

extension ManifestPatch {
    /// Go's `strings.Split(s, sep)` for an ASCII separator (byte-wise, so
    /// never confused by grapheme clusters): `""` gives `[""]`.
    static func goSplit(_ s: String, _ separator: Unicode.Scalar) -> [String] {
        let sep = UInt8(separator.value)
        return s.utf8.split(separator: sep, omittingEmptySubsequences: false).map { String(Substring($0)) }
    }

    /// `KEY=VALUE` split at the first `=`, nil without one.
    static func splitPair(_ s: String) -> (String, String)? {
        let bytes = Array(s.utf8)
        guard let eq = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        return (String(decoding: bytes[..<eq], as: UTF8.self), String(decoding: bytes[(eq + 1)...], as: UTF8.self))
    }

    /// Go's `strconv.Atoi` on a 64-bit platform, with its error texts.
    static func atoi(_ s: String) -> Result<Int, GoMessage> {
        let syntax = GoMessage("strconv.Atoi: parsing \(goQuote(s)): invalid syntax")
        let range = GoMessage("strconv.Atoi: parsing \(goQuote(s)): value out of range")
        var digits = Array(s.utf8)[...]
        var negative = false
        if let first = digits.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        if digits.isEmpty { return .failure(syntax) }
        // ParseUint: a syntax error or an overflow, whichever comes first.
        var n: UInt64 = 0
        for c in digits {
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return .failure(syntax) }
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return .failure(range) }
            n = next
        }
        let cutoff = UInt64(1) << 63
        if !negative && n >= cutoff { return .failure(range) }
        if negative && n > cutoff { return .failure(range) }
        return .success(negative ? Int(truncatingIfNeeded: 0 &- n) : Int(n))
    }
}
