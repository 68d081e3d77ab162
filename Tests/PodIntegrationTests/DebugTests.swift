import Foundation
import Glibc
import TestSupport
import Testing

/// Builds one of the images we ship (`images/NAME/build.sh`) into `directory` with the
/// actool of this build; returns the ACI's path.
func shippedImage(_ name: String, in directory: String) throws -> String {
    let out = directory + "/" + name + ".aci"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: repositoryRoot + "/images/\(name)/build.sh")
    process.arguments = [directory + "/" + name + ".layout", out]
    process.environment = ProcessInfo.processInfo.environment.merging(["ACTOOL": buildDirectory + "/actool"]) { $1 }
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PodTestError("images/\(name)/build.sh failed: \(String(decoding: message, as: UTF8.self))")
    }
    return out
}

/// The `minimal-app: tick N` numbers a pod printed so far.
func ticks(_ output: String) -> [Int] {
    output.split(separator: "\n").compactMap { line in
        line.hasPrefix("minimal-app: tick ") ? Int(line.dropFirst("minimal-app: tick ".count)) : nil
    }
}

/// Processes in `pod`'s pid namespace that are neither in its init's mount namespace nor
/// in an app's: what a debug session runs (`rkt enter` joins the init's).
func sessionProcesses(podInit: Int32) -> [Int32] {
    let podPID = readLink("/proc/\(podInit)/ns/pid"), podMount = readLink("/proc/\(podInit)/ns/mnt")
    // Each app has a mount namespace of its own too (the init's children).
    let appMounts = Set(children(of: podInit).compactMap { readLink("/proc/\($0)/ns/mnt") })
    return directoryEntries("/proc").compactMap { Int32($0) }.filter { pid in
        guard pid != podInit, readLink("/proc/\(pid)/ns/pid") == podPID, let mount = readLink("/proc/\(pid)/ns/mnt") else { return false }
        return mount != podMount && !appMounts.contains(mount)
    }
}

