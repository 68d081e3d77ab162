import CLIDocs

extension Rkt {
    static let completionCommand = RktCommand(
        name: "completion", summary: "Output shell completion code for the specified shell", usage: "SHELL",
        long: """
            This command outputs completion code for the specified shell. The generated
            code must be evaluated to provide interactive completion of rkt sub-commands.
            This can be done by sourcing it from the .bash_profile.

            Save completion code in a home directory and then include it in .bash_profile
            script:

            \t$ rkt completion bash > $HOME/.rkt.bash.inc
            \t$ printf '
            # rkt shell completion
            source "$HOME/.rkt.bash.inc"
            ' >> $HOME/.bash_profile
            \t$ source $HOME/.bash_profile

            Alternatively, include the completion code directly into the launched shell:

            \t$ source <(rkt completion bash)
            """,
        run: { context in completion(context) })

    /// rkt's `completion SHELL`: its messages for a missing, extra or unknown shell.
    private static func completion(_ context: RktContext) -> Int32 {
        let arguments = context.flags.arguments
        guard let shell = arguments.first else { return context.fail("shell type is not specified") }
        guard arguments.count == 1 else { return context.fail("too many arguments, only shell type is expected") }
        guard shell == "bash" else { return context.fail("'\(shell)' shell is not supported") }
        context.console.out(bashCompletion())
        return 0
    }

    /// A bash completion script for this command tree: subcommands and flags at each
    /// level, and, where a command takes them, the images of the store or the pods (in
    /// the state the command wants) as rkt's script offered them.
    static func bashCompletion() -> String {
        ShellCompletion.bash(documentation(), header: "bash completion for rkt: source <(rkt completion bash)")
    }
}
