import CLISupport

// libFuzzer target: flag soup through both command lines' parsers, without running any
// command: rkt's cobra/pflag parsing and command lookup (help pages and usage errors
// included), and actool's Go flag sets, global and per command. The input is split into
// arguments at NUL bytes and newlines.
// fuzz-modules: RktCLI ActoolCLI CLIDocs CLISupport PodKit PodNetwork Cgroups Seccomp ImageFetch ImageRender ImageStore OCIImage RktConfig ImageKit AppcSchema GoJSON GoCompat LinuxSystem SQLite CLinux CRootPath CPodCommon
// fuzz-link: -larchive -lcrypto -lz -lsqlite3 -lseccomp
@testable import ActoolCLI
@testable import RktCLI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLines(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let arguments = bytes.split(omittingEmptySubsequences: false) { $0 == 0 || $0 == 10 }.map { String(decoding: $0, as: UTF8.self) }
    let console = Console(out: { _ in }, err: { _ in })
    _ = Rkt.parse(arguments: ["rkt"] + arguments, console: console)
    let global = Actool.globalFlags()
    try? global.parse(arguments, report: { _ in }, usage: {})
    for command in Commands.all {
        let flags = command.makeFlags()
        try? flags.parse(arguments, report: { _ in }, usage: {})
    }
    return 0
}
