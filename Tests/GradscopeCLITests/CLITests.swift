import Foundation
import Testing

/// Runs the real `gradscope` binary, as the README's commands do.
struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary = Bundle.main.bundleURL.appendingPathComponent("gradscope")

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ arguments: [String]) throws -> Output {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.currentDirectoryURL = root
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func runPrintsOneJSONObjectPerLineEndingWithSummaryAndReport() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("spec.json")
        try #"{"data": {"source": "xor", "samples": 200}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 12, "batch_size": 50}, "diagnostics": {"every": 4}}"#
            .write(to: spec, atomically: true, encoding: .utf8)
        let ckpt = dir.appendingPathComponent("model.json")
        let r = try Self.run(["run", spec.path, "--checkpoint-out", ckpt.path, "--checkpoint-at", "4,8"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        let types = try lines.map { try (JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["type"] as! String }
        #expect(types.first == "start" && types.suffix(2) == ["summary", "report"])
        #expect(types.filter { $0 == "step" }.count == 4)  // steps 1, 4, 8, 12
        #expect(r.stderr.isEmpty)  // no progress bar when stderr is not a terminal
        for name in ["model.json", "model.step4.json", "model.step8.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)")
        }

        // Starting from the checkpoint gives the trained weights: a lower first loss.
        let again = try Self.run(["run", spec.path, "--init-from", ckpt.path])
        func firstLoss(_ s: String) throws -> Double {
            let step = try s.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                .first { $0["type"] as? String == "step" }!
            return step["loss"] as! Double
        }
        #expect(try firstLoss(again.stdout) < firstLoss(r.stdout))
    }

    @Test(arguments: [
        (#"{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": -1}}"#,
         "optimizer.lr must be a finite number > 0, got -1"),
        (#"{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8, "colour": "red"}, "optimizer": {"type": "sgd", "lr": 1}}"#,
         "mlp.colour is not a field of mlp"),
        ("not json", "the spec is not valid JSON"),
    ])
    func invalidSpecExitsWithCode2AndOneLineNamingTheField(json: String, fragment: String) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("bad.json")
        try json.write(to: spec, atomically: true, encoding: .utf8)
        let r = try Self.run(["run", spec.path])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("gradscope: error: \(spec.path): "))
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func missingSpecFileIsAClearError() throws {
        let r = try Self.run(["run", "/nonexistent/spec.json"])
        #expect(r.status == 2)
        #expect(r.stderr == "gradscope: error: cannot read /nonexistent/spec.json: no such file\n")
    }

    @Test func benchPrintsJSONResults() throws {
        let r = try Self.run(["bench", "--json", "--configs", "d2-w16-b8", "--repeats", "1", "--steps", "3", "--warmup", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let results = obj["results"] as! [[String: Any]]
        #expect(results.map { $0["config"] as! String } == ["mlp-d2-w16-b8", "mlp-d2-w16-b8"])
        #expect(results.map { $0["stats"] as! Bool } == [false, true])
        #expect(results.allSatisfy { ($0["median_ms"] as! Double) > 0 })
    }

    /// Each example ends with its summary and the right verdict.
    @Test(arguments: [("healthy", "healthy"), ("vanishing", "vanishing"), ("exploding", "diverged")])
    func examplesEndWithTheirVerdict(name: String, verdict: String) throws {
        let r = try Self.run(["run", "examples/\(name).json"])
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.dropLast().last??["type"] as? String == "summary")
        let report = try #require(lines.last ?? nil)
        #expect(report["type"] as? String == "report")
        #expect(report["verdict"] as? String == verdict)
        if verdict != "healthy" {
            #expect((report["remedies"] as? [[String: Any]])?.isEmpty == false)
            #expect(lines.contains { $0?["type"] as? String == "alert" })
        }
    }

    @Test func compareFindsARemedyThatTrains() throws {
        let r = try Self.run(["compare", "examples/exploding.json", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let trials = try r.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(trials.first?["name"] as? String == "original")
        #expect(trials.first?["verdict"] as? String == "diverged")
        let working = trials.filter { $0["works"] as? Bool == true }
        #expect(working.count == 1)
        #expect(working.first?["verdict"] as? String == "healthy")
        #expect(trials.last?["works"] as? Bool == true, "auto stops at the first remedy that works")
    }

    /// `gradscope serve` prints its URL, serves, and on SIGTERM stops its
    /// jobs (they are `cancelled`, not lost) and exits 0.
    @Test func serveStopsCleanlyOnSIGTERM() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (p, line, port) = try Self.serve(dataDirectory: dir, environment: [:])
        #expect(line.hasPrefix("gradscope serving on http://127.0.0.1:"))
        let submit = Process()
        submit.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        submit.arguments = ["-sf", "-X", "POST", "http://127.0.0.1:\(port)/api/jobs", "-d",
                            #"{"data": {"source": "spirals"}, "mlp": {"depth": 3, "width": 32}, "optimizer": {"type": "sgd", "lr": 0.05}, "training": {"steps": 1000000}}"#]
        submit.standardOutput = FileHandle.nullDevice
        try submit.run()
        submit.waitUntilExit()
        #expect(submit.terminationStatus == 0)
        usleep(300_000)
        p.terminate()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let meta = try String(contentsOf: dir.appendingPathComponent("jobs/j-000001/meta.json"), encoding: .utf8)
        #expect(meta.contains(#""status":"cancelled""#))
    }

    /// Starts `gradscope serve` on a free port with the given environment
    /// and returns it with its first line and its port.
    static func serve(dataDirectory: URL, environment: [String: String]) throws -> (process: Process, line: String, port: Int) {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory.path]
        p.currentDirectoryURL = root
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let port = line.split(separator: ":").dropFirst(2).first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        return (p, line, port)
    }

    /// The HTTP status of a POST with curl, with extra headers.
    static func postStatus(_ url: String, body: String, headers: [String] = []) throws -> String {
        let r = Process(), out = Pipe()
        r.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        r.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", url, "-d", body]
            + headers.flatMap { ["-H", $0] }
        r.standardOutput = out
        try r.run()
        r.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// An empty `GRADSCOPE_TOKEN` (what compose passes when none is set) is
    /// no token: the server says it is open and is; a set one is enforced.
    @Test(arguments: [("", false), ("s3cret", true)])
    func serveTokenFromTheEnvironment(token: String, required: Bool) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try Self.serve(dataDirectory: dir, environment: ["GRADSCOPE_TOKEN": token])
        defer { server.process.terminate(); server.process.waitUntilExit() }
        #expect(server.line.contains("token required") == required, "\(server.line)")
        #expect(server.line.contains("no token") == !required, "\(server.line)")
        let url = "http://127.0.0.1:\(server.port)/api/datasets?name=toy"
        let csv = "x,label\n0.1,0\n0.9,1\n"
        #expect(try Self.postStatus(url, body: csv) == (required ? "401" : "201"))
        if required {
            #expect(try Self.postStatus(url, body: csv, headers: ["Authorization: Bearer \(token)"]) == "201")
        }
    }

    @Test func compareRejectsAnUnknownRemedy() throws {
        let r = try Self.run(["compare", "examples/healthy.json", "--remedies", "magic"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown remedy \"magic\""))
    }
}
