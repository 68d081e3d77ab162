import Foundation
import Glibc
import TestSupport
import Testing

// Pod networks through Debian's CNI plugins (containernetworking-plugins): every test
// checks that the host is left as it was (no namespace under /run/netns, no veth, no
// lease, no iptables rule). Traffic goes only to the pods' own addresses and to loopback.

/// What of the host a pod network may touch, read back for before/after comparisons.
struct HostNetworkState: Equatable, CustomStringConvertible {
    var namespaces: [String]
    var links: [String]
    var rules: [String]
    var leases: [String]

    static func read() -> HostNetworkState {
        let links = hostCommand(["/usr/sbin/ip", "-o", "link"]).out.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 1 ? String(fields[1].split(separator: "@")[0].trimmingCharacters(in: CharacterSet(charactersIn: ":"))) : nil
        }
        let rules = hostCommand(["/usr/sbin/iptables-save"]).out.split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.hasPrefix(":") }
        var leases: [String] = []
        for network in directoryEntries(cniDataDirectory) {
            for file in directoryEntries(cniDataDirectory + "/" + network) where file != "lock" && !file.hasPrefix("last_reserved_ip") {
                leases.append(network + "/" + file)
            }
        }
        return HostNetworkState(namespaces: directoryEntries("/run/netns"), links: links.sorted(), rules: rules, leases: leases)
    }

    var description: String { "netns \(namespaces), links \(links), leases \(leases), rules:\n\(rules.joined(separator: "\n"))" }
}

let cniDataDirectory = "/var/lib/cni/networks"

/// Expects the host's network state to be `before` again (links in `ignoringLinks` aside).
func expectHostAsBefore(_ before: HostNetworkState, ignoringLinks: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) {
    var after = HostNetworkState.read()
    after.links.removeAll { ignoringLinks.contains($0) }
    #expect(after == before, "the host after gc:\n\(after)\nbefore:\n\(before)", sourceLocation: sourceLocation)
}

/// Runs a host program (iproute2, iptables, busybox) to completion.
@discardableResult
func hostCommand(_ argv: [String], timeout: TimeInterval = 30) -> RunResult {
    let scratch = Scratch("hostcmd")
    defer { scratch.remove() }
    do {
        return try ChildProcess(argv[0], Array(argv.dropFirst()), scratch: scratch).wait(timeout: timeout)
    } catch {
        return RunResult(code: -1, out: "", err: "cannot start \(argv[0]): \(error)")
    }
}

/// The address a status line `networks=NAME:ip4=A.B.C.D, ...` gives for network `name`.
func networkAddress(_ status: RunResult, _ name: String) -> String? {
    guard let line = status.outLines.first(where: { $0.hasPrefix("networks=") }) else { return nil }
    for part in line.dropFirst("networks=".count).components(separatedBy: ", ") where part.hasPrefix(name + ":ip4=") {
        return String(part.dropFirst(name.count + 5))
    }
    return nil
}

/// An image serving `/www/index.html` (`hello from the pod`) with busybox httpd on port
/// 8080, which it declares as port `http`.
func writeWebImage(_ path: String) throws {
    let manifest =
        #"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/web","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/busybox","httpd","-f","-p","8080","-h","/www"],"user":"0","group":"0","ports":[{"name":"http","protocol":"tcp","port":8080}]}}"#
    try writeBusyboxImage(path, manifest: manifest, files: ["www/index.html": "hello from the pod\n"])
}

/// portmap's chains are shared by every pod and never removed by the plugin: what a test
/// made of them goes again, so that the host is left as it was.
func removePortmapChains(keeping before: HostNetworkState) {
    let chains = ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"]
    guard !before.rules.contains(where: { line in chains.contains { line.contains($0) } }) else { return }
    let nat = hostCommand(["/usr/sbin/iptables", "-t", "nat", "-S"]).out.split(separator: "\n").map(String.init)
    for line in nat where line.hasPrefix("-A ") && chains.contains(where: { line.hasSuffix("-j " + $0) }) {
        hostCommand(["/bin/sh", "-c", "/usr/sbin/iptables -t nat " + "-D " + line.dropFirst(3)])
    }
    for chain in chains {
        hostCommand(["/usr/sbin/iptables", "-t", "nat", "-F", chain])
        hostCommand(["/usr/sbin/iptables", "-t", "nat", "-X", chain])
    }
}

