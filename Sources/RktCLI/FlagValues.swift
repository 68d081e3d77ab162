import GoCompat

/// rkt's own flag value types, checked as their `Set` methods check them; a refused value
/// is pflag's `invalid argument` usage error (printed, nil returned).
extension RktContext {
    /// An `OptionList` (`--fields`, `--sort`): comma-separated, case-insensitive, each option
    /// permitted and given once; empty means none.
    func optionList(_ flag: String, permitted: [String]) -> [String]? {
        let text = flags.string(flag)
        guard !text.isEmpty else { return [] }
        var options: [String] = []
        for option in text.lowercased().split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard permitted.contains(option) else {
                _ = usageError(flags.invalidArgument(flag, "unknown option \(goQuote(option))"))
                return nil
            }
            guard !options.contains(option) else {
                _ = usageError(flags.invalidArgument(flag, "duplicated option \(goQuote(option))"))
                return nil
            }
            options.append(option)
        }
        return options
    }

    /// `--format` of list, image list and status: "", `json` or `json-pretty`.
    func outputFormat() -> String? {
        let format = flags.string("format")
        guard ["", "json", "json-pretty"].contains(format) else {
            _ = usageError(flags.invalidArgument("format", "Invalid format option: \(format)"))
            return nil
        }
        return format
    }
}
