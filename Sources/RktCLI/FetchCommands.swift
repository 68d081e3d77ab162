import CLISupport
import Glibc
import GoCompat
import ImageFetch
import ImageKit
import ImageStore
import RktConfig

extension Rkt {
    static let fetchCommand = RktCommand(
        name: "fetch", summary: "Fetch image(s) and store them in the local store", usage: "IMAGE_URL...",
        long: """
            Locates and downloads remote ACIs and their attached signatures.

            If the ACI is available in the local store, the image will not be fetched
            again.
            """,
        flags: [
            .bool("full", "print the full image hash after fetching"),
            .string("signature", "local signature file to use in validating the preceding image").forApp(),
            .string("pull-policy", default: "update", "when to pull an image"),
            .storeOnly, .noStore,
            // Ours: docker2aci's --nosquash. Hidden, so the help page stays rkt's.
            FlagSpec.bool("no-squash", "convert docker and OCI images to one image per layer").hiddenFromHelp(),
        ],
        // As rkt's: `IMAGE --signature=FILE IMAGE ...`, each signature for the image before it.
        interspersed: false,
        run: { context in fetch(context) })

    static let trustCommand = RktCommand(
        name: "trust", summary: "Trust a key for image verification",
        usage: "[--prefix=PREFIX] [--insecure-allow-http] [--skip-fingerprint-review] [--root] [PUBKEY ...]",
        long: """
            Adds keys to the local keystore for use in verifying signed images.

            PUBKEY may be either a local file or URL.

            PREFIX scopes the applicability of PUBKEY to image names sharing PREFIX.

            Meta discovery of PUBKEY at PREFIX will be attempted if no PUBKEY is specified.

            To trust a key for all images instead of for specific images, --root can be
            specified. Path to a key file must be given (no discovery).
            """,
        flags: [
            .string("prefix", "prefix to limit trust to"),
            .bool("root", "add root key from filesystem without a prefix"),
            .bool("skip-fingerprint-review", "accept key without fingerprint confirmation"),
            .bool("insecure-allow-http", "allow HTTP use for key discovery and/or retrieval"),
        ],
        run: { context in trust(context) })

    /// The global `--insecure-options`, or cobra's usage error for a bad value.
    static func insecureOptions(_ context: RktContext) -> InsecureOptions? {
        let text = context.flags.string("insecure-options")
        do {
            return try InsecureOptions.parse(text)
        } catch {
            context.console.error("Error: invalid argument \(goQuote(text)) for --insecure-options=\(text): \(error.message)")
            return nil
        }
    }

    /// What fetching needs from the command line and the configuration: the pull policy
    /// (`--pull-policy`, or the deprecated `--store-only`/`--no-store`), the trust settings
    /// and `auth.d`'s credentials. Nil, with the message printed, if they are not usable.
    static func fetchOptions(_ context: RktContext, insecure: InsecureOptions, signature: String?) -> FetchOptions? {
        let flags = context.flags
        if flags.bool("store-only") && flags.bool("no-store") {
            _ = context.fail("both --store-only and --no-store specified")
            return nil
        }
        let policyText = flags.bool("store-only") ? "never" : flags.bool("no-store") ? "update" : flags.string("pull-policy")
        guard let policy = PullPolicy(rawValue: policyText) else {
            _ = context.usageError(flags.invalidArgument("pull-policy", "unknown pull policy"))
            return nil
        }
        let config: RktConfig
        do throws(ConfigError) {
            config = try context.configuration()
        } catch {
            _ = context.fail("cannot get configuration: \(error.message)")
            return nil
        }
        var options = FetchOptions(
            insecure: insecure, pullPolicy: policy, signature: signature,
            systemConfig: flags.string("system-config"), localConfig: flags.string("local-config"),
            debug: context.debug, progress: isatty(2) == 1)
        options.trustKeysFromHTTPS = flags.bool("trust-keys-from-https")
        options.authorization = config.authPerHost.compactMapValues(\.authorization)
        options.dockerCredentials = config.dockerCredentials
        return options
    }

    private static func fetch(_ context: RktContext) -> Int32 {
        guard let (context, images) = imageArguments(context) else { return Rkt.failure }
        guard !images.isEmpty else { return context.fail("must provide at least one image") }
        guard let insecure = insecureOptions(context) else { return context.usage() }
        guard var options = fetchOptions(context, insecure: insecure, signature: nil) else { return Rkt.failure }
        options.squash = !context.flags.bool("no-squash")
        do {
            let store = try context.openStore()
            let console = context.console
            let fetcher = Fetcher(
                store: store, options: options, log: { console.errText($0 + "\n") },
                stdout: { console.out($0 + "\n") })
            for image in images {
                let record = try fetcher.fetch(image.image, signature: image.signature)
                // The store key is 71 characters; rkt prints 39 unless --full.
                context.console.out((context.flags.bool("full") ? record.key : String(record.key.prefix(39))) + "\n")
            }
            return 0
        } catch let error as FetchError {
            return context.fail(error.render(debug: context.debug))
        } catch {
            return context.fail("\(error)")
        }
    }

    private static func trust(_ context: RktContext) -> Int32 {
        let flags = context.flags
        let root = flags.bool("root"), prefix = flags.string("prefix")
        // rkt's refusals, in its order: a key for every image needs --root said aloud.
        if prefix.isEmpty && !root {
            guard !flags.arguments.isEmpty else { return context.usage() }
            return context.fail(
                """
                aborting due to implicit unbounded trust (root domain)
                Please provide a specific domain prefix to trust:
                    rkt trust --prefix "example.com/foo" [PUBKEY]
                    rkt trust --prefix "example.com/foo/*" [PUBKEY]
                Otherwise, trust at the root domain (not recommended) must be explicitly requested:
                    rkt trust --root PUBKEY
                """)
        }
        if !prefix.isEmpty && root { return context.fail("--root and --prefix usage mutually exclusive") }
        if let scheme = URLScheme.of(prefix) { return context.fail("--prefix must not contain a URL scheme, omit \(scheme)://") }
        guard let insecure = insecureOptions(context) else { return context.usage() }
        let console = context.console
        let io = TrustIO(
            stdout: { console.out($0 + "\n") }, stderr: { console.errText($0 + "\n") },
            isTerminal: TrustIO.standard.isTerminal, readLine: TrustIO.standard.readLine)
        let store = TrustStore(
            systemConfig: flags.string("system-config"), localConfig: flags.string("local-config"),
            insecureAllowHTTP: flags.bool("insecure-allow-http") || insecure.contains(.http),
            insecureSkipTLSCheck: insecure.contains(.tls), trustKeysFromHTTPS: flags.bool("trust-keys-from-https"),
            debug: context.debug)
        do {
            try store.trust(
                keyFiles: flags.arguments, prefix: flags.string("prefix"), root: root,
                skipFingerprintReview: flags.bool("skip-fingerprint-review"), io: io)
            return 0
        } catch {
            return context.fail(error.render("error adding keys", debug: context.debug))
        }
    }
}
