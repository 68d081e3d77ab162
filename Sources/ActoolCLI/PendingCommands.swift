/// Commands whose help is actool's but whose implementation lands with a later issue.
/// Running one says so plainly and fails, rather than pretending.
extension Command {
    static let build = Command(
        name: "build",
        summary: "Build an ACI from an Image Layout (experimental)",
        usage: "[--overwrite] [--no-compression] [--owner-root] DIRECTORY OUTPUT_FILE",
        description: """
            Build an ACI from a given directory. The directory should
            contain an Image Layout. The Image Layout will be validated
            before the ACI is created. The produced ACI will be
            gzip-compressed by default.
            """,
        declareFlags: { flags in
            flags.bool("overwrite", usage: "Overwrite target file if it already exists")
            flags.bool("owner-root", usage: "Force ownership to root:root on all files")
            flags.bool("no-compression", usage: "Do not gzip-compress the produced ACI")
        },
        run: notYet("build"))

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
        },
        run: notYet("patch-manifest"))

    static let discover = Command(
        name: "discover",
        summary: "Discover the download URLs for one or more app container images",
        usage: "[--json] [--port] [--insecure] APP...",
        description: "Discover the download URLs for an app",
        declareFlags: { flags in
            flags.bool("insecure", usage: "Don't check TLS certificates and allow insecure non-TLS downloads over http")
            flags.bool("json", usage: "Output result as JSON")
            flags.uint("port", usage: "Port to connect to when performing discovery")
        },
        run: notYet("discover"))

    private static func notYet(_ name: String) -> @Sendable (GoFlagSet, [String], GlobalOptions, Console) -> Int32 {
        return { _, _, _, console in
            console.error("\(name): not implemented in this version of actool yet")
            return 1
        }
    }
}
