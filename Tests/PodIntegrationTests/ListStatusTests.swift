import Foundation
import Glibc
import ImageKit
import Testing

extension Pods {
    /// `rkt list` and `rkt status` output formats (rkt-runtime.md §0 Tables, §1.4, §1.5).
    @Suite struct ListAndStatus {
        let humanTime = "(now|[0-9]+ seconds? ago)"

        /// `--wait` and `--wait-ready` take no separate value (pflag's NoOptDefVal): the next
        /// word is the UUID. `--wait` returns once the pod has exited, with the app's code.
        @Test(.timeLimit(.minutes(2)))
        func statusWaits() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }

            let pod = try world.startPod(appFlags: ["--exec", "/bin/sh", "--", "-c", "sleep 1; exit 4"])
            let ready = world.rkt("status", "--wait-ready", pod.uuid)
            #expect(ready.code == 0 && ready.outLines.first == "state=running", "\(ready)")
            let waited = world.rkt("status", "--wait", pod.uuid)
            #expect(waited.code == 0, "\(waited)")
            #expect(waited.outLines.first == "state=exited" && waited.outLines.last == "app-busybox=4", "\(waited)")
            let timeout = world.rkt("status", "--wait=1ms", pod.uuid)
            #expect(timeout.code == 0, "an exited pod needs no waiting: \(timeout)")
        }

        @Test(.timeLimit(.minutes(3)))
        func formats() throws {
            guard preconditionsMet() else { return }
            let world = try PodWorld()
            defer { world.cleanup() }
            let stream = try ACIStream(path: world.image, pipelined: false)
            let imageID = "sha512-" + (try stream.imageID().hex).prefix(12)
            stream.close()

            let pod = try world.startPod()
            let short = String(pod.uuid.prefix(8))

            // Short table: legend + one row, aligned by Go's tabwriter with TABs.
            let list = world.rkt("list")
            #expect(list.code == 0, "\(list)")
            let legend = ["UUID", "APP", "IMAGE NAME", "STATE", "CREATED", "STARTED", "NETWORKS"]
            if list.outLines.count == 2,
                let cells = captures(
                    list.outLines[1], #"([0-9a-f]{8})\t+busybox\t+example\.com/busybox:1\.35\.0\t+running\t+\#(humanTime)\t+\#(humanTime)\t+(\#(defaultNetworkPattern))"#)
            {
                #expect(cells[0] == short, "short UUID: \(list)")
                let expected = goTabwriter([legend, [short, "busybox", "example.com/busybox:1.35.0", "running", cells[1], cells[2], cells[3]]])
                #expect(list.out == expected, "rkt list must be Go-tabwriter aligned:\n\(list.out.debugDescription)\nexpected:\n\(expected.debugDescription)")
            } else {
                Issue.record("rkt list: expected a legend and one `\(short) busybox example.com/busybox:1.35.0 running TIME TIME` row: \(list)")
            }

            // --no-legend: the row alone, aligned on its own.
            let noLegend = world.rkt("list", "--no-legend")
            if let cells = captures(noLegend.out, #"[0-9a-f]{8}\t+busybox\t+\S+\t+running\t+\#(humanTime)\t+\#(humanTime)\t+(\#(defaultNetworkPattern))\n"#) {
                #expect(
                    noLegend.out == goTabwriter([[short, "busybox", "example.com/busybox:1.35.0", "running", cells[0], cells[1], cells[2]]]),
                    "list --no-legend: \(noLegend.out.debugDescription)")
            } else {
                Issue.record("rkt list --no-legend: \(noLegend)")
            }

            // --full: 36-char UUID, image ID column, full timestamps.
            let full = world.rkt("list", "--full")
            let fullLegend = ["UUID", "APP", "IMAGE NAME", "IMAGE ID", "STATE", "CREATED", "STARTED", "NETWORKS"]
            if full.outLines.count == 2,
                let cells = captures(
                    full.outLines[1],
                    #"(\#(uuidPattern))\t+busybox\t+example\.com/busybox:1\.35\.0\t+(sha512-[0-9a-f]{12})\t+running\t+(\#(goTimePattern))\t+(\#(goTimePattern))\t+(\#(defaultNetworkPattern))"#
                )
            {
                #expect(cells[0] == pod.uuid, "\(full)")
                #expect(cells[1] == imageID, "image ID column: \(cells[1]) vs the image's \(imageID)")
                let expected = goTabwriter([
                    fullLegend,
                    [
                        pod.uuid, "busybox", "example.com/busybox:1.35.0", imageID, "running",
                        cells[2], cells[4], cells[6],
                    ],
                ])
                #expect(full.out == expected, "rkt list --full alignment:\n\(full.out.debugDescription)\nexpected:\n\(expected.debugDescription)")
            } else {
                Issue.record("rkt list --full: \(full)")
            }
            let fullNoLegend = world.rkt("list", "--full", "--no-legend")
            #expect(fullNoLegend.outLines.count == 1 && fullNoLegend.out.hasPrefix(pod.uuid + "\t"), "\(fullNoLegend)")

            // JSON.
            let json = world.rkt("list", "--format=json")
            #expect(json.code == 0 && json.outLines.count == 1, "\(json)")
            let parsed = (try? JSONSerialization.jsonObject(with: Data(json.out.utf8))) as? [[String: Any]]
            let entry = parsed?.first { $0["name"] as? String == pod.uuid }
            #expect(entry != nil, "list --format=json has the pod: \(json)")
            #expect(entry?["state"] as? String == "running", "\(json)")
            #expect(entry?["app_names"] as? [String] == ["busybox"], "\(json)")
            if let created = entry?["created_at"] as? Int {
                #expect(abs(Double(created) - Date().timeIntervalSince1970) < 600, "created_at is in seconds: \(created)")
            } else {
                Issue.record("list --format=json: no numeric created_at: \(json)")
            }
            let apps = entry?["apps"] as? [[String: Any]]
            #expect((apps?.first?["image_id"] as? String)?.hasPrefix(imageID) == true, "apps[0].image_id: \(json)")

            // status of the running pod, by full UUID and by prefix.
            let status = world.rkt("status", pod.uuid)
            let lines = status.outLines
            #expect(lines.count == 6, "\(status)")
            if lines.count == 6 {
                #expect(lines[0] == "state=running")
                #expect(matches(lines[1], "created=" + goTimePattern), "\(lines[1])")
                #expect(matches(lines[2], "started=" + goTimePattern), "\(lines[2])")
                #expect(matches(lines[3], "networks=" + defaultNetworkPattern), "\(lines[3])")
                #expect(lines[4] == "pid=\(pod.process.pid)", "\(lines[4])")
                #expect(lines[5] == "exited=false")
            }
            let byPrefix = world.rkt("status", short)
            #expect(byPrefix.code == 0 && byPrefix.out.hasPrefix("state=running\n"), "status by prefix: \(byPrefix)")
            let upper = world.rkt("status", short.uppercased())
            #expect(upper.code == 0 && upper.out.hasPrefix("state=running\n"), "prefixes are case-insensitive: \(upper)")

            let unknown = world.rkt("status", "nope")
            #expect(unknown.code == 254, "\(unknown)")
            #expect(unknown.err == "status: problem retrieving pod: no matches found for \"nope\"\n", "\(unknown)")

            // A prepared pod: prepare prints the full UUID; status has two lines.
            let prepare = world.rkt("prepare", world.image, "--exec", "/bin/true")
            #expect(prepare.code == 0, "\(prepare)")
            let prepared = prepare.out.trimmingCharacters(in: .newlines)
            #expect(matches(prepare.out, uuidPattern + "\n"), "prepare prints the full UUID on one line: \(prepare)")
            let preparedStatus = world.rkt("status", prepared)
            #expect(
                preparedStatus.code == 0 && preparedStatus.outLines.count == 2
                    && preparedStatus.outLines.first == "state=prepared"
                    && matches(preparedStatus.outLines.last ?? "", "created=" + goTimePattern),
                "status of a prepared pod is exactly state= and created=: \(preparedStatus)")
            let both = world.rkt("list", "--no-legend", "--full")
            #expect(
                both.outLines.count == 2 && both.outLines.map { String($0.prefix(36)) } == [pod.uuid, prepared].sorted(),
                "list is sorted by UUID: \(both)")
            let uuidFile = world.scratch.file("prepared-uuid")
            _ = FileManager.default.createFile(atPath: uuidFile, contents: Data(prepared.utf8))
            let viaFile = world.rkt("status", "--uuid-file=\(uuidFile)")
            #expect(viaFile.out.hasPrefix("state=prepared\n"), "status --uuid-file: \(viaFile)")
        }
    }
}
