import AppcSchema
import CLISupport
import Glibc
import GoCompat
import ImageKit
import LinuxSystem

extension Command {
    static let patchManifest = Command(
        name: "patch-manifest",
        summary: "Copy an ACI and patch its manifest (experimental)",
        usage: """

            \t\t  [--manifest=MANIFEST_FILE]
            \t\t  [--name=example.com/app]
            \t\t  [--exec="/app --debug"]
            \t\t  [--user=uid] [--group=gid]
            \t\t  [--capability=CAP_SYS_ADMIN,CAP_NET_ADMIN]
            \t\t  [--revoke-capability=CAP_SYS_CHROOT,CAP_MKNOD]
            \t\t  [--mounts=work,path=/opt,readOnly=true[:work2,...]]
            \t\t  [--ports=query,protocol=tcp,port=8080[:query2,...]]
            \t\t  [--supplementary-groups=gid1,gid2,...]
            \t\t  [--isolators=resource/cpu,request=50m,limit=100m[:resource/memory,...]]
            \t\t  [--seccomp-mode=remove|retain[,errno=EPERM]]
            \t\t  [--seccomp-set=syscall1,syscall2,...]]
            \t\t  [--replace]
            \t\t  INPUT_ACI_FILE
            \t\t  [OUTPUT_ACI_FILE]
            """,
        description: "Copy an ACI and patch its manifest.",
        declareFlags: { flags in
            flags.bool("overwrite", usage: "Overwrite target file if it already exists")
            flags.bool("no-compression", usage: "Do not gzip-compress the produced ACI")
            flags.bool("replace", usage: "Replace the input file")
            flags.string("manifest", usage: "Replace image manifest with this file. Incompatible with other replace options.")
            flags.string("name", usage: "Replace name")
            flags.string("exec", usage: "Replace the command line to launch the executable")
            flags.string("user", usage: "Replace user")
            flags.string("group", usage: "Replace group")
            flags.string("supplementary-groups", usage: "Replace supplementary groups, expects a comma-separated list.")
            flags.string("capability", usage: "Set the capability remain set")
            flags.string("revoke-capability", usage: "Set the capability remove set")
            flags.string("mounts", usage: "Replace mount points")
            flags.string("ports", usage: "Replace ports")
            flags.string("isolators", usage: "Replace isolators")
            flags.string("seccomp-mode", usage: "Enable and configure seccomp isolator")
            flags.string("seccomp-set", usage: "Set of syscalls for seccomp isolator enforcing")
            // Ours: edits actool could only make through --manifest.
            flags.list(
                "add-dependency",
                usage: "Add a dependency: an ACI file (name, image ID and version/os/arch labels taken from it) or NAME[,imageID=sha512-...][,LABEL=VALUE...]; repeatable")
            flags.list("remove-dependency", usage: "Remove the dependency with this image name; repeatable")
            flags.list("extend-whitelist", usage: "Add every file of this ACI to the pathWhitelist, so an added dependency is not filtered out; repeatable")
            flags.list("set-env", usage: "Set an app environment variable, NAME=VALUE; repeatable")
            flags.list("unset-env", usage: "Remove an app environment variable; repeatable")
            flags.list("set-annotation", usage: "Set an annotation, NAME=VALUE; repeatable")
            flags.list("unset-annotation", usage: "Remove an annotation; repeatable")
            flags.list("set-label", usage: "Set a label, NAME=VALUE; repeatable")
            flags.list("unset-label", usage: "Remove a label; repeatable")
            flags.string("working-directory", usage: "Set the app's working directory")
            flags.bool("dry-run", usage: "Print the patched manifest and change nothing")
        },
        run: { flags, args, _, console in PatchManifestRun(flags: flags, console: console).run(args) })

}

/// `actool patch-manifest`: actool's argument checks in actool's order, then the patch
/// (spliced when the image layout allows, a streaming rewrite otherwise).
private struct PatchManifestRun {
    let flags: GoFlagSet
    let console: Console

