import CLinux
import Glibc
import ImageKit
import LinuxSystem

/// `rkt export`: an app of an exited pod as an ACI, its files as the app left them (its
/// image's tree, a `--debug-image`'s below it, and what the app changed above), with its
/// image's manifest, as rkt exports it.
///
/// The app's overlay is mounted again detached (`clinux_overlay_mount`): attached nowhere,
/// read through `/proc/self/fd/N`, gone with this process whatever happens to it.
public enum PodExport {
    public static func export(_ pod: Pod, app: String, pods: PodStore, to output: String, overwrite: Bool) throws(PodError) {
        let lowers = try pods.appTrees(of: pod, app: app, hint: "; the pod cannot be exported")
        let overlay = PodPath.overlay(app)
        let upper = pod.path + "/" + overlay.upper, work = pod.path + "/" + overlay.work
        var layers: [UnsafePointer<CChar>?] = lowers.map { UnsafePointer(strdup($0)) } + [nil]
        defer { for layer in layers { free(UnsafeMutablePointer(mutating: layer)) } }
        let mount = layers.withUnsafeMutableBufferPointer { clinux_overlay_mount($0.baseAddress, upper, work) }
        guard mount >= 0 else { throw .system(SystemError("mount the app's files of", pod.path, code: -mount)) }
        defer { close(mount) }
        var options = ImageBuilder.Options()
        options.overwrite = overwrite
        do {
            try ImageBuilder.build(
                manifestPath: pod.path + "/appsinfo/" + app + "/manifest", rootfs: "/proc/self/fd/\(mount)/", output: output,
                options: options)
        } catch {
            throw .invalid("error building aci: \(error)")
        }
    }
}
