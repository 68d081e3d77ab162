/// `/proc/PID/mountinfo`, the kernel's table of a mount namespace's mounts.
public enum MountInfo {
    /// One line: where the mount is, what of its file system it shows, and the file
    /// system's type and super-block options.
    public struct Entry: Sendable, Equatable {
        /// The file system's directory shown at the mount point (`/` for all of it).
        public var root: String
        public var mountPoint: String
        public var type: String
        public var superOptions: [String]
    }

    /// The entries of a mountinfo text, in mount order (malformed lines are skipped).
    public static func parse(_ text: String) -> [Entry] {
        text.split(separator: "\n").compactMap { line in
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count > dash + 3 else { return nil }
            return Entry(
                root: unescape(fields[3]), mountPoint: unescape(fields[4]), type: fields[dash + 1],
                superOptions: fields[dash + 3].split(separator: ",").map(String.init))
        }
    }

    /// The entries not hidden by a later mount on the same or a parent mount point (a
    /// file system mounted over /sys/fs/cgroup hides what was mounted below it).
    public static func visible(_ entries: [Entry]) -> [Entry] {
        var visible: [Entry] = []
        for entry in entries {
            let prefix = entry.mountPoint == "/" ? "/" : entry.mountPoint + "/"
            visible.removeAll { $0.mountPoint == entry.mountPoint || $0.mountPoint.hasPrefix(prefix) }
            visible.append(entry)
        }
        return visible
    }

    /// This process's mounts (none when /proc cannot be read).
    public static func current() -> [Entry] {
        guard let bytes = try? Files.readFile("/proc/self/mountinfo", limit: 16 << 20) else { return [] }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// A path field with the kernel's octal escapes (`\040` for a space; also tab,
    /// newline and backslash) decoded.
    public static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "\\"), input.count >= 3,
                let value = UInt8(String(decoding: input.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                input = input.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
