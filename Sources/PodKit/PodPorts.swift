import AppcSchema
import Glibc
import GoCompat
import LinuxSystem
import PodNetwork

/// `--port`: host ports exposed in the pod manifest, matched with the ports the apps declare.
public enum PodPorts {
    /// rkt's `--port=NAME:[HOSTIP:]HOSTPORT`.
    public static func parse(rktFlag text: String) throws(PodError) -> ExposedPort {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { throw .invalid("\(goQuote(text)) is not in name:[ip:]port format") }
        let name: ACName
        do {
            name = try ACName(parts[0])
        } catch {
            throw .invalid("\(goQuote(parts[0])) is not a valid port name: \(error)")
        }
        var ip: NetIP?
        var portText = parts[1]
        if parts.count == 3 {
            portText = parts[2]
            guard let parsed = try? NetIP(parts[1]) else { throw .invalid("\(goQuote(parts[1])) is not a valid IP") }
            ip = parsed
        }
        guard let port = UInt16(portText) else { throw .invalid("\(goQuote(parts[1])) is not a valid port number") }
        return ExposedPort(name: name, hostPort: UInt64(port), hostIP: ip)
    }

    /// The pod's forwarded ports: each exposed port matched by name with an app's port, as
    /// rkt's stage1 does, then checked against each other, other running pods and the host.
    /// `others` (the running pods) is only asked for when the pod forwards a port.
    public static func forwarded(_ pod: Pod, others: () -> [Pod]) throws(PodError) -> [ForwardedPort] {
        let ports = try forwardedPorts(of: pod)
        guard !ports.isEmpty else { return [] }
        let taken = others().filter { $0.uuid != pod.uuid }.flatMap { other in
            ((try? forwardedPorts(of: other)) ?? []).map { (other.uuid, $0) }
        }
        for (index, port) in ports.enumerated() {
            for earlier in ports[..<index] where conflicts(port, earlier) {
                throw .invalid("port \(port.hostDescription) already mapped to pod port \(earlier.podPort)")
            }
            for (uuid, other) in taken where conflicts(port, other) {
                throw .invalid("port \(port.hostDescription) is already forwarded to pod \(uuid)")
            }
            if let problem = hostPortTaken(port) { throw .invalid("port \(port.hostDescription) is in use on the host: \(problem)") }
        }
        return ports
    }

    static func forwardedPorts(of pod: Pod) throws(PodError) -> [ForwardedPort] {
        guard let manifest = pod.manifest() else { return [] }
        var result: [ForwardedPort] = []
        for exposed in manifest.ports ?? [] {
            var found: Port? = exposed.podPort
            if found == nil {
                for app in manifest.apps ?? [] {
                    let declared = app.app?.ports ?? pod.imageManifest(app: app.name.value)?.app?.ports ?? []
                    for port in declared where port.name == exposed.name {
                        guard found == nil else { throw .invalid("port name \(goQuote(exposed.name.value)) defined multiple apps") }
                        found = port
                    }
                }
            }
            guard let port = found else { throw .invalid("port name \(goQuote(exposed.name.value)) could not be found in any apps") }
            let hostIP = exposed.hostIP?.description ?? ""
            result.append(
                ForwardedPort(
                    name: exposed.name.value, protocolName: port.protocol.isEmpty ? "tcp" : port.protocol.lowercased(),
                    podPort: Int(port.port), hostPort: Int(exposed.hostPort == 0 ? port.port : exposed.hostPort),
                    hostIP: hostIP == "0.0.0.0" ? "" : hostIP))
        }
        return result
    }

    /// rkt's `ForwardedPort.conflicts`: same protocol and host port, and the same address or
    /// either on every address.
    static func conflicts(_ a: ForwardedPort, _ b: ForwardedPort) -> Bool {
        a.protocolName == b.protocolName && a.hostPort == b.hostPort && (a.hostIP.isEmpty || b.hostIP.isEmpty || a.hostIP == b.hostIP)
    }

    /// Why a host socket could not take the port (a server on the host holds it), or nil.
    static func hostPortTaken(_ port: ForwardedPort) -> String? {
        let type = port.protocolName == "udp" ? SOCK_DGRAM : SOCK_STREAM
        let fd = socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port.hostPort).bigEndian)
        if !port.hostIP.isEmpty, inet_pton(AF_INET, port.hostIP, &address.sin_addr) != 1 { return nil }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0 || errno != EADDRINUSE ? nil : errnoText(EADDRINUSE)
    }
}
