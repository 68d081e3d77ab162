import AppcSchema
import CSeccomp
import Glibc
import LinuxSystem
import Testing

@testable import Seccomp

/// Filters from isolators as rkt's stage1 derived them, and what their programs decide,
/// found by running each program (a small classic-BPF interpreter below) on a call.
@Suite struct SeccompFilterTests {
    static func isolator(_ name: String, _ json: String) throws -> Isolator {
        try Isolator(name: try ACIdentifier(name), rawValue: Array(json.utf8))
    }
    static func remove(_ json: String) throws -> Isolator { try isolator(IsolatorName.seccompRemoveSet, json) }
    static func retain(_ json: String) throws -> Isolator { try isolator(IsolatorName.seccompRetainSet, json) }

    static let kill = SCMP_ACT_KILL_PROCESS
    static func errno(_ code: Int32) -> UInt32 { cseccomp_act_errno(UInt16(code)) }

    @Test func noIsolatorIsRktsDefaultBlacklist() throws {
        let filter = try #require(try SeccompFilter.forApp("a", isolators: []))
        #expect(filter == SeccompFilter.rktDefault)
        #expect(filter.mode == .remove && filter.errno.isEmpty)
        let program = try BPFProgram(filter.program())
        #expect(program.action("unshare") == Self.kill)
        #expect(program.action("keyctl") == Self.kill)
        #expect(program.action("mount") == Self.kill)
        #expect(program.action("read") == SCMP_ACT_ALLOW)
        #expect(program.action("clone3") == SCMP_ACT_ALLOW)
    }

    @Test func removeSetWithErrno() throws {
        let filter = try #require(try SeccompFilter.forApp("a", isolators: [Self.remove(#"{"set":["stat","newfstatat","@docker/default-blacklist"],"errno":"EXFULL"}"#)]))
        #expect(filter.syscalls.prefix(2) == ["stat", "newfstatat"])
        #expect(filter.syscalls.count == 2 + SyscallGroups.dockerBlacklist.count)
        let program = try BPFProgram(filter.program())
        #expect(program.action("stat") == Self.errno(EXFULL))
        #expect(program.action("ptrace") == Self.errno(EXFULL))
        #expect(program.action("write") == SCMP_ACT_ALLOW)
    }

    @Test func retainSetKillsTheRestButLetsLibcFallBack() throws {
        let filter = try #require(try SeccompFilter.forApp("a", isolators: [Self.retain(#"{"set":["@rkt/default-whitelist","umount2"]}"#)]))
        let program = try BPFProgram(filter.program())
        #expect(program.action("umount2") == SCMP_ACT_ALLOW)
        #expect(program.action("read") == SCMP_ACT_ALLOW)
        #expect(program.action("unshare") == Self.kill)
        #expect(program.action("rseq") == Self.errno(ENOSYS))
        #expect(program.action("clone3") == Self.errno(ENOSYS))
        // A set naming one of those calls allows it.
        let named = try #require(try SeccompFilter.forApp("a", isolators: [Self.retain(#"{"set":["read","rseq"],"errno":"EPERM"}"#)]))
        let small = try BPFProgram(named.program())
        #expect(small.action("rseq") == SCMP_ACT_ALLOW)
        #expect(small.action("execve") == SCMP_ACT_ALLOW)
        #expect(small.action("write") == Self.errno(EPERM))
    }

    @Test func appcGroups() throws {
        #expect(try SeccompFilter.forApp("a", isolators: [Self.retain(#"{"set":["@appc.io/all"]}"#)]) == nil)
        let empty = try #require(try SeccompFilter.forApp("a", isolators: [Self.remove(#"{"set":["@appc.io/empty"]}"#)]))
        #expect(empty.mode == .retain && empty.syscalls == SyscallGroups.rktWhitelist)
    }

