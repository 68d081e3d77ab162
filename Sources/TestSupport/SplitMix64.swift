import Glibc

/// A small seeded generator (SplitMix64), so that a failing randomized run can be
/// replayed from its seed.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SplitMix64 {
    /// `count` printable ASCII characters (`!` to `~`): text that gzip shrinks little.
    public mutating func printableText(_ count: Int) -> String {
        String(decoding: (0..<count).map { _ in UInt8(0x21 + next() % 94) }, as: UTF8.self)
    }

    /// `count` random bytes: data that gzip cannot shrink.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next() >> 56) }
    }
}

/// A seeded fault-injection run: `FAULT_SEED=N` replays one, `FAULT_ROUNDS=N` sets its
/// length (CI runs the default; `scripts/faults.sh` runs long ones).
public enum FaultRun {
    public static let seed = getenv("FAULT_SEED").flatMap { UInt64(String(cString: $0)) } ?? 20_261_206
    public static let rounds = getenv("FAULT_ROUNDS").flatMap { Int(String(cString: $0)) } ?? 12
}
