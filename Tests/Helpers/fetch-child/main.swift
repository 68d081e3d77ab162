// A test helper, not a tool: fetches one image into a store as a separate process, so
// the fetch tests can race two processes on one store and kill one mid-download.
//
//   fetch-child STORE URL LOCAL-CONFIG INSECURE-OPTIONS RESULT-FILE
//
// Writes the image's key (or `error: TEXT`) to RESULT-FILE and exits 0.
import Glibc
import ImageFetch
import ImageStore
import LinuxSystem

let arguments = CommandLine.arguments
guard arguments.count == 6 else {
    try? Files.writeAll(2, Array("usage: fetch-child STORE URL LOCAL-CONFIG INSECURE-OPTIONS RESULT-FILE\n".utf8), path: "/dev/stderr")
    exit(2)
}
let (storeDirectory, url, localConfig, insecure, resultPath) = (arguments[1], arguments[2], arguments[3], arguments[4], arguments[5])
var text: String
do {
    let store = try ImageStore(directory: storeDirectory)
    var options = FetchOptions(insecure: try InsecureOptions.parse(insecure))
    options.localConfig = localConfig
    options.systemConfig = "/nonexistent"
    options.withDependencies = false
    text = try Fetcher(store: store, options: options, log: { _ in }).fetch(url).key
} catch {
    text = "error: \(error)"
}
try? Files.writeFile(resultPath, Array(text.utf8))
