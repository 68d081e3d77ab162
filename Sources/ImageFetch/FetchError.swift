import LinuxSystem

/// An error as rkt reports it: a chain of wrapped messages (hashicorp/errwrap),
/// outermost first. rkt prints only the innermost message unless `--debug` is on,
/// when it prints the whole chain as a tree (`pkg/log`'s `formatErr`).
public struct FetchError: SystemFailure, Sendable, Equatable, CustomStringConvertible {
    /// The messages, outermost first; never empty.
    public private(set) var chain: [String]

    /// A single message.
    public init(_ message: String) {
        chain = [message]
    }

    /// A chain of messages, outermost first.
    public init(chain: [String]) {
        self.chain = chain.isEmpty ? ["unknown error"] : chain
    }

    /// A system error, with its causes as the rest of the chain.
    public static func system(_ error: SystemError) -> FetchError {
        FetchError(chain: error.chain)
    }

    /// Wraps this error in an outer message (errwrap.Wrap(outer, self)).
    public func wrapped(_ outer: String) -> FetchError {
        FetchError(chain: [outer] + chain)
    }

    /// The innermost message: what rkt prints without `--debug`.
    public var message: String { chain.last ?? "" }

    /// The innermost message.
    public var description: String { message }

    /// rkt's `formatErr(err, msg)`: `msg: innermost` normally; with `debug`, `msg`
    /// followed by one `  └─text` line per chained error, indented one step deeper each.
    /// The caller prints the result after its `SUBCOMMAND: ` prefix, e.g.
    /// `fetch: ` + `error.render(debug: false)`, or `trust: ` +
    /// `error.render("error adding keys", debug: false)`.
    public func render(_ context: String = "", debug: Bool) -> String {
        if !debug {
            return context.isEmpty ? message : context + ": " + message
        }
        var out = context
        for (i, text) in chain.enumerated() {
            out += "\n" + String(repeating: "  ", count: i + 1) + "└─" + text
        }
        while out.hasSuffix("\n") { out.removeLast() }
        return out
    }
}
