import GoCompat

extension App {
    /// The first field whose string would reach a process's path, argv or environment and
    /// holds a NUL byte, described for a message (`environment variable "FOO"`), or nil.
    ///
    /// JSON allows `\u0000` in strings and Go's actool accepts it; no system call can take
    /// such a string, and in stage1's plan (NUL-separated tokens) it would end a token early.
    /// So a runtime refuses the app before anything of it runs.
    public var fieldWithNULByte: String? {
        func hasNUL(_ text: String) -> Bool { text.utf8.contains(0) }
        for (index, argument) in (exec ?? []).enumerated() where hasNUL(argument) {
            return index == 0 ? "exec path" : "exec argument \(index)"
        }
        for handler in eventHandlers {
            for (index, argument) in (handler.exec ?? []).enumerated() where hasNUL(argument) {
                return "\(handler.name) handler " + (index == 0 ? "path" : "argument \(index)")
            }
        }
        for variable in environment where hasNUL(variable.name) || hasNUL(variable.value) {
            return "environment variable \(goQuote(variable.name))"
        }
        if hasNUL(workingDirectory) { return "working directory" }
        if hasNUL(user) { return "user" }
        if hasNUL(group) { return "group" }
        for mountPoint in mountPoints where hasNUL(mountPoint.path) {
            return "mount point \(goQuote(mountPoint.name.value)) path"
        }
        return nil
    }
}
