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
        var cases = ""
        var paths: [String] = []
        func add(_ command: RktCommand, path: [String]) {
            let flags = (command.flags + globalFlags).filter { !$0.hidden && $0.deprecated == nil }.map { "--" + $0.name + ($0.kind == .bool ? "" : "=") }.sorted()
            let visible = command.subcommands.filter { !$0.hidden }
            let words = visible.map(\.name).sorted() + flags
            let key = path.joined(separator: " ")
            if !key.isEmpty { paths.append(key) }
            cases += "        \"\(key)\") words=\"\(words.joined(separator: " "))\" ;;\n"
            for sub in visible { add(sub, path: path + [sub.name]) }
        }
        add(root, path: [])
        return """
            # bash completion for rkt: source <(rkt completion bash)
            __rkt_images() { rkt image list --no-legend 2>/dev/null | awk '{print $1}'; }
            __rkt_pods() { rkt list --no-legend 2>/dev/null | awk -v state="$1" '$0 ~ state {print $1}' | sort -u; }
            _rkt() {
                local cur="${COMP_WORDS[COMP_CWORD]}" path="" word i
                local known="|\(paths.joined(separator: "|"))|"
                for ((i = 1; i < COMP_CWORD; i++)); do
                    word="${COMP_WORDS[i]}"
                    [[ "$word" == -* ]] && continue
                    [[ "$known" == *"|${path:+$path }$word|"* ]] && path="${path:+$path }$word"
                done
                local words=""
                case "$path" in
            \(cases)    esac
                if [[ "$cur" != -* ]]; then
                    case "$path" in
                        "run"|"prepare"|"image rm"|"image cat-manifest"|"image export"|"image extract"|"image render"|"image verify") words+=" $(__rkt_images)" ;;
                        "run-prepared") words+=" $(__rkt_pods prepared)" ;;
                        "enter"|"stop"|"debug"|"bind"|"unbind") words+=" $(__rkt_pods running)" ;;
                        "rm"|"export") words+=" $(__rkt_pods 'prepare|exited')" ;;
                        "status"|"cat-manifest") words+=" $(__rkt_pods)" ;;
                    esac
                fi
                COMPREPLY=($(compgen -W "$words" -- "$cur"))
                [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *= ]] && compopt -o nospace
            }
            complete -F _rkt rkt

            """
    }
}