    /// actool's flags that `--manifest` refuses to be combined with, and ours.
    private static let editingFlags = ["name", "exec", "user", "group", "capability", "mounts"]
    private static let ourEditingFlags = [
        "add-dependency", "remove-dependency", "extend-whitelist", "set-env", "unset-env",
        "set-annotation", "unset-annotation", "set-label", "unset-label",
    ]

    func run(_ args: [String]) -> Int32 {
        let replace = flags.isSet("replace"), overwrite = flags.isSet("overwrite"), dryRun = flags.isSet("dry-run")
        if replace && overwrite { return fail("Cannot use both --replace and --overwrite") }
        if dryRun {
            guard args.count == 1 || args.count == 2 else { return fail("Must provide one file") }
        } else {
            if !replace && args.count != 2 { return fail("Must provide input and output files (or use --replace)") }
            if replace && args.count != 1 { return fail("Must provide one file") }
        }
        let manifestFile = flags.value("manifest")
        if !manifestFile.isEmpty {
            let conflicting =
                Self.editingFlags.contains { !flags.value($0).isEmpty }
                || Self.ourEditingFlags.contains { !flags.values($0).isEmpty }
                || !flags.value("working-directory").isEmpty
            if conflicting { return fail("--manifest is incompatible with other manifest editing options") }
        }
        let input = args[0]

        var patch: ManifestPatch
        switch makePatch() {
        case let .success(made): patch = made
        case let .failure(message): return fail(message.description)
        }
        if dryRun { return printDryRun(input: input, patch: patch, manifestFile: manifestFile) }

        // The output is prepared before the input is opened, as actool does.
        let output = replace ? input : args[1]
        let file: AtomicFile
        if replace {
            do {
                file = try AtomicFile(path: input)
            } catch {
                return fail("Cannot create temporary file: \(error)")
            }
        } else {
            let ext = ImageBuilder.fileExtension(output)
            guard ext == ".aci" else { return fail("Extension must be .aci (given \(ext))") }
            var info = stat()
            if !overwrite, lstat(output, &info) == 0 { return fail("Output file exists (try --overwrite)") }
            do {
                file = try AtomicFile(path: output)
            } catch {
                return fail("Unable to open output \(output): open \(output): \(errnoText(error.code))")
            }
        }
        defer { file.discard() }

        // Input errors come before --manifest's, as in actool.
        do {
            try ACIStream(path: input, pipelined: false).close()
        } catch let .system(failure) where failure.operation == "open" {
            return fail("Cannot open \(input): open \(input): \(errnoText(failure.code))")
        } catch {
            return fail("Cannot extract \(input): \(error)")
        }
        var replacement: [UInt8]?
        if !manifestFile.isEmpty {
            do {
                replacement = try FileSystem.readFile(manifestFile, limit: ImageValidator.manifestLimit)
            } catch let .system(failure) where failure.operation == "open" {
                return fail("Cannot open \(manifestFile): open \(manifestFile): \(errnoText(failure.code))")
            } catch {
                return fail("Cannot read \(manifestFile): \(error)")
            }
        }
        var original = stat()
        let haveOriginal = replace && stat(input, &original) == 0
        let compression: ImageCompression = flags.isSet("no-compression") ? .none : .defaultGzip
        let method: ImagePatcher.Method
        do {
            method = try ImagePatcher.patch(input: input, into: file, compression: compression, inPlace: replace) { manifest in
                if let replacement { return replacement }
                return try self.patched(manifest, with: patch)
            }
        } catch {
            switch error {
            case let .cannotOpen(inner): return fail("Cannot open \(input): \(inner)")
            case let .cannotExtract(inner): return fail("Cannot extract \(input): \(inner)")
            case let .unableToRead(inner):
                console.error("patch-manifest: Unable to read \(input): ", inner)
                return 1
            }
        }
        // The same-sized manifest part went over the input's own: nothing to publish.
        if method == .splicedInPlace { return 0 }
        if haveOriginal {
            // By design --replace keeps the file's mode and owner (actool leaves 0600).
            fchmod(file.fd, original.st_mode & 0o7777)
            _ = fchown(file.fd, original.st_uid, original.st_gid)
        }
        do {
            try file.commit(replace: replace || overwrite)
        } catch  where error.operation == "link" && error.code == EEXIST {
            return fail("Output file exists (try --overwrite)")
        } catch {
            return fail(replace ? "Cannot rename temporary file to \(goQuote(input)): \(error)" : "Unable to write \(output): \(error)")
        }
        return 0
    }

