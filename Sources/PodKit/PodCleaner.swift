import CLinux
import Cgroups
import FoundationEssentials
import Glibc
import GoCompat
import ImageKit
import ImageRender
import LinuxSystem
import PodNetwork

/// `rkt gc` and `rkt rm`: marking dead pods as garbage and deleting them, mounts first.
///
/// Pod mounts live in the pod's own mount namespace and vanish with it, so normally
/// nothing is mounted under a dead pod on the host. Whatever is (left by hand, or by an
/// older runtime) is unmounted before deletion, and deletion never crosses into another
/// file system, so a host directory bound into a pod is never touched.
public struct PodCleaner {
    let pods: PodStore
    /// Diagnostics (stderr) and results (stdout).
    let log: (String) -> Void
    let out: (String) -> Void

    public init(pods: PodStore, log: @escaping (String) -> Void, out: @escaping (String) -> Void) {
        self.pods = pods
        self.log = log
        self.out = out
    }

    /// Pass 1: exited pods to `exited-garbage/`, failed prepares and expired prepared pods to `garbage/`.
    public func mark(expirePrepared: Int64, now: Int64) {
        for pod in pods.pods(in: [.run]) where pod.state == .exited {
            log("gc: moving pod \(goQuote(pod.uuid)) to garbage")
            _ = try? moveLocked(pod, to: .exitedGarbage, state: .exitedGarbage)
        }
        // A pod whose stage1 died without tearing its network down (SIGKILL, a crash)
        // gives its addresses and rules back now, not after the grace period.
        for pod in pods.pods(in: [.exitedGarbage, .garbage, .prepare, .prepared]) where pod.state != .preparing {
            releaseNetwork(pod)
        }
        for pod in pods.pods(in: [.prepare]) where pod.state == .abortedPrepare {
            log("gc: moving failed prepare \(goQuote(pod.uuid)) to garbage")
            _ = try? moveLocked(pod, to: .garbage, state: .garbage)
        }
        for pod in pods.pods(in: [.prepared]) where now - pod.createdAt >= expirePrepared {
            log("gc: moving expired prepared pod \(goQuote(pod.uuid)) to garbage")
            _ = try? moveLocked(pod, to: .garbage, state: .garbage)
        }
    }

    /// Pass 2: deletes garbage, and exited garbage marked longer than `gracePeriod` ago.
    /// Returns false when some pod could not be deleted.
    @discardableResult
    public func sweep(gracePeriod: Int64, graceText: String, now: Int64) -> Bool {
        var ok = true
        for pod in pods.pods(in: [.exitedGarbage, .garbage]) {
            // (A grace period of 0 holds nothing back, even a pod another gc marked just now.)
            if pod.folder == .exitedGarbage && gracePeriod > 0 && now - pod.changedAt < gracePeriod {
                log("gc: pod \(goQuote(pod.uuid)) not removed: still within grace period (\(graceText))")
                continue
            }
            guard pod.state == .exitedGarbage || pod.state == .garbage else { continue }
            // Another gc holding the pod, or done with it already, is left to it, as rkt does.
            guard let lock = try? PodLock.take(pod.path, exclusive: true), access(pod.path, F_OK) == 0 else { continue }
            out("Garbage collecting pod \(goQuote(pod.uuid))")
            do throws(PodError) {
                try delete(pod, holding: lock)
            } catch {
                log("gc: unable to remove pod \(goQuote(pod.uuid)): \(error)")
                ok = false
            }
        }
        return ok
    }

    /// Tears down what is left of the pod's network, under its lock (a pod that is starting
    /// or running holds it and is left alone).
    func releaseNetwork(_ pod: Pod) {
        guard access(pod.path + "/netns", F_OK) == 0 || access(pod.path + "/net/teardown", F_OK) == 0,
            let lock = try? PodLock.take(pod.path, exclusive: true)
        else { return }
        defer { withExtendedLifetime(lock) {} }
        let log = self.log
        PodNetwork.teardown(pod: pod.path, log: { log("gc: " + $0) })
    }

    /// Takes the pod's lock (so a pod coming alive is left alone) and renames it.
    @discardableResult
    func moveLocked(_ pod: Pod, to folder: PodFolder, state: PodState) throws(PodError) -> Pod? {
        guard let lock = try PodLock.take(pod.path, exclusive: true) else { return nil }
        defer { withExtendedLifetime(lock) {} }
        return try pods.move(pod, to: folder, state: state)
    }

    /// Deletes a dead pod: under its exclusive lock, unmount what is mounted below it, then
    /// remove the directory without crossing file systems.
    public func delete(_ pod: Pod) throws(PodError) {
        guard let lock = try PodLock.take(pod.path, exclusive: true) else {
            throw .invalid("pod \(goQuote(pod.uuid)) is locked")
        }
        try delete(pod, holding: lock)
    }

    private func delete(_ pod: Pod, holding lock: PodLock) throws(PodError) {
        defer { withExtendedLifetime(lock) {} }
        let log = self.log
        PodNetwork.teardown(pod: pod.path, force: true, log: { log("gc: " + $0) })
        do throws(CgroupError) {
            try PodCgroups.remove(record: pod.path + "/" + PodPath.cgroups, uuid: pod.uuid)
        } catch {
            throw .invalid("cannot remove the pod's cgroups: \(error)")
        }
        for mountPoint in Self.mounts(under: pod.path).reversed() {
            let code = clinux_umount_detach(mountPoint)
            if code != 0 && code != EINVAL && code != ENOENT {
                throw .system(SystemError("unmount", mountPoint, code: code))
            }
        }
        // Never into a mount left behind: its contents are not the pod's.
        try PodError.wrapping { () throws(SystemError) in try Files.removeTree(pod.path, stayOnDevice: true) }
    }

    /// Mount points at or below `path` in this process's mount namespace, in mount order.
    static func mounts(under path: String) -> [String] {
        MountInfo.current().map(\.mountPoint).filter { $0 == path || $0.hasPrefix(path + "/") }
    }
}
