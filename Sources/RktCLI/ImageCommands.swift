import AppcSchema
import CLISupport
import Glibc
import GoCompat
import GoJSON
import ImageKit
import ImageRender
import ImageStore
import LinuxSystem

extension Rkt {
    static let imageCommand = RktCommand(
        name: "image", summary: "Operate on image(s) in the local store", usage: "[command]",
        long: """
            This subcommand operates on image(s) in the local store.

            The "cat-manifest", "export", "extract", "render", and "rm" subcommands
            take the ID or image name to reference images in the local store.

            The ID can be specified using the long or short version, i.e. "sha512-78c08a541997",
            or "sha512-78c08a5419979fff71e615f27aad75b84362a3cd9a13703b9d47ec27d1cfd029".

            The image name can be specified including the version tag as stored in the local store,
            i.e. "quay.io/coreos/etcd:latest", or "quay.io/coreos/etcd:v3.0.13".

            The version tag may be left out, i.e. "quay.io/coreos/etcd".
            In case of ambiguity, the least recently fetched image with this name will be chosen.
            """,
        subcommands: [imageFetch, imageCatManifest, imageExport, imageExtract, imageGC, imageList, imageRender, imageRemove, imageVerify])

    /// rkt's hidden copy of `fetch` under `image`.
    static let imageFetch = RktCommand(
        name: "fetch", summary: fetchCommand.summary, usage: fetchCommand.usage, long: fetchCommand.long, flags: fetchCommand.flags,
        interspersed: fetchCommand.interspersed, hidden: true, run: fetchCommand.run)

