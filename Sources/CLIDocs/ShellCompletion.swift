/// Shell completion scripts for bash and zsh, from a command tree: at each level its
/// subcommands and options, then what its arguments are (files, or the words a command
/// prints: images in the store, pods in a state). Both scripts find the command path the
/// same way: each word before the cursor that extends a known path extends it.
public enum ShellCompletion {
    /// A bash script defining `_PROGRAM` and registering it with `complete`.
    public static func bash(_ root: CommandDoc, header: String) -> String {
        let function = "_" + identifier(root.program)
        var cases = ""
        for command in root.all {
            let words = command.subcommands.map { $0.path.last ?? "" }.sorted() + completionOptions(command).map(\.completionWord)
            cases += "        \(quotedPath(command))) words=\(shellQuoted(words.joined(separator: " "))) ;;\n"
        }
        return """
            # \(header)
            \(function)() {
                local cur="${COMP_WORDS[COMP_CWORD]}" path="" word i files=""
                local known=\(shellQuoted(knownPaths(root)))
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
            \(argumentCases(root, words: { "words+=\" $(\($0))\"" }, files: "files=1"))        esac
                fi
                COMPREPLY=($(compgen -W "$words" -- "$cur"))
                if [[ -n "$files" ]]; then
                    compopt -o filenames 2>/dev/null
                    COMPREPLY+=($(compgen -f -- "$cur"))
                fi
                [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == *= ]] && compopt -o nospace 2>/dev/null
            }
            complete -F \(function) \(root.program)

            """
    }

    /// A zsh completion function file (`_PROGRAM`, for a directory on `$fpath`): the same
    /// words as bash's, with each subcommand's and option's summary beside it.
    public static func zsh(_ root: CommandDoc, header: String) -> String {
        let function = "_" + identifier(root.program)
        var cases = ""
        for command in root.all {
            let subcommands = command.subcommands.map { describe($0.path.last ?? "", $0.summary) }
            let options = completionOptions(command)
            let valued = options.filter(\.takesValue).map { describe($0.completionWord, $0.usage) }
            let flags = options.filter { !$0.takesValue }.map { describe($0.completionWord, $0.usage) }
            cases += "        \(quotedPath(command)))\n"
            cases += "            commands=(\(subcommands.joined(separator: " ")))\n"
            cases += "            valued=(\(valued.joined(separator: " ")))\n"
            cases += "            flags=(\(flags.joined(separator: " "))) ;;\n"
        }
        return """
            #compdef \(root.program)
            # \(header)
            \(function)() {
                local cmdpath="" word i
                local known=\(shellQuoted(knownPaths(root)))
                for ((i = 2; i < CURRENT; i++)); do
                    word="${words[i]}"
                    [[ "$word" == -* ]] && continue
                    [[ "$known" == *"|${cmdpath:+$cmdpath }$word|"* ]] && cmdpath="${cmdpath:+$cmdpath }$word"
                done
                local -a commands valued flags arguments
                case "$cmdpath" in
            \(cases)    esac
                if [[ "$PREFIX" == -* ]]; then
                    (( ${#flags} )) && _describe -t options option flags
                    (( ${#valued} )) && _describe -t options option valued -S ''
                    return 0
                fi
                (( ${#commands} )) && _describe -t commands command commands
                case "$cmdpath" in
            \(argumentCases(root, words: { "arguments=(${(f)\"$(\($0))\"}); compadd -a arguments" }, files: "_files"))        esac
                return 0
            }
            # Autoloaded from $fpath, it is the completion function; sourced, it registers one.
            if [[ "${funcstack[1]}" == \(function) ]]; then
                \(function) "$@"
            else
                compdef \(function) \(root.program)
            fi

            """
    }

    /// The options a shell offers at a command: its own and the inherited ones, by name.
    private static func completionOptions(_ command: CommandDoc) -> [OptionDoc] {
        (command.options + command.inheritedOptions).sorted { $0.name < $1.name }
    }

    /// `|image|image list|...|`: every command path below the program.
    private static func knownPaths(_ root: CommandDoc) -> String {
        "|" + root.all.dropFirst().map { $0.path.dropFirst().joined(separator: " ") }.joined(separator: "|") + "|"
    }

    /// The `case` arms for commands whose arguments complete to something.
    private static func argumentCases(_ root: CommandDoc, words: (String) -> String, files: String) -> String {
        var groups: [(ArgumentCompletion, [String])] = []
        for command in root.all where command.arguments != .none {
            if let index = groups.firstIndex(where: { $0.0 == command.arguments }) {
                groups[index].1.append(quotedPath(command))
            } else {
                groups.append((command.arguments, [quotedPath(command)]))
            }
        }
        return groups.map { completion, paths in
            let action: String
            switch completion {
            case .none: action = ":"
            case .files: action = files
            case .words(let shellCommand): action = words(shellCommand)
            }
            return "            \(paths.joined(separator: "|"))) \(action) ;;\n"
        }.joined()
    }

    private static func quotedPath(_ command: CommandDoc) -> String {
        "\"" + command.path.dropFirst().joined(separator: " ") + "\""
    }

    /// `'word:summary'` for `_describe`, colons in the word escaped.
    private static func describe(_ word: String, _ summary: String) -> String {
        var escaped = ""
        for c in word { if c == ":" { escaped += "\\:" } else { escaped.append(c) } }
        return shellQuoted(escaped + ":" + summary)
    }

    /// A single-quoted shell word.
    static func shellQuoted(_ text: String) -> String {
        var out = "'"
        for c in text { if c == "'" { out += "'\\''" } else { out.append(c) } }
        return out + "'"
    }

    private static func identifier(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