/// The environment rkt runs with in these tests, plus `extra`.
func rktEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
}

/// Checks the machine has what pod networks need (Debian's plugins, iproute2, iptables).
func networkPreconditionsMet() -> Bool {
    guard preconditionsMet() else { return false }
    for tool in ["/usr/lib/cni/ptp", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap"]
    where !FileManager.default.isExecutableFile(atPath: tool) {
        Issue.record("\(tool) is missing: apt-get install containernetworking-plugins (scripts/install-deps.sh)")
        return false
    }
    for tool in ["/usr/sbin/ip", "/usr/sbin/iptables", "/usr/sbin/iptables-save", "/usr/bin/nsenter"]
    where !FileManager.default.isExecutableFile(atPath: tool) {
        Issue.record("\(tool) is missing: apt-get install iproute2 iptables util-linux")
        return false
    }
    return true
}

extension Pods {
    /// `--net`: the default network through ptp, default-restricted, none, host, user
    /// networks from net.d, `--port` through portmap, and tear-down at the pod's end and in gc.
    @Suite(.serialized) struct Networks {
        /// ip_forward is switched on by ptp and bridge; the tests put it back.
        static func withForwarding(_ body: () throws -> Void) rethrows {
            let forward = readText("/proc/sys/net/ipv4/ip_forward") ?? "0\n"
            defer { FileManager.default.createFile(atPath: "/proc/sys/net/ipv4/ip_forward", contents: Data(forward.utf8)) }
            try body()
        }

        @Test(.timeLimit(.minutes(3)))
        func defaultNetwork() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                defer { world.cleanup() }
                let web = world.scratch.file("web.aci")
                try writeWebImage(web)

                let pod = try world.startPod(appFlags: [], image: web)
                let status = pod.status()
                let ip = try #require(networkAddress(status, "default"), "status must name the default network: \(status)")
                #expect(matches(ip, #"172\.16\.28\.\d+"#), "\(status)")
                let hostAddresses = hostCommand(["/usr/sbin/ip", "-4", "-o", "addr"]).out
                #expect(!hostAddresses.contains(" \(ip)/"), "the pod's address is not the host's: \(hostAddresses)")

                // A client on the host reaches the server in the pod at the pod's address.
                let get = hostCommand([hostBusybox, "wget", "-q", "-O", "-", "http://\(ip):8080/"])
                #expect(get.code == 0 && get.out == "hello from the pod\n", "\(get)")

                // Another pod reaches it too, through the host.
                let client = world.rkt(["run", world.image, "--exec", "/bin/busybox", "--", "wget", "-q", "-O", "-", "http://\(ip):8080/"])
                #expect(client.code == 0 && client.out == "hello from the pod\n", "pod to pod: \(client)")

                // nsenter -n on the status pid (the supervisor) sees the pod's network, and so does rkt enter.
                let pid = try #require(pod.pid)
                let inside = hostCommand(["/usr/bin/nsenter", "-n", "-t", "\(pid)", "/usr/sbin/ip", "-4", "-o", "addr"])
                #expect(inside.out.contains("eth0    inet \(ip)/24"), "nsenter -n -t \(pid): \(inside)")
                let routes = hostCommand(["/usr/bin/nsenter", "-n", "-t", "\(pid)", "/usr/sbin/ip", "route"])
                #expect(routes.out.contains("default via 172.16.28.1 dev eth0"), "the default network has a default route: \(routes)")
                let enter = world.rkt(["enter", pod.uuid, "/bin/busybox", "ip", "-4", "-o", "addr"])
                #expect(enter.code == 0 && enter.out.contains("inet \(ip)/24"), "rkt enter: \(enter)")

                // The masquerade rule exists while the pod runs.
                let rules = hostCommand(["/usr/sbin/iptables", "-t", "nat", "-S"]).out
                #expect(rules.contains("id: \\\"\(pod.uuid)\\\"") && rules.contains("-j MASQUERADE"), "masquerade rule: \(rules)")

                // list, list --full and the JSON name the network as rkt does.
                let list = world.rkt("list", "--no-legend")
                #expect(list.outLines.contains { $0.hasPrefix(pod.uuid.prefix(8) + "\t") && $0.hasSuffix("\tdefault:ip4=\(ip)") }, "\(list)")
                let json = world.rkt("list", "--format=json")
                let entry =
                    #"{"netName":"default","netConf":"net/99-default.conf","pluginPath":"/usr/lib/cni/ptp","ifName":"eth0","ip":"\#(ip)","args":"","mask":"255.255.255.0"}"#
                #expect(json.out.contains(#""state":"running","networks":[\#(entry)],"app_names""#), "\(json)")

                // When the pod ends its network goes; rkt gc waits for the tear-down.
                let stop = world.rkt("stop", pod.uuid)
                #expect(stop.code == 0, "\(stop)")
                #expect(pod.waitExited(timeout: 20))
                let exited = pod.status()
                #expect(networkAddress(exited, "default") == ip, "an exited pod still shows its network: \(exited)")
                world.rkt("gc", "--grace-period=0s")
                expectHostAsBefore(before)
            }
        }

        @Test(.timeLimit(.minutes(3)))
        func restrictedNoneAndHost() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                defer { world.cleanup() }

                let restricted = world.rkt([
                    "run", "--net=default-restricted", world.image, "--exec", "/bin/sh", "--", "-c",
                    "/bin/busybox ip route; /bin/busybox ip -4 -o addr",
                ])
                #expect(restricted.code == 0, "\(restricted)")
                #expect(!restricted.out.contains("default"), "default-restricted has no default route: \(restricted.out)")
                #expect(restricted.out.contains("eth0    inet 172.31."), "an address of 172.31.0.0/16: \(restricted.out)")
                let uuid = try #require(world.podDirectories("run").first)
                #expect(networkAddress(world.rkt("status", uuid), "default-restricted")?.hasPrefix("172.31.") == true)

                let none = world.rkt(["run", "--net=none", world.image, "--exec", "/bin/busybox", "--", "ip", "-o", "link"])
                #expect(none.code == 0 && none.outLines.count == 1 && none.out.contains(": lo: <LOOPBACK,UP"), "only lo, up: \(none)")

                let host = world.rkt(["run", "--net=host", world.image, "--exec", "/bin/readlink", "--", "/proc/self/ns/net"])
                #expect(host.code == 0 && host.out == namespace("self", "net") + "\n", "--net=host: \(host)")
                world.rkt("gc", "--grace-period=0s")
                let statuses = world.allPodDirectories()
                #expect(statuses.isEmpty, "\(statuses)")
                expectHostAsBefore(before)
            }
        }

        /// A bridge network from net.d beside default-restricted: one interface each, in
        /// file-name order, and the host reaches the pod on the bridge.
        @Test(.timeLimit(.minutes(3)))
        func userBridgeBesideRestricted() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                let config = world.scratch.mkdir("config")
                defer {
                    world.cleanup()
                    hostCommand(["/usr/sbin/ip", "link", "del", "rkttest0"])
                    try? FileManager.default.removeItem(atPath: cniDataDirectory + "/rkttest")
                }
                try FileManager.default.createDirectory(atPath: config + "/net.d", withIntermediateDirectories: true)
                try #"{"cniVersion":"0.4.0","name":"rkttest","type":"bridge","bridge":"rkttest0","isGateway":true,"ipam":{"type":"host-local","subnet":"10.233.71.0/24"}}"#
                    .write(toFile: config + "/net.d/10-rkttest.conf", atomically: true, encoding: .utf8)
                let web = world.scratch.file("web.aci")
                try writeWebImage(web)

                let pod = try world.startPod(runFlags: ["--local-config=\(config)", "--net=rkttest,default-restricted"], appFlags: [], image: web)
                let status = pod.status()
                let line = status.outLines.first { $0.hasPrefix("networks=") } ?? ""
                #expect(matches(line, #"networks=rkttest:ip4=10\.233\.71\.\d+, default-restricted:ip4=172\.31\.\d+\.\d+"#), "\(status)")
                let ip = try #require(networkAddress(status, "rkttest"))
                let pid = try #require(pod.pid)
                let inside = hostCommand(["/usr/bin/nsenter", "-n", "-t", "\(pid)", "/usr/sbin/ip", "-4", "-o", "addr"]).out
                #expect(inside.contains("eth0    inet \(ip)/24") && inside.contains("eth1    inet 172.31."), "\(inside)")
                let get = hostCommand([hostBusybox, "wget", "-q", "-O", "-", "http://\(ip):8080/"])
                #expect(get.code == 0 && get.out == "hello from the pod\n", "the host reaches the pod on the bridge: \(get)")

                #expect(world.rkt("stop", pod.uuid).code == 0)
                #expect(pod.waitExited(timeout: 20))
                world.rkt("gc", "--grace-period=0s")
                expectHostAsBefore(before, ignoringLinks: ["rkttest0"])  // the bridge plugin keeps its bridge
            }
        }

        /// DNS settings a plugin returns make the pod's resolv.conf unless `--dns` is
        /// given; `NAME:IP=...` reaches host-local as CNI_ARGS; `rkt debug` sees the
        /// pod's network.
        @Test(.timeLimit(.minutes(3)))
        func dnsArgumentsAndDebug() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                let config = world.scratch.mkdir("config")
                defer {
                    world.cleanup()
                    try? FileManager.default.removeItem(atPath: cniDataDirectory + "/rktdns")
                }
                try FileManager.default.createDirectory(atPath: config + "/net.d", withIntermediateDirectories: true)
                try
                    #"{"cniVersion":"0.4.0","name":"rktdns","type":"ptp","dns":{"nameservers":["10.233.73.53"],"search":["pods.test"]},"ipam":{"type":"host-local","subnet":"10.233.73.0/24"}}"#
                    .write(toFile: config + "/net.d/10-rktdns.conf", atomically: true, encoding: .utf8)

                let fromNetwork = world.rkt([
                    "run", "--local-config=\(config)", "--net=rktdns:IP=10.233.73.42", world.image, "--exec", "/bin/sh", "--", "-c",
                    "cat /etc/resolv.conf; /bin/busybox ip -4 -o addr show eth0",
                ])
                #expect(fromNetwork.code == 0, "\(fromNetwork)")
                #expect(
                    fromNetwork.out.hasPrefix("# Generated by rkt from network rktdns\n\nsearch pods.test\nnameserver 10.233.73.53\n"),
                    "resolv.conf from the plugin's DNS: \(fromNetwork.out)")
                #expect(fromNetwork.out.contains("inet 10.233.73.42/24"), "CNI_ARGS IP= picks the address: \(fromNetwork.out)")

                let given = world.rkt([
                    "run", "--local-config=\(config)", "--net=rktdns", "--dns=10.9.9.9", world.image, "--exec", "/bin/cat", "--", "/etc/resolv.conf",
                ])
                #expect(given.code == 0 && given.out.contains("nameserver 10.9.9.9\n") && !given.out.contains("10.233.73.53"), "--dns wins: \(given)")

                let pod = try world.startPod()
                let ip = try #require(networkAddress(pod.status(), "default"))
                let debug = world.rkt(["debug", "--image=\(world.image)", pod.uuid, "--", "/bin/busybox", "ip", "-4", "-o", "addr"])
                #expect(debug.code == 0 && debug.out.contains("inet \(ip)/24"), "rkt debug sees the pod's network: \(debug)")
                #expect(world.rkt("stop", pod.uuid).code == 0)
                #expect(pod.waitExited(timeout: 20))
                world.rkt("gc", "--grace-period=0s")
                expectHostAsBefore(before)
            }
        }

        @Test(.timeLimit(.minutes(3)))
        func portForwarding() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                defer {
                    world.cleanup()
                    removePortmapChains(keeping: before)
                }
                let web = world.scratch.file("web.aci")
                try writeWebImage(web)

                let pod = try world.startPod(runFlags: ["--port=http:127.0.0.1:18080"], appFlags: [], image: web)
                let get = hostCommand([hostBusybox, "wget", "-q", "-O", "-", "http://127.0.0.1:18080/"])
                #expect(get.code == 0 && get.out == "hello from the pod\n", "host port 18080 on 127.0.0.1 reaches the pod: \(get)")
                let manifest = world.rkt("cat-manifest", "--pretty-print=false", pod.uuid)
                #expect(manifest.out.contains(#""ports":[{"name":"http","hostPort":18080,"hostIP":"127.0.0.1"}]"#), "\(manifest)")

                #expect(world.rkt("stop", pod.uuid).code == 0)
                #expect(pod.waitExited(timeout: 20))
                world.rkt("gc", "--grace-period=0s")
                let rules = hostCommand(["/usr/sbin/iptables", "-t", "nat", "-S"]).out
                #expect(!rules.contains(pod.uuid), "no rule of the pod is left: \(rules)")
                removePortmapChains(keeping: before)
                expectHostAsBefore(before)
            }
        }

        /// Each bad input is one `run: ...` line, exit 254, and leaves nothing behind.
        @Test(.timeLimit(.minutes(4)))
        func badInput() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                defer {
                    world.cleanup()
                    try? FileManager.default.removeItem(atPath: cniDataDirectory + "/tiny")
                    try? FileManager.default.removeItem(atPath: cniDataDirectory + "/badsubnet")
                }
                let web = world.scratch.file("web.aci")
                try writeWebImage(web)
                func config(_ files: [String: String]) throws -> String {
                    let directory = world.scratch.mkdir("config-\(world.scratch.next())")
                    try FileManager.default.createDirectory(atPath: directory + "/net.d", withIntermediateDirectories: true)
                    for (name, text) in files {
                        try text.write(toFile: directory + "/net.d/" + name, atomically: true, encoding: .utf8)
                        if name == "hang" { chmod(directory + "/net.d/" + name, 0o755) }
                    }
                    return directory
                }
                func expectFailure(
                    _ args: [String], _ message: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
                ) {
                    let run = world.rkt(["run"] + args, environment: rktEnvironment(environment))
                    let lines = run.errLines.filter { !$0.contains("group \"rkt\" not found") }
                    #expect(run.code == 254, "\(run)", sourceLocation: sourceLocation)
                    #expect(lines.count == 1 && lines[0].hasPrefix("run: ") && lines[0].contains(message), "expected \(message): \(run)", sourceLocation: sourceLocation)
                    #expect(HostNetworkState.read() == before, "\(args): the host is as it was", sourceLocation: sourceLocation)
                }

                expectFailure(["--net=nosuch", world.image], "run: networking: networks not found: nosuch")
                let badList = world.rkt(["run", "--net=a:b:c", world.image])
                #expect(
                    badList.code == 254 && badList.err.contains(#"Error: invalid argument "a:b:c" for --net=a:b:c: network "a" provided with invalid arguments: [b c]"#),
                    "\(badList)")
                let malformed = try config(["20-bad.conf": "{ not json"])
                expectFailure(["--local-config=\(malformed)", world.image], "20-bad.conf: invalid character 'n' looking for beginning of object key string")
                let noPlugin = try config(["30-noplugin.conf": #"{"name":"noplug","type":"no-such-plugin"}"#])
                expectFailure(["--local-config=\(noPlugin)", "--net=noplug", world.image], #"could not find plugin "no-such-plugin""#)
                let failing = try config(["40-badsubnet.conf": #"{"cniVersion":"0.4.0","name":"badsubnet","type":"ptp","ipam":{"type":"host-local","subnet":"10.1.2.0/99"}}"#])
                expectFailure(["--local-config=\(failing)", "--net=badsubnet", world.image], #"error adding network "badsubnet""#)
                let hanging = try config(["50-hang.conf": #"{"cniVersion":"0.4.0","name":"hang","type":"hang"}"#, "hang": "#!/bin/sh\nexec sleep 60\n"])
                let started = Date()
                expectFailure(
                    ["--local-config=\(hanging)", "--net=hang", world.image], #"error adding network "hang": plugin \#(hanging)/net.d/hang did not finish within 1.0 seconds"#,
                    environment: ["RKT_NET_PLUGIN_TIMEOUT": "1s"])
                #expect(Date().timeIntervalSince(started) < 10, "the timeout bounds a hanging plugin")
                expectFailure(["--port=nope:18090", web], #"port name "nope" could not be found in any apps"#)

                // A port a host server holds.
                let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(listener) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(18091).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                #expect(bound == 0 && listen(listener, 1) == 0)
                expectFailure(["--port=http:127.0.0.1:18091", web], "port tcp-127.0.0.1:18091 is in use on the host")

                // An exhausted subnet: the only address is taken by a running pod.
                let tiny = try config([
                    "60-tiny.conf":
                        #"{"cniVersion":"0.4.0","name":"tiny","type":"ptp","ipam":{"type":"host-local","subnet":"10.233.72.0/24","rangeStart":"10.233.72.10","rangeEnd":"10.233.72.10"}}"#
                ])
                let holder = try world.startPod(runFlags: ["--local-config=\(tiny)", "--net=tiny"])
                let holding = HostNetworkState.read()
                let second = world.rkt(["run", "--local-config=\(tiny)", "--net=tiny", world.image])
                #expect(second.code == 254 && second.err.contains(#"run: networking: error adding network "tiny""#), "\(second)")
                #expect(HostNetworkState.read() == holding, "the failed pod leaves nothing")
                #expect(world.rkt("stop", holder.uuid).code == 0)
                #expect(holder.waitExited(timeout: 20))
                world.rkt("gc", "--grace-period=0s", "--expire-prepared=0s")
                expectHostAsBefore(before)
            }
        }

        /// Pods that died without their tear-down (stage1 SIGKILLed) and pods stopped
        /// normally: after gc nothing of any of them is left.
        @Test(.timeLimit(.minutes(5)))
        func gcAfterKilledPods() throws {
            guard networkPreconditionsMet() else { return }
            try Self.withForwarding {
                let before = HostNetworkState.read()
                let world = try PodWorld()
                defer { world.cleanup() }
                var pods: [RunningPod] = []
                for _ in 0..<20 { pods.append(try world.startPod()) }
                let running = HostNetworkState.read()
                #expect(running.namespaces.count == before.namespaces.count + 20, "\(running.namespaces)")
                for (index, pod) in pods.enumerated() {
                    if index % 2 == 0 {
                        kill(pod.process.pid, SIGKILL)
                    } else {
                        _ = world.rkt("stop", pod.uuid)
                    }
                }
                for pod in pods { #expect(pod.waitExited(timeout: 30), "\(pod.status())") }
                let gc = world.rkt("gc", "--grace-period=0s")
                #expect(gc.code == 0, "\(gc)")
                expectHostAsBefore(before)
            }
        }
    }
}
