import AppcSchema
import Glibc
import ImageFetch
import ImageKit
import LinuxSystem
import OCIImage

extension Command {
    /// Ours, not actool's: Docker and OCI images to ACIs, by docker2aci's rules.
    static let convert = Command(
        name: "convert",
        summary: "Convert a Docker or OCI image to an ACI",
        usage: "[--no-squash] [--no-compression] [--overwrite] [--insecure] SOURCE OUTPUT_FILE",
        description: """
            Convert a Docker or OCI image to an ACI, as docker2aci converts it. SOURCE is
            docker://[REGISTRY/]REPOSITORY[:TAG|@DIGEST] (a registry, over HTTPS),
            oci:PATH[:NAME] (an OCI image layout, a directory or a tar of one) or
            docker-archive:PATH[:REFERENCE] (a "docker save" archive). The layers are
            squashed into one image, whiteouts applied; with --no-squash each layer
            becomes an image of its own, written beside OUTPUT_FILE as
            NAME-layerN.aci (base first), and OUTPUT_FILE depends on them.
            """,
        declareFlags: { flags in
            flags.bool("no-squash", usage: "One image per layer, the top one depending on the others")
            flags.bool("no-compression", usage: "Do not gzip-compress the produced ACIs")
            flags.bool("overwrite", usage: "Overwrite target files if they already exist")
            flags.bool("insecure", usage: "Don't check TLS certificates and allow insecure non-TLS downloads over http")
        },
        run: { flags, args, _, console in
            guard args.count == 2 else {
                console.error("convert: Must provide a source image and an output file")
                return 1
            }
            let output = args[1]
            let compression: ImageCompression = flags.isSet("no-compression") ? .none : .defaultGzip
            let overwrite = flags.isSet("overwrite")
            let squash = !flags.isSet("no-squash")
            // What keeps the layers readable (open files, downloads) while converting.
            let source: AnyObject
            let input: ConversionInput
            do throws(FetchError) {
                if args[0].hasPrefix("docker:") {
                    let text = args[0].hasPrefix("docker://") ? String(args[0].dropFirst(9)) : String(args[0].dropFirst(7))
                    let reference: DockerReference
                    do throws(OCIError) {
                        reference = try DockerReference(parsing: text)
                    } catch {
                        throw FetchError("\(args[0]): \(error.message)")
                    }
                    let insecure = flags.isSet("insecure")
                    let image = try RegistryImage(reference, insecureTLS: insecure, allowHTTP: insecure, credentials: nil)
                    input = try image.download(topFirst: squash, directory: Files.directory(of: output))
                    source = image
                } else if let location = LocalImage.Location(args[0]) {
                    do throws(OCIError) {
                        let image = try LocalImage.open(location, scratch: Files.directory(of: output))
                        input = image.input
                        source = image
                    } catch {
                        throw FetchError(error.message)
                    }
                } else {
                    throw FetchError("\(args[0]): unknown source; use docker://REFERENCE, oci:PATH[:NAME] or docker-archive:PATH[:REFERENCE]")
                }
            } catch {
                console.error("convert: \(error.message)")
                return 1
            }
            do throws(OCIError) {
                if flags.isSet("no-squash") {
                    var stack = LayerImageStack()
                    let base = output.hasSuffix(".aci") ? String(output.dropLast(4)) : output
                    for index in input.layers.indices {
                        let isTop = index == input.layers.count - 1
                        let path = isTop ? output : "\(base)-layer\(index).aci"
                        let written = try ConvertOutput.write(path, overwrite: overwrite) { fd throws(OCIError) in
                            try ACIConverter.writeLayer(input, index: index, over: stack, to: fd, path: path, compression: compression)
                        }
                        try stack.add(written.manifest, id: written.id.description)
                    }
                } else {
                    _ = try ConvertOutput.write(output, overwrite: overwrite) { fd throws(OCIError) in
                        try ACIConverter.writeSquashed(input, to: fd, path: output, compression: compression)
                    }
                }
            } catch {
                // A download that failed is why the conversion could not read on.
                console.error("convert: \((source as? RegistryImage)?.failure?.message ?? error.message)")
                return 1
            }
            withExtendedLifetime(source) {}
            return 0
        })
}

/// Output files written whole or not at all.
enum ConvertOutput {
    static func write(_ path: String, overwrite: Bool, body: (Int32) throws(OCIError) -> ConvertedImage) throws(OCIError) -> ConvertedImage {
        if !overwrite, access(path, F_OK) == 0 { throw .system(SystemError("create", path, code: EEXIST)) }
        let file = try OCIError.wrappingSystem { () throws(SystemError) in try AtomicFile(path: path) }
        let written = try body(file.fd)
        try OCIError.wrappingSystem { () throws(SystemError) in try file.commit(replace: overwrite) }
        return written
    }
}
