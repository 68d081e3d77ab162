import ImageKit

extension Command {
    /// Ours, not actool's: the image ID rkt would give each file, in one streaming pass.
    static let imageID = Command(
        name: "image-id",
        summary: "Print the image ID of one or more ACIs",
        usage: "[--short] ACI_FILE...",
        description: """
            Print the image ID of each ACI, one per line: sha512- followed by the
            hex SHA-512 of the uncompressed tar, whatever the compression.
            With --short, print rkt's short form (sha512- and 32 hex digits).
            """,
        declareFlags: { flags in
            flags.bool("short", usage: "Print rkt's short form of the ID (sha512- and 32 hex digits)")
        },
        run: { flags, args, _, console in
            guard !args.isEmpty else {
                console.error("image-id: Must provide one or more files")
                return 1
            }
            var exit: Int32 = 0
            for path in args {
                do throws(ImageKitError) {
                    let stream = try ACIStream(path: path, pipelined: true)
                    defer { stream.close() }
                    // The tar is walked, not only hashed: an image cut short has no ID, as
                    // `validate` and `rkt fetch` refuse it.
                    let id = try TarReader(stream, hashing: true).imageID()
                    console.out((flags.isSet("short") ? id.short : id.description) + "\n")
                } catch .notAnArchive {
                    console.error("image-id: \(path): not an image: the file is text (a manifest?)")
                    exit = 1
                } catch .unknownFileType {
                    console.error("image-id: \(path): not an image: not a gzip, bzip2, xz or tar stream")
                    exit = 1
                } catch {
                    console.error("image-id: \(path): \(error)")
                    exit = 1
                }
            }
            return exit
        })
}
