import CLISupport
import Foundation
import ImageKit
import RktCLI
import TestSupport

/// Runs rkt in-process against the data directory `dir`.
func rkt(_ dir: String, _ args: String...) -> RunResult { rkt(dir, arguments: args) }

/// Runs rkt in-process against the data directory `dir`.
func rkt(_ dir: String, arguments args: [String]) -> RunResult { rktAsWritten(["--dir=\(dir)"] + args) }

/// Runs rkt in-process with exactly `args` after the program name (no `--dir`).
func rktAsWritten(_ args: [String]) -> RunResult {
    final class Buffer: @unchecked Sendable { var bytes: [UInt8] = [] }
    let out = Buffer(), err = Buffer()
    let console = Console(out: { out.bytes += $0 }, err: { err.bytes += $0 })
    let code = Rkt.main(arguments: ["rkt"] + args, console: console)
    return RunResult(code: code, out: String(decoding: out.bytes, as: UTF8.self), err: String(decoding: err.bytes, as: UTF8.self))
}