    @Test func errors() throws {
        func message(_ isolators: [Isolator]) -> String {
            do {
                _ = try SeccompFilter.forApp("web", isolators: isolators)
                return ""
            } catch { return error.description }
        }
        #expect(message([try Self.remove(#"{"set":["bogus"]}"#)]) == #"app "web": os/linux/seccomp-remove-set: unknown syscall "bogus""#)
        #expect(message([try Self.retain(#"{"set":["read"],"errno":"EBOGUS"}"#)]).hasPrefix(#"app "web": os/linux/seccomp-retain-set: unknown errno "EBOGUS""#))
        #expect(message([try Self.remove(#"{"set":["@systemd/mount"]}"#)]).hasPrefix(#"app "web": os/linux/seccomp-remove-set: unknown syscall group "@systemd/mount""#))
        #expect(message([try Self.remove(#"{"set":["@appc.io/all"]}"#)]).contains("cannot be removed"))
        #expect(message([try Self.remove(#"{"set":["read"]}"#), try Self.retain(#"{"set":["read"]}"#)]).contains("both"))
    }

    @Test func errnoNames() {
        #expect(ErrnoName.value(of: "EXFULL") == EXFULL)
        #expect(ErrnoName.value(of: "ENOTSUP") == EOPNOTSUPP)
        #expect(ErrnoName.value(of: "EWOULDBLOCK") == EAGAIN)
        #expect(ErrnoName.value(of: "EBOGUS") == nil)
        #expect(ErrnoName.name(of: EPERM) == "EPERM")
    }
}

/// Runs a seccomp program as the kernel would on a call with no arguments from this
/// machine's architecture: the classic BPF subset libseccomp emits.
struct BPFProgram {
    struct Instruction {
        var code: UInt16, jt: UInt8, jf: UInt8, k: UInt32
    }
    let instructions: [Instruction]

    init(_ bytes: [UInt8]) throws {
        #expect(bytes.count % 8 == 0 && !bytes.isEmpty)
        var instructions: [Instruction] = []
        for i in stride(from: 0, to: bytes.count, by: 8) {
            let code = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
            var k: UInt32 = 0
            for j in 0..<4 { k |= UInt32(bytes[i + 4 + j]) << (8 * UInt32(j)) }
            instructions.append(Instruction(code: code, jt: bytes[i + 2], jf: bytes[i + 3], k: k))
        }
        self.instructions = instructions
    }

    /// The action for call `name`.
    func action(_ name: String) -> UInt32 {
        let number = seccomp_syscall_resolve_name(name)
        precondition(number >= 0, "\(name) is not a call here")
        // struct seccomp_data: nr, arch, instruction_pointer, args[6].
        var data = [UInt8](repeating: 0, count: 64)
        for i in 0..<4 {
            data[i] = UInt8(truncatingIfNeeded: UInt32(bitPattern: number) >> (8 * UInt32(i)))
            data[4 + i] = UInt8(truncatingIfNeeded: seccomp_arch_native() >> (8 * UInt32(i)))
        }
        func word(_ offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[offset + $1]) << (8 * UInt32($1)) } }
        var a: UInt32 = 0, x: UInt32 = 0, memory = [UInt32](repeating: 0, count: 16)
        var pc = 0
        while pc < instructions.count {
            let op = instructions[pc]
            pc += 1
            switch op.code {
            case 0x20: a = word(Int(op.k))  // ld [k]
            case 0x00: a = op.k  // ld #k
            case 0x60: a = memory[Int(op.k)]  // ld M[k]
            case 0x02: memory[Int(op.k)] = a  // st M[k]
            case 0x54: a &= op.k  // and #k
            case 0x07: x = a  // tax
            case 0x87: a = x  // txa
            case 0x05: pc += Int(op.k)  // ja
            case 0x15: pc += a == op.k ? Int(op.jt) : Int(op.jf)  // jeq #k
            case 0x25: pc += a > op.k ? Int(op.jt) : Int(op.jf)  // jgt #k
            case 0x35: pc += a >= op.k ? Int(op.jt) : Int(op.jf)  // jge #k
            case 0x45: pc += a & op.k != 0 ? Int(op.jt) : Int(op.jf)  // jset #k
            case 0x06: return op.k  // ret #k
            case 0x16: return a  // ret a
            default:
                Issue.record("unknown BPF instruction \(String(op.code, radix: 16))")
                return 0
            }
        }
        Issue.record("program ran off its end")
        return 0
    }
}
