import Testing

struct HelpTests {
    /// actool 0.8.11+git's global help, byte for byte (appc-spec.md §8.1).
    static let globalHelp = """
        NAME:
        \tactool - actool, the application container tool

        USAGE: \n\tactool [global options] <command> [command options] [arguments...]

        VERSION:
        \t0.8.11+git

        COMMANDS:
        \tbuild\t\tBuild an ACI from an Image Layout (experimental)
        \tcat-manifest\tPrint the manifest from an ACI
        \tdiscover\tDiscover the download URLs for one or more app container images
        \thelp\t\tShow a list of commands or help for one command
        \tpatch-manifest\tCopy an ACI and patch its manifest (experimental)
        \tvalidate\tValidate that one or more images or manifests meet the AppContainer specification
        \tversion\t\tPrint the version and exit

        GLOBAL OPTIONS:
        \t--debug=false\tPrint verbose (debug) output
        \t--help=false\tPrint usage information and exit

        Run "actool help <command>" for more details on a specific command.

        """

    @Test func globalHelpIsActoolsByteForByte() {
        for args in [[], ["help"], ["--help"], ["--help", "validate"], ["--help=true"], ["--debug"]] {
            let r = actool(args)
            #expect(r.code == 0, "\(args)")
            #expect(r.out == HelpTests.globalHelp, "\(args)")
            #expect(r.err.isEmpty)
        }
    }

    @Test func commandHelp() {
        let r = actool("help", "cat-manifest")
        #expect(r.code == 0)
        #expect(
            r.out == """
                NAME:
                \tcat-manifest - Print the manifest from an ACI

                USAGE:
                \tactool cat-manifest  [--pretty-print] ACI_FILE

                DESCRIPTION:
                \tPrint the manifest from an ACI.

                OPTIONS:
                \t--pretty-print=false\tPrint with better style

                For help on global options run "actool help"

                """)
        let build = actool("help", "build")
        #expect(build.out.contains("DESCRIPTION:\n\tBuild an ACI from a given directory. The directory should\n\tcontain an Image Layout."))
        // actool's three flags, plus ours (--compression-level, --reproducible), sorted as Go sorts them.
        #expect(
            build.out.contains(
                "\t--no-compression=false\tDo not gzip-compress the produced ACI\n\t--overwrite=false\tOverwrite target file if it already exists\n\t--owner-root=false\tForce ownership to root:root on all files\n"
            ))
        #expect(build.out.contains("OPTIONS:\n\t--compression-level=1\tgzip level, 1 (fastest) to 9 (smallest)\n"))
        let version = actool("help", "version")
        #expect(version.out.hasSuffix("DESCRIPTION:\n\tPrint the version and exit\n\nFor help on global options run \"actool help\"\n"))
        let discover = actool("help", "discover")
        #expect(discover.out.contains("\t--port=0\t\tPort to connect to when performing discovery\n"))
        let patch = actool("help", "patch-manifest")
        #expect(patch.out.contains("USAGE:\n\tactool patch-manifest \n\t\t  [--manifest=MANIFEST_FILE]\n"))
        #expect(patch.out.contains("\t--capability=\t\tSet the capability remain set\n"))
    }

    @Test func helpForUnknownCommand() {
        let r = actool("help", "bogus")
        #expect(r.code == 1)
        #expect(r.out.isEmpty)
        #expect(r.err == "Unrecognized command: bogus\n")
    }

    @Test func version() {
        let r = actool("version", "ignored", "args")
        #expect(r.code == 0)
        #expect(r.out == "actool version 0.8.11+git\n")
    }

    @Test func globalFlagErrors() {
        let h = actool("-h")
        #expect(h.code == 0)
        #expect(h.out.isEmpty)
        #expect(h.err == "Usage of actool:\n  -debug\n    \tPrint verbose (debug) output\n  -help\n    \tPrint usage information and exit\n")
        let x = actool("--bogus", "version")
        #expect(x.code == 2)
        #expect(x.err.hasPrefix("flag provided but not defined: -bogus\nUsage of actool:\n"))
        // Global flags are only known before the command.
        let late = actool("validate", "--debug", "x")
        #expect(late.code == 2)
        #expect(late.err.hasPrefix("flag provided but not defined: -debug\n"))
        let sub = actool("frobnicate")
        #expect(sub.code == 2)
        #expect(sub.err == "actool: unknown subcommand: \"frobnicate\"\nRun 'actool help' for usage.\n")
    }

    @Test func commandFlagErrors() {
        let r = actool("validate", "-x")
        #expect(r.code == 2)
        #expect(
            r.err == """
                flag provided but not defined: -x
                Usage:
                  -type string
                    \tType of file to validate. If unset, actool will try to detect the type. One of "appimage,layout,manifest"
                flag provided but not defined: -x

                """)
        let help = actool("cat-manifest", "--help")
        #expect(help.code == 2)
        #expect(help.err == "Usage:\n  -pretty-print\n    \tPrint with better style\nflag: help requested\n")
        let bool = actool("cat-manifest", "--pretty-print=yes", "x.aci")
        #expect(bool.code == 2)
        #expect(bool.err.hasPrefix("invalid boolean value \"yes\" for -pretty-print: strconv.ParseBool: parsing \"yes\": invalid syntax\n"))
        let needs = actool("validate", "--type")
        #expect(needs.code == 2)
        #expect(needs.err.hasPrefix("flag needs an argument: -type\n"))
        let syntax = actool("validate", "---type=x")
        #expect(syntax.code == 2)
        #expect(syntax.err.hasPrefix("bad flag syntax: ---type=x\n"))
        let port = actool("discover", "--port=x")
        #expect(port.err.hasPrefix("invalid value \"x\" for flag -port: parse error\n"))
    }

    @Test func flagParsingStopsAtTheFirstArgument() {
        let r = actool("validate", "m.json", "--type=manifest")
        #expect(r.code == 1)
        #expect(r.err == "unable to access m.json: stat m.json: no such file or directory\n")
        let dashdash = actool("validate", "--", "--type=manifest")
        #expect(dashdash.err == "unable to access --type=manifest: stat --type=manifest: no such file or directory\n")
    }
}
