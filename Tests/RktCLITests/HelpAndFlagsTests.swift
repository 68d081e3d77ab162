import AppcSchema
import Foundation
import PodKit
import TestSupport
import Testing

/// cobra's help, and the command-line values `run` takes (no pods needed).
struct HelpAndFlagsTests {
    /// rkt's GLOBAL OPTIONS block, as every subcommand's page ends.
    static let globalOptions = """

        GLOBAL OPTIONS:
              --debug[=false]\t\t\tprint out more debug information to stderr
              --dir=/var/lib/rkt\t\trkt data directory
              --insecure-options=none\t\tcomma-separated list of security features to disable. Allowed values: "none", "image", "tls", "ondisk", "http", "pubkey", "capabilities", "paths", "seccomp", "all-fetch", "all-run", "all"
              --local-config=/etc/rkt\t\tlocal configuration directory
              --system-config=/usr/lib/rkt\tsystem configuration directory
              --trust-keys-from-https[=false]\tautomatically trust gpg keys fetched from https
              --user-config=\t\t\tuser configuration directory


        """

    /// rkt's help template (rkt/help.go) through Go's tabwriter (0, 8, 1, '\t'), byte for byte.
    @Test func helpPagesAreRkts() {
        let s = Scratch()
        defer { s.remove() }
        let list = rkt(s.path, "image", "list", "--help")
        #expect(list.code == 0 && list.err == "")
        #expect(
            list.out == """
                NAME:
                \timage list - List images in the local store

                USAGE:
                \trkt image list

                DESCRIPTION:
                \tOptionally, allows the user to specify the fields and sort order.

                OPTIONS:
                      --fields=id,name,size,importtime,lastused\tcomma-separated list of fields to display. Accepted values: "id", "name", "size", "importtime", "lastused"
                      --format=\t\t\t\t\tchoose the output format, allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs
                      --full[=false]\t\t\t\tuse long output format
                      --no-legend[=false]\t\t\tsuppress a legend with the list
                      --order=asc\t\t\t\tchoose the sorting order if at least one sort field is provided (--sort). Accepted values: "asc", "desc"
                      --sort=importtime\t\t\t\tsort the output according to the provided comma-separated list of fields. Accepted values: "name", "importtime", "lastused", "size"

                """ + Self.globalOptions)
        // `rkt help CMD` is the same page; a command with nothing but its name also lists cobra's help flag.
        #expect(rkt(s.path, "help", "image", "list").out == list.out)
        let version = rkt(s.path, "version", "-h")
        #expect(
            version.out == """
                NAME:
                \tversion - Print the version and exit

                USAGE:
                \trkt version

                DESCRIPTION:
                \tPrint the version of rkt, and various build and configuration information.

                """ + Self.globalOptions)
        // Only command words given (no --dir here): cobra's help flag is listed.
        let stop = rktAsWritten(["stop"])
        #expect(stop.code == 254)
        #expect(
            stop.out == """
                NAME:
                \tstop - Stop a pod

                USAGE:
                \trkt stop --uuid-file=FILE | UUID ...

                OPTIONS:
                      --force[=false]\tforced stopping
                  -h, --help[=false]\thelp for stop
                      --uuid-file=""\tread pod UUID from file instead of argument

                """ + Self.globalOptions)
        // A group with no subcommand given is its page (exit 0), with its help flag.
        let image = rktAsWritten(["image"])
        #expect(image.code == 0 && image.out.contains("\nCOMMANDS:\n\tcat-manifest\tInspect and print the image manifest\n\texport\t\tExport"))
        #expect(image.out.contains("\nOPTIONS:\n  -h, --help[=false]\thelp for image\n\nGLOBAL OPTIONS:\n"))
        #expect(!image.out.contains("\tfetch"), "image fetch is hidden")
        #expect(rkt(s.path, "image", "bogus").code == 0)
        #expect(!rkt(s.path, "image").out.contains("-h, --help"), "flags given: cobra fixed the flag list before adding help")
        // Deprecated and per-app flags: hidden, and shown without a default.
        let run = rkt(s.path, "run", "--help")
        #expect(run.code == 0)
        #expect(!run.out.contains("--store-only") && !run.out.contains("--cap-retain") && !run.out.contains("-h, --help"))
        #expect(run.out.contains("\n      --exec=\t\t\toverride the exec command for the preceding image\n"))
        #expect(run.out.contains("\n      --net[=default]\t\tconfigure the pod's networking."))
        #expect(run.out.contains("\n      --pull-policy=\"new\"\twhen to pull an image\n"))
        let status = rkt(s.path, "help", "status")
        #expect(status.out.contains("\n      --wait[=\"false\"]\t\ttoggles waiting for the pod to finish."))
    }

    /// rkt's own root page and cobra's ways of not finding a command.
    @Test func missingAndUnknownCommands() {
        let s = Scratch()
        defer { s.remove() }
        let bare = rktAsWritten([])
        #expect(bare.code == 2)
        #expect(bare.err == "rkt: missing command\n")
        #expect(bare.out.hasPrefix("NAME:\n\trkt - rkt, the application container runner\n\nUSAGE:\n\trkt [command]\n\nVERSION:\n\t1.30.0+git\n\nCOMMANDS:\n"))
        #expect(bare.out.contains("\timage cat-manifest\tInspect and print the image manifest\n"))
        #expect(bare.out.contains("\tversion\t\t\tPrint the version and exit\n\thelp\t\t\tHelp about any command\n\nDESCRIPTION:\n"))
        #expect(bare.out.contains("\n  -h, --help[=false]\t\t\thelp for rkt\n"))
        #expect(!bare.out.contains("GLOBAL OPTIONS"))
        let help = rktAsWritten(["--help"])
        #expect(help.code == 0 && !help.out.contains("-h, --help"))
        let unknown = rktAsWritten(["fecth", "x"])
        #expect(unknown.code == 254)
        #expect(unknown.out == "")
        #expect(unknown.err == "Error: unknown command \"fecth\" for \"rkt\"\n\nDid you mean this?\n\tfetch\n\nRun 'rkt --help' for usage.\n")
        #expect(rktAsWritten(["zzz"]).err == "Error: unknown command \"zzz\" for \"rkt\"\nRun 'rkt --help' for usage.\n")
        let topic = rktAsWritten(["help", "bogus"])
        #expect(topic.code == 0 && topic.err == "Unknown help topic [`bogus`].")
        #expect(topic.out.hasPrefix("NAME:\n\trkt - "))
        // Prefixes of command names work as cobra's prefix matching does.
        let unique = rkt(s.path, "stat", "-h")
        #expect(unique.code == 0 && unique.out.contains("\trkt status "))
    }

    /// pflag's messages for bad values, as rkt's vendored pflag words them.
    @Test func flagErrorsAreRkts() {
        let s = Scratch()
        defer { s.remove() }
        let bool = rkt(s.path, "list", "--full=maybe")
        #expect(bool.code == 254)
        #expect(bool.err == "Error: invalid argument \"maybe\" for --full=maybe: strconv.ParseBool: parsing \"maybe\": invalid syntax\n\n")
        let format = rkt(s.path, "list", "--format=yaml")
        #expect(format.err == "Error: invalid argument \"yaml\" for --format=yaml: Invalid format option: yaml\n")
        let fields = rkt(s.path, "image", "list", "--fields=id,ID")
        #expect(fields.err == "Error: invalid argument \"id,ID\" for --fields=id,ID: duplicated option \"id\"\n")
        let order = rkt(s.path, "image", "list", "--order", "up")
        #expect(order.err == "Error: invalid argument \"up\" for --order: wrong sort order\n")
        let needs = rkt(s.path, "enter", "--app")
        #expect(needs.err == "Error: flag needs an argument: --app\n\n")
        #expect(rkt(s.path, "list", "---x").err == "Error: bad flag syntax: ---x\n\n")
        // Per-app flags before any image.
        let early = rkt(s.path, "prepare", "--exec=/bin/sh", "example.com/a")
        #expect(early.code == 254)
        #expect(early.err == "Error: invalid argument \"/bin/sh\" for --exec=/bin/sh: --exec must follow an image\n\n")
        #expect(
            rkt(s.path, "run", "--caps-remove=CAP_KILL", "a").err.hasPrefix("Error: invalid argument \"CAP_KILL\" for --caps-remove=CAP_KILL: --caps-retain must follow an image\n")
        )
    }

    @Test func volumesAndMountsParseAsRkts() throws {
        let volume = try Volume.parse(rktFlag: "data,kind=host,source=/srv/data,readOnly=true")
        #expect(volume.name.value == "data" && volume.kind == "host" && volume.source == "/srv/data")
        #expect(volume.readOnly == true)
        #expect(throws: PodError.self) { try Volume.parse(rktFlag: "data,kind=host,source=relative") }
        #expect(throws: PodError.self) { try Volume.parse(rktFlag: "data,colour=blue") }
        let mount = try Mount.parse(rktFlag: "volume=data,target=/data")
        #expect(mount.volume.value == "data" && mount.path == "/data")
        #expect(throws: PodError.self) { try Mount.parse(rktFlag: "volume=data") }
    }

    @Test func capabilityMasks() throws {
        // appc's 14 default capabilities, as /proc/PID/status prints the bounding set.
        #expect(String(try Capabilities.mask(Capabilities.defaultSet), radix: 16) == "a80425fb")
        #expect(try Capabilities.mask(["net_admin"]) == 1 << 12)
        #expect(throws: PodError.self) { try Capabilities.mask(["CAP_NOPE"]) }
    }

    @Test func pathsResolveInsideTheRoot() throws {
        let s = Scratch()
        defer { s.remove() }
        let root = s.file("root")
        try FileManager.default.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin", withDestinationPath: "usr/bin")
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: "../../../../etc")
        try FileManager.default.createSymbolicLink(atPath: root + "/abs", withDestinationPath: "/usr")
        let builder = try AppRuntimeBuilder(rootfs: root)
        #expect(try builder.resolveInRoot("/bin/sh", app: "a") == "/usr/bin/sh")
        #expect(try builder.resolveInRoot("/escape/passwd", app: "a") == "/etc/passwd")
        #expect(try builder.resolveInRoot("/abs/bin/../lib", app: "a") == "/usr/lib")
    }
}
