import AppcSchema
import CLISupport

extension Console {
    /// `prefix` and an error on one stderr line; a manifest error's exact bytes
    /// (a decorated syntax error may quote source bytes that are not UTF-8).
    func error(_ prefix: String, _ failure: any Error) {
        error(prefix, detail: (failure as? ManifestError)?.messageBytes ?? Array("\(failure)".utf8))
    }
}
