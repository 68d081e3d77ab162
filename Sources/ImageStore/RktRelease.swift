/// What this rkt says it is, in one place: `rkt version`, the acVersion of the pod
/// manifests it writes, the version label of its stage1 and its HTTP User-Agent.
public enum RktRelease {
    /// The rkt release whose behaviour this one follows.
    public static let version = "1.30.0+git"
    /// The appc spec version rkt 1.30 was built against.
    public static let appcVersion = "0.8.11"
}