func readLink(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

extension Pods {
    /// `rkt debug`: live sessions in a running pod with a tools image (root, real pods,
    /// the images we ship: minimal-app and debug-tools, built by their scripts).
    @Suite struct Debug {
        /// A running minimal-app pod with debug-tools in the store.
        struct Target {
            let world: PodWorld
            let pod: RunningPod
            let initPID: Int32
            let appPID: Int32
            let appRoot: String

            init(world: PodWorld) throws {
                self.world = world
                let minimal = try shippedImage("minimal-app", in: world.scratch.path)
                let tools = try shippedImage("debug-tools", in: world.scratch.path)
                let fetch = world.rkt("fetch", tools)
                guard fetch.code == 0 else { throw PodTestError("fetch debug-tools: \(fetch)") }
                pod = try world.startPod(runFlags: [], appFlags: [], more: [], image: minimal)
                initPID = try #require(pod.initPID)
                appPID = try #require(pod.appPIDs.first)
                appRoot = "/proc/\(initPID)/root/opt/stage2/minimal-app/rootfs"
            }

            func debug(_ arguments: String...) -> RunResult { world.rkt(["debug", pod.uuid] + arguments) }
        }

        @Test(.timeLimit(.minutes(5)))
        func liveSessionLeavesThePodAsItWas() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let target = try Target(world: world)
            let mountsBefore = readText("/proc/\(target.initPID)/mountinfo")
            #expect(poll(timeout: 10) { !ticks(target.pod.process.out).isEmpty }, "the app ticks: \(target.pod.process.out)")

            // The app's processes, as the pod's pid namespace numbers them.
            let ps = target.debug("--", "ps")
            #expect(ps.code == 0 && ps.out.contains("/bin/minimal-app"), "\(ps)")
            #expect(!ps.out.contains("PackageTests"), "the pod's pid namespace, not the host's: \(ps)")
            let pidof = target.debug("--", "pidof", "minimal-app")
            let appInPod = try #require(Int(pidof.out.trimmingCharacters(in: .whitespacesAndNewlines)), "\(pidof)")

            // strace and gdb (dynamically linked, with the tools image's own libc) attach.
            let strace = target.debug("--", "timeout", "5", "strace", "-p", "\(appInPod)")
            #expect(strace.err.contains("attached") && strace.err.contains("clock_nanosleep"), "\(strace)")
            let gdb = target.debug("--", "gdb", "-p", "\(appInPod)", "--batch", "-ex", "info inferiors", "-ex", "show sysroot")
            #expect(gdb.code == 0 && gdb.out.contains("process \(appInPod)"), "\(gdb)")
            #expect(gdb.out.contains("\"/target\""), "gdb's sysroot is the app's root: \(gdb)")

            // The app's root is live at /target both ways; the tools' root is the session's own.
            #expect(FileManager.default.createFile(atPath: target.appRoot + "/tmp/from-host", contents: Data("host\n".utf8)))
            let both = target.debug("--", "sh", "-c", "cat /target/tmp/from-host && echo session > /target/tmp/from-session && echo kept > /root/note")
            #expect(both.code == 0 && both.out == "host\n", "\(both)")
            #expect(readText(target.appRoot + "/tmp/from-session") == "session\n", "the session's write lands in the app's files")
            let thrownAway = target.debug("--", "ls", "/root/note")
            #expect(thrownAway.code != 0, "a session's writes to the tools' root end with it: \(thrownAway)")

            // The app's environment, the tools' PATH first; CAP_SYS_PTRACE on top of the app's set.
            let env = target.debug("--", "env")
            #expect(env.outLines.contains("AC_APP_NAME=minimal-app"), "\(env)")
            #expect(env.outLines.contains { $0.hasPrefix("PATH=/opt/debug/bin:") }, "\(env)")
            let caps = target.debug("--", "grep", "CapBnd", "/proc/self/status")
            let mask = UInt64(caps.out.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "", radix: 16) ?? 0
            #expect(mask == UInt64(defaultCapabilityMask, radix: 16)! | 1 << 19, "\(caps)")
            let user = target.debug("--user=1000:1001", "--", "id")
            #expect(user.out == "uid=1000 gid=1001\n", "\(user)")
            let code = target.debug("--", "sh", "-c", "exit 7")
            #expect(code.code == 7, "the command's exit code is rkt debug's: \(code)")

            // Meanwhile rkt status says so.
            let session = try world.start(["debug", target.pod.uuid, "--", "sleep", "30"])
            var status = ""
            // Generous: under a loaded machine (the registry suites run beside) a session
            // takes seconds to come up.
            #expect(
                poll(timeout: 30) {
                    status = world.rkt("status", target.pod.uuid).out
                    return status.contains("debug-session=")
                }, "\(status)")
            #expect(poll(timeout: 30) { !sessionProcesses(podInit: target.initPID).isEmpty })
            kill(session.pid, SIGTERM)  // ends the session, which rkt debug then clears away
            let stopped = session.wait(timeout: 10)
            #expect(stopped.code == 128 + SIGTERM && !stopped.signaled, "\(stopped)")

            // Afterwards: the same app process, still ticking; the pod's mounts as before;
            // nothing of the sessions left in the pod or in its directory.
            #expect(target.pod.appPIDs == [target.appPID])
            let ticksSoFar = ticks(target.pod.process.out)
            #expect(poll(timeout: 5) { ticks(target.pod.process.out).count > ticksSoFar.count })
            let all = ticks(target.pod.process.out)
            #expect(all == Array(1...all.count), "one run of the app, never restarted: \(all)")
            #expect(readText("/proc/\(target.initPID)/mountinfo") == mountsBefore, "the pod's mount table is unchanged")
            #expect(poll(timeout: 5) { sessionProcesses(podInit: target.initPID).isEmpty })
            let after = world.rkt("status", target.pod.uuid)
            #expect(after.outLines.contains { $0.hasPrefix("debugged=") } && !after.out.contains("debug-session="), "\(after)")
            #expect(directoryEntries(world.data + "/pods/run/\(target.pod.uuid)/debug/sessions").isEmpty)
        }

        @Test(.timeLimit(.minutes(5)))
        func chrootModeAndKilledSessions() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let target = try Target(world: world)
            let mountsBefore = readText("/proc/\(target.initPID)/mountinfo")

            let listing = target.debug("--chroot", "--", "ls", "-a", "/")
            #expect(listing.code == 0 && listing.outLines.contains("bin") && listing.outLines.contains(".rkt-debug"), "\(listing)")
            let own = target.debug("--chroot", "--", "ls", "/bin")
            #expect(own.out == "minimal-app\n", "the app's own root: \(own)")
            let dynamic = target.debug("--chroot", "--", "gdb")
            #expect(dynamic.code == 254 && dynamic.err.contains("debug: --chroot needs static tools"), "\(dynamic)")
            #expect(!fileExists(target.appRoot + "/.rkt-debug"), "no file in the app's root")

            // SIGKILL to rkt debug: the session's processes go at once; the next debug
            // clears its directory.
            let session = try world.start(["debug", target.pod.uuid, "--", "sh", "-c", "sleep 1000 & sleep 1001"])
            #expect(poll(timeout: 10) { sessionProcesses(podInit: target.initPID).count >= 3 })
            kill(session.pid, SIGKILL)
            _ = session.wait(timeout: 10)
            #expect(poll(timeout: 5) { sessionProcesses(podInit: target.initPID).isEmpty }, "\(sessionProcesses(podInit: target.initPID))")
            #expect(target.debug("--", "true").code == 0)
            #expect(directoryEntries(world.data + "/pods/run/\(target.pod.uuid)/debug/sessions").isEmpty)
            #expect(readText("/proc/\(target.initPID)/mountinfo") == mountsBefore)
            #expect(target.pod.appPIDs == [target.appPID])
        }

        @Test(.timeLimit(.minutes(5)))
        func interactiveSessionOnAPty() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let target = try Target(world: world)
            let terminal = try Terminal()
            let session = try world.start(
                ["debug", target.pod.uuid], stdin: terminal.slaveHandle, stdout: terminal.slaveHandle, stderr: terminal.slaveHandle)
            terminal.closeSlave()
            let prompt = terminal.waitFor("/ # ", timeout: 20)
            #expect(prompt != nil, "a shell prompt: \(terminal.text)")
            terminal.send("tty; sleep 100\n")
            let tty = terminal.waitFor("/dev/pts/", after: prompt, timeout: 10)
            #expect(tty != nil, "the shell is on a pty of the pod's devpts: \(terminal.text)")
            terminal.send("\u{3}")  // ^C: the shell's sleep, not the app
            let next = terminal.waitFor("/ # ", after: tty, timeout: 10)
            #expect(next != nil, "\(terminal.text)")
            terminal.send("exit 3\n")
            let result = session.wait(timeout: 20)
            #expect(result.code == 3, "\(result) \(terminal.text)")
            #expect(target.pod.appPIDs == [target.appPID], "the app lives on")
        }

        /// `--debug-image`: the tools' files below the app's, at run time; the app's
        /// image, its ID and its file stay as they were.
        @Test(.timeLimit(.minutes(5)))
        func debugImageAtRunTime() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let minimal = try shippedImage("minimal-app", in: world.scratch.path)
            let tools = try shippedImage("debug-tools", in: world.scratch.path)
            let bytesBefore = FileManager.default.contents(atPath: minimal)
            let fetchTools = world.rkt("fetch", tools)
            #expect(fetchTools.code == 0, "\(fetchTools)")
            let pod = try world.startPod(runFlags: ["--debug-image=example.com/debug-tools"], appFlags: [], image: minimal)
            let shell = world.rkt("enter", pod.uuid, "sh", "-c", "echo a shell; which strace gdb")
            #expect(shell.code == 0 && shell.out == "a shell\n/usr/local/bin/strace\n/usr/local/bin/gdb\n", "\(shell)")
            let own = world.rkt("enter", pod.uuid, "ls", "/bin/minimal-app")
            #expect(own.code == 0, "the app's own files are on top: \(own)")
            #expect(FileManager.default.contents(atPath: minimal) == bytesBefore, "the app's image file is untouched")
            let manifest = world.rkt("cat-manifest", pod.uuid)
            let images = world.rkt("image", "list", "--fields=id,name", "--no-legend", "--full")
            let appID = images.outLines.first { $0.contains("example.com/minimal-app") }?.split(separator: "\t").first.map(String.init) ?? "?"
            #expect(manifest.out.contains("\"id\": \"\(appID.prefix(80))"), "the pod runs the app's own image: \(manifest) \(images)")
            #expect(!manifest.out.contains("debug-tools"), "the tools are not an app of the pod: \(manifest)")

            // The app's own image as its debug image: one layer, not the same tree twice.
            let same = world.rkt("run", "--debug-image=\(world.image)", world.image, "--exec", "/bin/true")
            #expect(same.code == 0, "\(same)")

            // prepare takes it too, and run-prepared keeps it.
            let prepared = world.rkt("prepare", "--quiet", "--debug-image=example.com/debug-tools", minimal)
            let uuid = prepared.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(prepared.code == 0 && !uuid.isEmpty, "\(prepared)")
            _ = try world.start(["run-prepared", uuid])
            #expect(poll(timeout: 20) { world.rkt("status", uuid).out.contains("state=running") })
            let later = world.rkt("enter", uuid, "sh", "-c", "echo prepared")
            #expect(later.out == "prepared\n", "\(later)")
        }

        /// Exited pods and bare images: throwaway sessions on the app's files, in
        /// namespaces of their own; the app is not run and nothing is kept.
        @Test(.timeLimit(.minutes(5)))
        func throwawaySessions() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let mountsBefore = hostMountPoints()
            let uuidFile = world.scratch.file("exited")
            let run = world.rkt(["run", "--uuid-file-save=\(uuidFile)", world.image, "--exec", "/bin/sh", "--", "-c", "echo left > /root/state"])
            #expect(run.code == 0, "\(run)")
            let uuid = try #require(readText(uuidFile))
            let upper = world.data + "/pods/run/\(uuid)/overlay/busybox/upper/root/state"
            #expect(readText(upper) == "left\n")

            // What the app left, seen; a change to it, thrown away.
            let seen = world.rkt("debug", "--image=\(world.image)", uuid, "--", "cat", "/target/root/state")
            #expect(seen.code == 0 && seen.out == "left\n", "\(seen)")
            #expect(seen.err.contains("throwaway session") && seen.err.contains("the app is not run"), "the session says so: \(seen)")
            let change = world.rkt("debug", "--image=\(world.image)", uuid, "--", "sh", "-c", "echo changed > /target/root/state; ps")
            #expect(change.code == 0 && !change.out.contains("/bin/sh -c echo left"), "the app does not run: \(change)")
            #expect(readText(upper) == "left\n", "the pod's files are not changed")
            let again = world.rkt("debug", "--image=\(world.image)", "--chroot", uuid, "--", "cat", "/root/state")
            #expect(again.out == "left\n", "--chroot: the app's root is the session's: \(again)")
            let status = world.rkt("status", uuid)
            #expect(status.outLines.contains { $0.hasPrefix("debugged=") }, "\(status)")

            // A bare image, by file: a fresh root of it; the session's own network.
            let minimal = try shippedImage("minimal-app", in: world.scratch.path)
            let bare = world.rkt("debug", "--image=\(world.image)", minimal, "--", "sh", "-c", "ls /target/bin; hostname; cat /proc/net/dev | grep -c :")
            #expect(bare.code == 0 && bare.out == "minimal-app\nrkt-debug\n1\n", "only loopback: \(bare)")
            #expect(directoryEntries(world.data + "/debug/sessions").isEmpty)

            // Killed: its processes go with it (the reaper is the session's PID 1), and
            // rkt gc clears the directory it left.
            // A duration no other test sleeps (the interactive test's shell runs `sleep 100`).
            let killed = try world.start(["debug", "--image=\(world.image)", minimal, "--", "sleep", "317"])
            #expect(poll(timeout: 10) { !directoryEntries(world.data + "/debug/sessions").isEmpty })
            #expect(poll(timeout: 10) { (try? String(contentsOfFile: "/proc/\(killed.pid)/task/\(killed.pid)/children", encoding: .utf8))?.isEmpty == false })
            kill(killed.pid, SIGKILL)
            _ = killed.wait(timeout: 10)
            let sleeping = {
                directoryEntries("/proc").filter { Int32($0) != nil && readText("/proc/\($0)/cmdline") == "sleep\u{0}317\u{0}" }
            }
            #expect(poll(timeout: 5) { sleeping().isEmpty }, "the session's processes die with it: \(sleeping())")
            #expect(world.rkt("gc", "--grace-period=0s").code == 0)
            #expect(directoryEntries(world.data + "/debug/sessions").isEmpty, "gc clears a killed session's directory")
            #expect(poll(timeout: 5) { hostMountPoints() == mountsBefore }, "nothing stays mounted on the host")
        }

        @Test(.timeLimit(.minutes(5)))
        func badInput() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let minimal = try shippedImage("minimal-app", in: world.scratch.path)
            let pod = try world.startPod(runFlags: [], appFlags: [], more: [], image: minimal)
            let initPID = try #require(pod.initPID)
            let mountsBefore = readText("/proc/\(initPID)/mountinfo")
            // Not in the store yet: the default tools image's absence says how to get it.
            let noTools = world.rkt("debug", pod.uuid, "--", "true")
            #expect(
                noTools.code == 254 && noTools.err.contains("debug: no tools image: \"example.com/debug-tools\" is not in the store") && noTools.err.contains("fetch"), "\(noTools)"
            )
            var foreign = busyboxManifest.replacingOccurrences(of: #""value":"amd64""#, with: #""value":"s390x""#)
            if foreign == busyboxManifest { foreign = busyboxManifest.replacingOccurrences(of: #""value":"aarch64""#, with: #""value":"amd64""#) }
            let foreignImage = world.scratch.file("foreign.aci")
            try writeBusyboxImage(foreignImage, manifest: foreign)
            let cases: [([String], String)] = [
                (["debug", "nope", "--", "true"], "debug: problem retrieving pod: no matches found for \"nope\""),
                (["debug", "--app=other", pod.uuid, "--", "true"], "debug: pod \"\(pod.uuid)\" has no app \"other\""),
                (["debug", "--image=\(world.scratch.path)/missing.aci", pod.uuid, "--", "true"], "debug: "),
                (["debug", "--image=sha512-0123456789", pod.uuid, "--", "true"], "debug: "),
                (["debug", "--image=\(foreignImage)", pod.uuid, "--", "true"], "debug: bad arch"),
                (["debug", "--image=\(world.image)", "--user=x", pod.uuid, "--", "true"], "debug: --user=x"),
                (["debug", "--image=\(world.image)", pod.uuid, "--", "nosuchtool"], "debug: cannot run \"nosuchtool\" in the session"),
            ]
            for (arguments, message) in cases {
                let result = world.rkt(arguments)
                #expect(result.code == 254 && result.err.contains(message) && result.err.split(separator: "\n").count == 1, "rkt \(arguments): \(result)")
            }
            #expect(readText("/proc/\(initPID)/mountinfo") == mountsBefore)

        }
    }
}
