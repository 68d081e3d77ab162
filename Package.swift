// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "appc-tools",
    products: [
        .executable(name: "actool", targets: ["actool-swift"]),
        .executable(name: "rkt", targets: ["rkt"]),
        .executable(name: "rkt-stage1", targets: ["rkt-stage1"]),
        .executable(name: "appc-docs", targets: ["appc-docs"]),
        .library(name: "ImageKit", targets: ["ImageKit"]),
    ],
    targets: [
        // System libraries: one modulemap + umbrella header each.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // zlib, only to find where a gzip member ends (libarchive does not say).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SQLite, the image store's index (`cas/db/images.db`).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // libseccomp, to compile apps' syscall filters (stage0; stage1 only loads them).
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // What the pod's init (rkt-stage1) and `rkt enter` (CLinux) both do to a process about
        // to become an app's: signal reset, capability limits, dying by a child's signal.
        .target(name: "CPodCommon"),
        // The one shim for Linux calls Swift cannot reach directly.
        .target(name: "CLinux", dependencies: ["CPodCommon", "CRootPath"]),
        // Paths resolved inside a root directory without following a link out of it (fd by
        // fd, no magic links): every file stage0 or stage1 creates or mounts in a pod.
        .target(name: "CRootPath"),
        // Linux system calls wrapped for Swift, no domain knowledge: system errors, paths
        // resolved inside a root directory (CRootPath), copies that keep holes and never
        // open special files.
        .target(name: "LinuxSystem", dependencies: ["GoCompat", "CRootPath", "CLinux"]),

        // Go's observable behaviour where the tools must match it byte for byte, no domain
        // knowledge: strconv (Quote, ParseBool), path.Clean, time (durations, RFC 3339, the
        // layouts rkt prints), text/tabwriter, go-humanize.
        .target(name: "GoCompat"),
        // JSON with Go encoding/json's observable behaviour (syntax errors, escaping, indenting).
        .target(name: "GoJSON"),
        // appc manifest types, decoding in Go's order, validation and canonical encoding. No I/O.
        .target(name: "AppcSchema", dependencies: ["GoJSON", "GoCompat"]),
        // Images: ACI reading, file type sniffing, image IDs, layout and archive validation.
        .target(name: "ImageKit", dependencies: ["AppcSchema", "GoCompat", "CArchive", "CCrypto", "CZlib", "LinuxSystem"]),
        // An SQLite connection, statements and transactions, no domain knowledge.
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        // rkt's image store: blobs by key, the index, lookups by ID prefix and by name.
        .target(name: "ImageStore", dependencies: ["AppcSchema", "GoCompat", "GoJSON", "ImageKit", "LinuxSystem", "SQLite"]),
        // Rendering images with their dependencies: layer trees, rkt's tree store, safe extraction.
        .target(name: "ImageRender", dependencies: ["GoCompat", "ImageStore", "ImageKit", "AppcSchema", "CArchive", "CLinux", "LinuxSystem"]),
        // Docker and OCI images, no network: references, digests, manifests, indexes and
        // configs, OCI layouts and `docker save` archives, and their conversion to ACIs by
        // docker2aci's rules (squashed, or one image per layer).
        .target(name: "OCIImage", dependencies: ["AppcSchema", "GoCompat", "GoJSON", "ImageKit", "CArchive", "LinuxSystem"]),
        // How `rkt fetch` gets images into the store (files, URLs, discovery), signature
        // checks against trusted keys (`rkt trust`), and appc discovery (`actool discover`).
        // Run time: libcurl4 (loaded with dlopen, no -dev package), gpgv.
        .target(name: "ImageFetch", dependencies: ["GoCompat", "ImageStore", "ImageKit", "AppcSchema", "GoJSON", "CCrypto", "LinuxSystem", "OCIImage", "RktConfig"]),
        // rkt's configuration directories (auth.d, paths.d, stage1.d), merged as rkt merges them.
        .target(name: "RktConfig", dependencies: ["GoCompat", "GoJSON", "LinuxSystem"]),
        // Pod networks through CNI plugins: `--net` lists, net.d definitions, plugin calls,
        // the network namespace, net-info.json, port forwarding, tear-down records.
        .target(name: "PodNetwork", dependencies: ["CPodCommon", "GoCompat", "GoJSON", "LinuxSystem"]),
        // Pods' cgroups: the host's hierarchies (v1 or v2), rkt's layout, apps' limits, removal.
        .target(name: "Cgroups", dependencies: ["LinuxSystem"]),
        // Apps' seccomp filters: rkt's isolator rules and syscall groups, compiled to BPF.
        .target(name: "Seccomp", dependencies: ["AppcSchema", "CSeccomp", "GoCompat", "LinuxSystem"]),
        // Pods: rkt's pod directories and states, stage0's prepare, the stage1 plan and
        // handover, enter's view of an app, gc.
        .target(
            name: "PodKit",
            dependencies: ["GoCompat", "ImageFetch", "ImageRender", "ImageStore", "ImageKit", "AppcSchema", "CLinux", "LinuxSystem", "PodNetwork", "Seccomp", "Cgroups"]),
        // What both command lines share: the console and its output sinks.
        .target(name: "CLISupport", dependencies: ["GoCompat", "LinuxSystem"]),
        // actool's command line (Go flag semantics), testable in-process.
        .target(name: "ActoolCLI", dependencies: ["CLIDocs", "GoCompat", "AppcSchema", "ImageKit", "ImageFetch", "OCIImage", "CLISupport", "LinuxSystem"]),
        .executableTarget(name: "actool-swift", dependencies: ["ActoolCLI", "LinuxSystem"]),
        // rkt's command line (cobra/pflag semantics, exit 254), testable in-process.
        .target(
            name: "RktCLI",
            dependencies: ["CLIDocs", "GoCompat", "RktConfig", "ImageStore", "ImageRender", "ImageFetch", "PodKit", "PodNetwork", "Cgroups", "CLISupport", "LinuxSystem"]),
        .executableTarget(name: "rkt", dependencies: ["RktCLI", "LinuxSystem"]),
        // Man pages and bash/zsh completions, generated from the command tables (no I/O of its own).
        .target(name: "CLIDocs"),
        // Writes both tools' man pages and completions into a share directory (`make docs`).
        .executableTarget(name: "appc-docs", dependencies: ["ActoolCLI", "RktCLI", "CLIDocs", "CLISupport", "ImageStore", "LinuxSystem"]),
        // The stage1 supervisor and pod init, in C: it must stay tiny (a few hundred KiB of RSS)
        // and it is all fork/exec, namespaces and mounts. It executes the plan rkt writes
        // (`stage1/plan` in the pod); every policy decision is made in Swift. Linked statically:
        // SwiftPM links even a C executable against libswiftCore and libstdc++, whose mapped
        // pages alone would triple stage1's RSS.
        .executableTarget(name: "rkt-stage1", dependencies: ["CRootPath", "CPodCommon"], linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "-s"])]),

        // What the tests share: scratch directories, run results, a tar writer for hostile archives.
        .target(name: "TestSupport", dependencies: ["ImageKit", "CArchive", "LinuxSystem"]),
        // A helper the fetch tests run as a separate process (two fetchers racing, a fetch killed).
        .executableTarget(
            name: "fetch-child", dependencies: ["ImageFetch", "ImageStore", "LinuxSystem"],
            path: "Tests/Helpers/fetch-child"),

        .testTarget(name: "GoJSONTests", dependencies: ["GoJSON"]),
        .testTarget(name: "GoCompatTests", dependencies: ["GoCompat"]),
        .testTarget(name: "LinuxSystemTests", dependencies: ["LinuxSystem"]),
        .testTarget(name: "AppcSchemaTests", dependencies: ["AppcSchema", "GoCompat"]),
        .testTarget(name: "ImageKitTests", dependencies: ["GoCompat", "ImageKit", "TestSupport"]),
        // Tests need python3, openssl, gpg, gpgv, gzip (and coreutils' sha512sum).
        .testTarget(name: "ImageFetchTests", dependencies: ["fetch-child", "GoCompat", "ImageFetch", "ImageStore", "ImageKit", "AppcSchema", "TestSupport"]),
        // Docker references, OCI layouts and the conversion to ACIs (no root; skopeo for `docker save` archives).
        .testTarget(name: "OCIImageTests", dependencies: ["OCIImage", "ImageKit", "AppcSchema", "CArchive", "LinuxSystem", "TestSupport"]),
        .testTarget(name: "ImageRenderTests", dependencies: ["GoCompat", "ImageRender", "ImageStore", "ImageKit", "AppcSchema", "TestSupport"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "AppcSchema", "LinuxSystem"]),
        .testTarget(name: "ImageStoreTests", dependencies: ["ImageStore", "ImageKit", "TestSupport"]),
        // The plan builder's golden plans and the Swift writer against stage1's reader (`rkt-stage1 --check-plan`); no root.
        .testTarget(name: "PodKitTests", dependencies: ["PodKit", "Seccomp", "Cgroups", "TestSupport"], exclude: ["Golden"]),
        .testTarget(
            name: "RktCLITests", dependencies: ["GoCompat", "RktCLI", "PodKit", "AppcSchema", "CLISupport", "ImageStore", "ImageRender", "ImageKit", "LinuxSystem", "TestSupport"]),
        // Real pods (needs root, namespaces, overlayfs and busybox-static): run, list, status, enter, stop, gc.
        .testTarget(name: "PodIntegrationTests", dependencies: ["GoCompat", "PodKit", "ImageKit", "CLISupport", "TestSupport"]),
        // Man pages and completions of both tools (needs mandoc, bash, zsh).
        .testTarget(name: "CLIDocsTests", dependencies: ["CLIDocs", "ActoolCLI", "RktCLI", "LinuxSystem", "TestSupport"]),
        .testTarget(name: "ActoolCLITests", dependencies: ["GoCompat", "ActoolCLI", "CLISupport", "ImageKit", "CArchive", "TestSupport"]),
    ]
)
