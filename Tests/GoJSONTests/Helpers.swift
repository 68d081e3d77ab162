@testable import GoJSON

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// The syntax error `parse` throws for `input`, or nil if it parses.
func syntaxError(_ input: [UInt8]) -> JSONSyntaxError? {
    do {
        _ = try GoJSON.parse(input)
        return nil
    } catch {
        return error
    }
}

func root(_ input: String) throws -> JSONValue {
    try GoJSON.parse(bytes(input)).root
}
