import Foundation
import Testing
@testable import GradscopeService

/// A full disk, made real: a small tmpfs as the data directory (mounting
/// needs root, as CI runs). Nothing is acknowledged that is not stored, and
/// a failure that could not be written is written once there is room.
extension ServiceTests {
    final class SmallDisk {
        let mount: URL
        var data: URL { mount.appendingPathComponent("data") }
        var filler: URL { mount.appendingPathComponent("filler") }
        /// Held from the start and given back by `free`, so that the room
        /// freed is never just what was left when the disk was filled (a
        /// job's last buffered records could take that again at once).
        var reserve: URL { mount.appendingPathComponent("reserve") }

        init(megabytes: Int) throws {
            mount = FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-disk-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
            try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mount.path)
            try Data(count: 1 << 20).write(to: reserve)
        }

        /// Writes a file until the disk refuses more.
        func fill() {
            _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
            guard let out = FileHandle(forWritingAtPath: filler.path) else { return }
            let block = Data(repeating: 0, count: 64 << 10)
            while (try? out.write(contentsOf: block)) != nil {}
            let byte = Data([0])
            while (try? out.write(contentsOf: byte)) != nil {}
            try? out.close()
        }

        func free() {
            try? FileManager.default.removeItem(at: filler)
            try? FileManager.default.removeItem(at: reserve)
        }

        func remove() {
            try? Self.run("/bin/umount", mount.path)
            try? FileManager.default.removeItem(at: mount)
        }

        static func run(_ tool: String, _ arguments: String...) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = arguments
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw POSIXError(.EPERM) }
        }
    }

    @Test(TestDatabase.localOnly, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func nothingIsAcknowledgedThatIsNotStored() throws {
        let disk = try SmallDisk(megabytes: 4)
        defer { disk.remove() }
        let h = try Harness(directory: disk.data)
        defer { h.close() }
        disk.fill()
        let job = try h.client.request("POST", "/api/jobs", body: Self.small)
        #expect(job.status == 500 && job.error["code"] as? String == "storage", "\(job.text)")
        let run = try h.client.request("POST", "/api/runs", body: Self.runSpec)
        #expect(run.status == 500 && run.error["code"] as? String == "storage", "\(run.text)")
        let csv = "x1,x2,label\n" + (0..<2000).map { "0.\($0),0.5,\($0 % 2)" }.joined(separator: "\n")
        let upload = try h.client.request("POST", "/api/datasets?name=big", body: csv)
        #expect(upload.status == 500 && upload.error["code"] as? String == "storage", "\(upload.text)")
        #expect(try h.client.request("GET", "/api/jobs").json["total"] as? Int == 0)
        #expect((try h.client.request("GET", "/api/datasets").json["datasets"] as? [Any])?.isEmpty == true)
        // With room again, the same requests are stored.
        disk.free()
        let id = try h.submit(Self.small)
        #expect(try h.waitUntilFinished(id)["status"] as? String == "completed")
    }

    @Test(TestDatabase.localOnly, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFailureOnAFullDiskIsWrittenOnceThereIsRoom() throws {
        let disk = try SmallDisk(megabytes: 4)
        defer { disk.remove() }
        var h = try Harness(directory: disk.data)
        let id = try h.submit(Self.long.replacingOccurrences(of: #""every": 50"#, with: #""every": 1"#))
        usleep(300_000)
        disk.fill()
        let failed = try h.waitUntilFinished(id, timeout: 30)
        #expect(failed["status"] as? String == "failed", "\(failed)")
        #expect((failed["error"] as? String ?? "").isEmpty == false)
        disk.free()
        h.service.manager!.heartbeat()
        h.close(keepData: true)
        h = try Harness(directory: disk.data)
        defer { h.close() }
        let after = try h.client.request("GET", "/api/jobs/\(id)").json
        #expect(after["status"] as? String == "failed" && (after["error"] as? String ?? "").isEmpty == false, "\(after)")
    }
}