    static let imageList = RktCommand(
        name: "list", summary: "List images in the local store", usage: "",
        long: "Optionally, allows the user to specify the fields and sort order.",
        flags: [
            .string(
                "fields", default: "id,name,size,importtime,lastused",
                #"comma-separated list of fields to display. Accepted values: "id", "name", "size", "importtime", "lastused""#
            ).plain(),
            .bool("full", "use long output format"),
            .bool("no-legend", "suppress a legend with the list"),
            .string("order", default: "asc", #"choose the sorting order if at least one sort field is provided (--sort). Accepted values: "asc", "desc""#).plain(),
            .string(
                "sort", default: "importtime",
                #"sort the output according to the provided comma-separated list of fields. Accepted values: "name", "importtime", "lastused", "size""#
            ).plain(),
            .listFormat,
        ],
        run: { context in listImages(context) })

    static let imageRemove = RktCommand(
        name: "rm", summary: "Remove one or more images with the given IDs or image names from the local store",
        usage: "IMAGE...", long: "Unlike image gc, image rm allows users to remove specific images.",
        flags: [.bool("force", "remove images even when another stored image depends on them")],
        run: { context in removeImages(context) })

    static let imageCatManifest = RktCommand(
        name: "cat-manifest", summary: "Inspect and print the image manifest", usage: "IMAGE",
        long: "IMAGE should be a string referencing an image; either a ID or an image name.",
        flags: [.prettyPrint],
        run: { context in
            let flags = context.flags
            guard flags.arguments.count == 1 else { return context.usage() }
            do {
                let store = try context.openStore()
                let record = try resolveImage(flags.arguments[0], in: store)
                let compact = try store.manifest(record.key).encoded()
                context.console.out((flags.bool("pretty-print") ? GoJSON.indent(compact, indent: "\t") : compact) + [0x0a])
                return 0
            } catch {
                return context.fail("\(error)")
            }
        })

    static let imageExport = RktCommand(
        name: "export", summary: "Export a stored image to an ACI file", usage: "IMAGE OUTPUT_ACI_FILE",
        long: """
            IMAGE should be a string referencing an image: either an ID or an image name.

            Note that images must be fetched prior to running export and that this command
            always returns uncompressed ACIs
            """,
        flags: [.bool("overwrite", "overwrite output ACI")],
        run: { context in
            let flags = context.flags
            guard flags.arguments.count == 2 else { return context.usage() }
            let output = flags.arguments[1]
            var info = stat()
            if !flags.bool("overwrite"), lstat(output, &info) == 0 { return context.fail("output ACI file exists (try --overwrite)") }
            do {
                let store = try context.openStore()
                let record = try resolveImage(flags.arguments[0], in: store)
                let source = open(store.blobPath(record.key), O_RDONLY | O_CLOEXEC)
                guard source >= 0 else { return context.fail("open \(store.blobPath(record.key)): \(errnoText(errno))") }
                defer { close(source) }
                let file = try AtomicFile(path: output)
                defer { file.discard() }
                try Files.copy(from: source, to: file.fd, path: output)
                try file.commit(replace: flags.bool("overwrite"))
                return 0
            } catch {
                return context.fail("\(error)")
            }
        })

    /// An image given by ID prefix (`sha512-...`) or by `name[:version]`.
    static func resolveImage(_ text: String, in store: ImageStore) throws(StoreError) -> ImageRecord {
        if text.hasPrefix(ImageID.algorithmPrefix) { return try store.record(idPrefix: text) }
        var name = Substring(text)
        var labels: [Label] = []
        if let colon = text.lastIndex(of: ":") {
            name = text[..<colon]
            if let version = try? Label(name: "version", value: String(text[text.index(after: colon)...])) {
                labels.append(version)
            }
        }
        return try store.record(name: String(name), labels: labels)
    }

    /// `NAME` or `NAME:VERSION`, as rkt's tables show images.
    static func displayName(_ record: ImageRecord) -> String {
        record.version.map { record.name + ":" + $0 } ?? record.name
    }

    private static func listImages(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard let fields = context.optionList("fields", permitted: ["id", "name", "size", "importtime", "lastused"]),
            let sortFields = context.optionList("sort", permitted: ["name", "importtime", "lastused", "size"]),
            let format = context.outputFormat()
        else { return Rkt.failure }
        let order = flags.string("order").lowercased()
        guard ["asc", "desc"].contains(order) else { return context.usageError(flags.invalidArgument("order", "wrong sort order")) }
        var records: [ImageRecord]
        do {
            records = try context.openStore().records()
        } catch {
            return context.fail("\(error)")
        }
        // rkt's SIZE: the blob and the image's rendered trees.
        if let store = try? context.openStore() {
            let treeSizes = TreeStore(store: store).treeSizesByImage()
            records = records.map { record in
                var sized = record
                sized.size += treeSizes[record.key] ?? 0
                return sized
            }
        }
        let sorted = sortRecords(records, by: sortFields, descending: order == "desc")
        switch format {
        case "json", "json-pretty":
            let items: [JSONValue] = sorted.map { record in
                .object([
                    JSONMember(key: "id", value: .string(record.key)),
                    JSONMember(key: "name", value: .string(displayName(record))),
                    JSONMember(key: "import_time", value: .number(String(record.importTime))),
                    JSONMember(key: "last_used_time", value: .number(String(record.lastUsed))),
                    JSONMember(key: "size", value: .number(String(record.size))),
                ])
            }
            let compact = items.isEmpty ? Array("null".utf8) : GoJSON.encodeCompact(.array(items))
            let text = format == "json-pretty" ? GoJSON.indent(compact, indent: "\t") : compact
            context.console.out(text + [0x0a])
            return 0
        default:
            break
        }
        let full = flags.bool("full")
        let now = WallClock.nanoseconds()
        var text = ""
        if !flags.bool("no-legend") {
            let titles = ["id": "ID", "name": "NAME", "importtime": "IMPORT TIME", "lastused": "LAST USED", "size": "SIZE"]
            text += fields.map { titles[$0] ?? $0 }.joined(separator: "\t") + "\n"
        }
        for record in sorted {
            let cells: [String] = fields.map { field in
                switch field {
                case "id": return full ? record.key : String(record.key.prefix(19))
                case "name": return displayName(record)
                case "size": return full ? String(record.size) : GoFormats.binarySize(record.size)
                case "importtime": return full ? GoFormats.timestamp(nanoseconds: record.importTime) : GoFormats.relative(nanoseconds: record.importTime, now: now)
                default: return full ? GoFormats.timestamp(nanoseconds: record.lastUsed) : GoFormats.relative(nanoseconds: record.lastUsed, now: now)
                }
            }
            text += cells.joined(separator: "\t") + "\n"
        }
        context.console.out(text.isEmpty ? "\n" : TabWriter.format(text))
        return 0
    }

    private static func sortRecords(_ records: [ImageRecord], by fields: [String], descending: Bool) -> [ImageRecord] {
        func compare(_ a: ImageRecord, _ b: ImageRecord, _ field: String) -> Int {
            switch field {
            case "id": return a.key < b.key ? -1 : (a.key > b.key ? 1 : 0)
            case "name": return a.name < b.name ? -1 : (a.name > b.name ? 1 : 0)
            case "size": return a.size < b.size ? -1 : (a.size > b.size ? 1 : 0)
            case "lastused": return a.lastUsed < b.lastUsed ? -1 : (a.lastUsed > b.lastUsed ? 1 : 0)
            default: return a.importTime < b.importTime ? -1 : (a.importTime > b.importTime ? 1 : 0)
            }
        }
        return records.sorted { a, b in
            for field in fields {
                let c = compare(a, b, field)
                if c != 0 { return descending ? c > 0 : c < 0 }
            }
            return false
        }
    }

    private static func removeImages(_ context: RktContext) -> Int32 {
        let flags = context.flags
        guard !flags.arguments.isEmpty else { return context.usage() }
        let store: ImageStore
        do {
            store = try context.openStore()
        } catch {
            return context.fail("\(error)")
        }
        var removed = 0
        var failed = false
        // As rkt: every argument is resolved first, and an image named twice (by ID and by
        // name, or twice) is removed once.
        var records: [ImageRecord] = []
        for argument in flags.arguments {
            do {
                let record = try resolveImage(argument, in: store)
                if !records.contains(where: { $0.key == record.key }) { records.append(record) }
            } catch {
                // rkt reports a name it cannot find without failing the command.
                context.console.error("rm: \(error)")
                if argument.hasPrefix(ImageID.algorithmPrefix) { failed = true }
            }
        }
        for record in records {
            do {
                if !flags.bool("force"), let user = try store.dependents(of: record).first {
                    context.console.error("rm: image \(goQuote(record.key)) is a dependency of \(displayName(user)) (\(user.key)); use --force to remove it anyway")
                    failed = true
                    continue
                }
                try store.remove(record.key)
                context.console.out("successfully removed aci for image: \(goQuote(record.key))\n")
                removed += 1
            } catch {
                context.console.error("rm: \(error)")
                failed = true
            }
        }
        if removed > 0 {
            _ = TreeStore(store: store).pruneLayers()
            context.console.error("rm: \(removed) image(s) successfully removed")
        }
        return failed ? failure : 0
    }
}
