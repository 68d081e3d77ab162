extension StringProtocol {
    /// Go's `strings.Trim(s, cutset)`: the leading and trailing characters in `cutset` removed.
    public func trimmingCharacters(in cutset: String) -> String {
        let set = Set(cutset)
        guard let start = firstIndex(where: { !set.contains($0) }), let end = lastIndex(where: { !set.contains($0) }) else { return "" }
        return String(self[start...end])
    }
}
