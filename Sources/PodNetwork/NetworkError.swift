import GoCompat
import LinuxSystem

/// Why a pod's network could not be set up; `description` is the text after the command's prefix.
public enum NetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `--net` value rkt refuses (`netname must not be empty`, a duplicate, ...).
    case badList(String)
    /// A network definition could not be read or makes no sense: the file and the problem.
    case badConfig(file: String, problem: String)
    /// Networks asked for that no definition names.
    case notFound([String])
    /// No executable for a plugin type in the search path.
    case pluginNotFound(type: String, searched: [String])
    /// A plugin call failed: the network, the command, and what the plugin said.
    case pluginFailed(network: String, command: String, message: String)
    /// A `--port` value or mapping rkt refuses.
    case badPort(String)
    case system(SystemError)

    public var description: String {
        switch self {
        case let .badList(text): return text
        case let .badConfig(file, problem): return "error loading \(file): \(problem)"
        case let .notFound(names): return "networks not found: \(names.joined(separator: ", "))"
        case let .pluginNotFound(type, searched):
            return "could not find plugin \(goQuote(type)) in \(searched.joined(separator: ":"))"
                + " (the standard plugins are in Debian's containernetworking-plugins package)"
        case let .pluginFailed(network, command, message):
            return "\(command == "ADD" ? "error adding" : "error deleting") network \(goQuote(network)): \(message)"
        case let .badPort(text): return text
        case let .system(error): return error.description
        }
    }
}
