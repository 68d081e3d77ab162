import Foundation
import Testing

/// Tests that need root (namespaces, mounts, device nodes, chown). As root they run; as
/// another user they are skipped, and the skip says why, unless `POD_TESTS=required`
/// (`scripts/test.sh`, which CI runs, sets it): then they run and fail for want of root,
/// so CI can never pass with them skipped.
public enum RootGate {
    public static let isRoot = geteuid() == 0
    public static let required = ProcessInfo.processInfo.environment["POD_TESTS"] == "required"
    public static var enabled: Bool { isRoot || required }
    public static let reason: Comment =
        "needs root: run `swift test` as root (POD_TESTS=required makes a run without root fail instead of skipping these)"
}

extension Trait where Self == ConditionTrait {
    /// Runs the test (or every test of the suite) only as root, or when root is required.
    public static var needsRoot: Self { .enabled(if: RootGate.enabled, RootGate.reason) }
}
