import CCrypto
import Glibc
import LinuxSystem

/// A streaming digest over OpenSSL's EVP interface: SHA-512 for appc image IDs, SHA-256
/// for OCI and Docker content digests.
public final class ContentHasher {
    public enum Algorithm: Sendable {
        case sha256, sha512
    }

    private let context: OpaquePointer

    public init(_ algorithm: Algorithm = .sha512) {
        // EVP_MD_CTX_new only fails when memory is exhausted.
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        context = ctx
        EVP_DigestInit_ex(context, algorithm == .sha256 ? EVP_sha256() : EVP_sha512(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        EVP_DigestUpdate(context, base, buffer.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Hashes everything left to read from `fd`; `path` names it in errors.
    public func update(readingAll fd: Int32, path: String) throws(SystemError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Syscall.retrying { read(fd, buffer.baseAddress, buffer.count) }
            guard n >= 0 else { throw SystemError("read", path) }
            if n == 0 { return }
            update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The digest (64 bytes for SHA-512, 32 for SHA-256). The hasher must not be used afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }
}
