import Foundation
import LinuxSystem
import TestSupport
import Testing

extension Pods {
    /// Docker images from a registry, run as pods (needs root, namespaces, busybox-static,
    /// docker-registry and skopeo).
    @Suite struct ConvertedImages {
        /// A distroless-style image (one static binary, no shell) from a real registry,
        /// run with the shipped tools image as its debug image: `rkt enter` gets a shell
        /// and the tools in the converted app.
        @Test(.timeLimit(.minutes(5)))
        func registryImageRunsWithATools() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let tools = try shippedImage("debug-tools", in: world.scratch.path)
            _ = try shippedImage("minimal-app", in: world.scratch.path)
            let binary = try Files.readFile(world.scratch.path + "/minimal-app.layout/rootfs/bin/minimal-app", limit: 64 << 20)
            let layout = OCILayoutWriter(path: world.scratch.file("distroless"))
            let layer = try layout.layer([
                TarWriter.Entry(name: "bin/minimal-app", kind: .file(binary), mode: 0o755),
                .file("etc/passwd", "root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"),
                .file("etc/group", "root:x:0:\nnonroot:x:65532:\n"),
            ])
            layout.image(layers: [layer], runConfig: #"{"Entrypoint":["/bin/minimal-app"],"User":"nonroot"}"#, name: "latest")
            let registry = try RegistryFixture()
            try registry.push("oci:\(layout.path):latest", to: "distroless-app:latest")
            #expect(world.rkt("fetch", tools).code == 0)

            let pod = try world.startPod(
                runFlags: ["--insecure-options=image,tls", "--debug-image=example.com/debug-tools"], appFlags: [],
                image: "docker://\(registry.host)/distroless-app")
            let shell = world.rkt("enter", pod.uuid, "sh", "-c", "which strace gdb; id -u; ls /bin/minimal-app")
            #expect(shell.code == 0, "\(shell)")
            // enter runs as the app runs: as the image's user, resolved against its /etc/passwd.
            #expect(shell.out == "/usr/local/bin/strace\n/usr/local/bin/gdb\n65532\n/bin/minimal-app\n", "\(shell)")
            let status = world.rkt("status", pod.uuid)
            #expect(status.out.contains("state=running"), "\(status)")
            let uid = world.rkt("enter", pod.uuid, "sh", "-c", "grep ^Uid: /proc/$(pidof minimal-app)/status")
            #expect(uid.out.hasPrefix("Uid:\t65532\t"), "\(uid)")
            let list = world.rkt("image", "list", "--fields=name", "--no-legend")
            #expect(list.out.contains("127.0.0.1_\(registry.port)/distroless-app:latest"), "\(list)")
        }
    }
}
