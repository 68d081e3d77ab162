import CLinux
import Glibc
import GoCompat
import LinuxSystem

/// `rkt bind` and `rkt unbind`: a host directory or file mounted into a running pod
/// (what the guide does with `machinectl bind`, which needs systemd in stage1). The
/// mount is made in the pod's mount namespace, so the apps see it at once and it goes
/// away with the pod. The mounting is done in C (`clinux_pod_bind`), in a child that
/// joins the pod's mount namespace; this is its one Swift caller.
///
/// What `rkt bind` mounted is recorded in the pod (`debug/binds`), and `rkt unbind`
/// removes only such mounts: the pod's own (its /proc, /dev, volumes) are not for it.
public enum PodBind {
    /// Where the steps of `clinux_pod_bind` and `clinux_pod_unbind` failed.
    enum Step {
        case spawn, source, namespaces, destination, mount

        init(reported value: Int32) {
            switch value {
            case Int32(CLINUX_BIND_STEP_SOURCE): self = .source
            case Int32(CLINUX_BIND_STEP_NAMESPACES): self = .namespaces
            case Int32(CLINUX_BIND_STEP_DESTINATION): self = .destination
            case Int32(CLINUX_BIND_STEP_MOUNT): self = .mount
            default: self = .spawn
            }
        }
    }

    /// Mounts the host's `source` on `destination` (a path in the pod's stage1 root,
    /// such as `/opt/stage2/APP/rootfs/tools`) in running pod `pod`.
    /// - Parameters:
    ///   - readOnly: the mount, and every mount below the source, read-only.
    ///   - makeDestination: a missing destination is created (a directory, or an empty
    ///     file when the source is a file), with its missing parents.
    public static func bind(
        _ source: String, on destination: String, in pod: Pod, pods: PodStore,
        readOnly: Bool, makeDestination: Bool
    ) throws(PodError) {
        let destination = try checkedDestination(destination)
        let source = try PodError.wrapping { () throws(SystemError) in try Files.absolute(source) }
        let pid = try PodEnter.initPID(of: pod, pods: pods)
        let approot = appRoot(containing: destination, in: pod)
        let state = try PodDebugState(pod: pod)
        let lock = try state.lock()
        var failedStep: Int32 = 0
        let result = source.withCString { sourcePointer in
            destination.withCString { destinationPointer in
                withOptionalCString(approot) { approotPointer in
                    var spec = clinux_bind_spec()
                    spec.pid = pid
                    spec.source = sourcePointer
                    spec.destination = destinationPointer
                    spec.approot = approotPointer
                    spec.read_only = readOnly ? 1 : 0
                    spec.make = makeDestination ? 1 : 0
                    return clinux_pod_bind(&spec, &failedStep)
                }
            }
        }
        if result < 0 {
            let code = -result
            switch Step(reported: failedStep) {
            case .source: throw .invalid("source \(goQuote(source)): \(errnoText(code))")
            case .destination where code == ENOENT && !makeDestination:
                throw .invalid("destination \(goQuote(destination)): \(errnoText(code)) in the pod (--mkdir creates it)")
            case .destination: throw .invalid("destination \(goQuote(destination)) in the pod: \(errnoText(code))")
            case .namespaces: throw .invalid("joining the pod's mount namespace: \(errnoText(code))")
            case .mount: throw .invalid("mounting \(goQuote(source)) on \(goQuote(destination)): \(errnoText(code))")
            case .spawn: throw .invalid("starting the process that mounts in the pod: \(errnoText(code))")
            }
        }
        try state.setBinds(state.binds() + [destination], locked: lock)
    }

    /// Unmounts what `rkt bind` mounted on `destination` in running pod `pod` (the
    /// latest mount, where several were made there).
    public static func unbind(_ destination: String, in pod: Pod, pods: PodStore) throws(PodError) {
        let destination = try checkedDestination(destination)
        let state = try PodDebugState(pod: pod)
        let lock = try state.lock()
        var binds = state.binds()
        guard let index = binds.lastIndex(of: destination) else {
            throw .invalid("nothing was mounted on \(goQuote(destination)) by rkt bind")
        }
        let pid = try PodEnter.initPID(of: pod, pods: pods)
        let approot = appRoot(containing: destination, in: pod)
        var failedStep: Int32 = 0
        let result = destination.withCString { destinationPointer in
            withOptionalCString(approot) { approotPointer in
                clinux_pod_unbind(pid, destinationPointer, approotPointer, &failedStep)
            }
        }
        if result < 0 {
            let code = -result
            switch Step(reported: failedStep) {
            // Unmounted from inside the pod (umount in `rkt enter`): forget it.
            case .mount where code == EINVAL, .destination where code == ENOENT: break
            case .namespaces: throw .invalid("joining the pod's mount namespace: \(errnoText(code))")
            case .spawn: throw .invalid("starting the process that mounts in the pod: \(errnoText(code))")
            default: throw .invalid("unmounting \(goQuote(destination)): \(errnoText(code))")
            }
        }
        binds.remove(at: index)
        try state.setBinds(binds, locked: lock)
    }

    /// A destination as the pod's root sees it: absolute and clean (no `.`, `..`,
    /// empty component or trailing slash, so it cannot name a place outside the pod's
    /// root), not the root itself.
    static func checkedDestination(_ path: String) throws(PodError) -> String {
        guard path.hasPrefix("/"), GoPath.clean(path) == path, path != "/", !path.utf8.contains(0x0a), !path.utf8.contains(0) else {
            throw .invalid(
                "destination \(goQuote(path)) is not a path in the pod's root: it must be absolute, without \"..\", such as /opt/stage2/APP/rootfs/tools"
            )
        }
        return path
    }

    /// The app root (`/opt/stage2/NAME/rootfs`) `path` is strictly below, if NAME is one
    /// of the pod's apps: symlinks there are the app's and resolve inside its root.
    static func appRoot(containing path: String, in pod: Pod) -> String? {
        pod.appNames().map(Pod.appRootInPod).first { path.hasPrefix($0 + "/") }
    }
}

/// Calls `body` with a C string of `text`, or NULL.
func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