    /// The patch the flags describe; dependencies given as files are read here.
    private func makePatch() -> Result<ManifestPatch, PatchFlagError> {
        var patch = ManifestPatch()
        patch.name = flags.value("name")
        patch.exec = flags.value("exec")
        patch.user = flags.value("user")
        patch.group = flags.value("group")
        patch.supplementaryGroups = flags.value("supplementary-groups")
        patch.capability = flags.value("capability")
        patch.revokeCapability = flags.value("revoke-capability")
        patch.mounts = flags.value("mounts")
        patch.ports = flags.value("ports")
        patch.isolators = flags.value("isolators")
        patch.seccompMode = flags.value("seccomp-mode")
        patch.seccompSet = flags.value("seccomp-set")
        patch.removeDependencies = flags.values("remove-dependency")
        patch.setEnvironment = flags.values("set-env")
        patch.unsetEnvironment = flags.values("unset-env")
        patch.setAnnotations = flags.values("set-annotation")
        patch.unsetAnnotations = flags.values("unset-annotation")
        patch.setLabels = flags.values("set-label")
        patch.unsetLabels = flags.values("unset-label")
        let workingDirectory = flags.value("working-directory")
        patch.workingDirectory = workingDirectory.isEmpty ? nil : workingDirectory
        for ref in flags.values("add-dependency") {
            var info = stat()
            if stat(ref, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                do {
                    patch.addDependencies.append(try ImageSummary.read(path: ref).dependency)
                } catch {
                    return .failure(PatchFlagError("--add-dependency \(ref): \(error)"))
                }
            } else {
                do {
                    patch.addDependencies.append(try ManifestPatch.parseDependency(ref))
                } catch {
                    let hint = ref.hasSuffix(".aci") ? " (no such file, and not NAME[,imageID=...][,LABEL=VALUE...])" : ""
                    return .failure(PatchFlagError("--add-dependency \(goQuote(ref)): \(error)\(hint)"))
                }
            }
        }
        for tools in flags.values("extend-whitelist") {
            do {
                patch.extendWhitelist += try ImageSummary.read(path: tools, listingFiles: true).filePaths
            } catch {
                return .failure(PatchFlagError("--extend-whitelist \(tools): \(error)"))
            }
        }
        return .success(patch)
    }

    /// Applies the patch and encodes canonically; warns when a whitelist would hide an added dependency.
    private func patched(_ manifest: ImageManifest, with patch: ManifestPatch) throws -> [UInt8] {
        var manifest = manifest
        try patch.apply(to: &manifest)
        if !patch.addDependencies.isEmpty, !manifest.pathWhitelist.isEmpty, patch.extendWhitelist.isEmpty {
            console.error(
                "patch-manifest: warning: the image has a pathWhitelist, so files of an added dependency that it does not list are dropped when the image is rendered; add --extend-whitelist=TOOLS.aci to list them"
            )
        }
        return try manifest.encoded()
    }

    private func printDryRun(input: String, patch: ManifestPatch, manifestFile: String) -> Int32 {
        let manifest: ImageManifest
        do {
            manifest = try ImageSummary.read(path: input).manifest
        } catch {
            return fail("Unable to read \(input): \(error)")
        }
        do {
            if !manifestFile.isEmpty {
                console.out(try FileSystem.readFile(manifestFile, limit: ImageValidator.manifestLimit) + [0x0a])
                return 0
            }
            let bytes = try patched(manifest, with: patch)
            console.out(try ImageManifest.decode(bytes).prettyEncoded() + [0x0a])
        } catch {
            console.error("patch-manifest: Unable to read \(input): ", error)
            return 1
        }
        return 0
    }

    private func fail(_ message: String) -> Int32 {
        console.error("patch-manifest: \(message)")
        return 1
    }
}

private struct PatchFlagError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
