import Foundation
import Synchronization
import Testing
@testable import GradscopeHTTP
@testable import GradscopePostgres
@testable import GradscopeService

/// End to end: a real server on a free loopback port, talked to over HTTP.
@Suite(.serialized)
struct ServiceTests {
    /// A service on a fresh data directory (or a given one), stopped by
    /// `close`. With `GRADSCOPE_TEST_DATABASE_URL` set, the same suite runs
    /// on the database backend: each directory gets its own database, and
    /// the service its own worker with `maxJobs` slots.
    final class Harness {
        let service: Service
        let client: TestClient
        let directory: URL
        private var worker: Task<Void, Never>?

        init(directory: URL? = nil, token: String? = nil, maxJobs: Int = 2, maxQueue: Int = 64,
             configure: (inout Service.Configuration) -> Void = { _ in }) throws {
            self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-e2e-\(UUID().uuidString)")
            var config = Service.Configuration()
            config.http.port = 0
            config.dataDirectory = self.directory
            config.token = token
            config.jobs.maxJobs = maxJobs
            config.jobs.maxQueue = maxQueue
            config.publicDirectory = ServiceTests.root.appendingPathComponent("public")
            configure(&config)
            if TestDatabase.url != nil {
                var backendConfig = PostgresBackend.Configuration()
                backendConfig.limits = config.jobs.limits
                backendConfig.maxQueue = maxQueue
                backendConfig.runIdleTimeout = config.jobs.runIdleTimeout
                backendConfig.cacheDirectory = self.directory.appendingPathComponent("cache")
                let backend = PostgresBackend(db: try TestDatabase.database(for: self.directory), configuration: backendConfig)
                var workerConfig = Worker.Configuration()
                workerConfig.slots = maxJobs
                workerConfig.lease = .seconds(3)
                workerConfig.heartbeat = .seconds(1)
                let worker = Worker(backend: backend, configuration: workerConfig)
                self.worker = Task { await worker.run() }
                service = Service(configuration: config, backend: backend)
            } else {
                service = try Service(configuration: config)
            }
            client = TestClient(port: try service.start())
        }

        func close(keepData: Bool = false) {
            if let worker {
                worker.cancel()
                _ = try? TestDatabase.wait { await worker.value }
            }
            service.stop()
            if !keepData { try? FileManager.default.removeItem(at: directory) }
        }

        /// Submits and returns the new job's id.
        func submit(_ spec: String, headers: [String: String] = [:]) throws -> String {
            let r = try client.request("POST", "/api/jobs", body: spec, headers: headers)
            #expect(r.status == 201, "\(r.text)")
            return r.json["id"] as? String ?? ""
        }

        /// A finished job with 1500 step records, a history of several MB.
        func longHistory() throws -> String {
            let spec = ServiceTests.small.replacingOccurrences(of: #""steps": 60"#, with: #""steps": 1500"#)
                .replacingOccurrences(of: #""every": 5"#, with: #""every": 1"#)
            let id = try submit(spec)
            _ = try waitUntilFinished(id, timeout: 120)
            return id
        }

        func waitUntilFinished(_ id: String, timeout: Double = 60) throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let job = try client.request("GET", "/api/jobs/\(id)").json
                if let s = job["status"] as? String, !["queued", "running"].contains(s) { return job }
                usleep(20_000)
            }
            return [:]
        }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let small = #"{"name": "small", "data": {"source": "xor", "samples": 200}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 60, "batch_size": 20}, "diagnostics": {"every": 5}}"#
    static let long = #"{"data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 4, "width": 32}, "optimizer": {"type": "sgd", "lr": 0.05}, "training": {"steps": 1000000, "batch_size": 32}, "diagnostics": {"every": 50}}"#

    @Test func submitStreamsEveryRecordAndTheReport() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.submit(Self.small)
        #expect(id.hasPrefix("j-"))
        let (response, events) = try h.client.events("/api/jobs/\(id)/events")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/event-stream")
        let kinds = events.map(\.event)
        #expect(kinds.first == "start")
        #expect(kinds.contains("step") && kinds.contains("epoch") && kinds.contains("summary"))
        #expect(kinds.suffix(2) == ["report", "status"])
        #expect(events.last?.json["status"] as? String == "completed")
        let ids = events.filter { $0.event == "step" }.compactMap { $0.id.flatMap(Int.init) }
        #expect(ids == [1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60])
        // `every` counts stored records; `next` is where to continue.
        let page = try h.client.request("GET", "/api/jobs/\(id)/steps?from=1&every=2&limit=3").json
        #expect((page["steps"] as? [[String: Any]])?.map { $0["step"] as? Int } == [5, 15, 25])
        #expect(page["next"] as? Int == 25)
        let last = try h.client.request("GET", "/api/jobs/\(id)/steps?from=50").json
        #expect((last["steps"] as? [[String: Any]])?.count == 2 && last["next"] is NSNull)
        let job = try h.waitUntilFinished(id)
        #expect(job["status"] as? String == "completed" && job["verdict"] as? String == "healthy")
        #expect(job["step"] as? Int == 60 && job["total_steps"] as? Int == 60)
        #expect((job["spec"] as? [String: Any])?["name"] as? String == "small")
        let report = try h.client.request("GET", "/api/jobs/\(id)/report")
        #expect(report.status == 200 && report.json["verdict"] as? String == "healthy")
        let checkpoint = try h.client.request("GET", "/api/jobs/\(id)/checkpoint")
        #expect(checkpoint.json["format"] as? String == "gradscope-checkpoint")
    }

    @Test func resumesFromLastEventIDWithoutGapsOrDuplicates() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.submit(Self.small)
        _ = try h.waitUntilFinished(id)
        let (_, all) = try h.client.events("/api/jobs/\(id)/events")
        let (_, resumed) = try h.client.events("/api/jobs/\(id)/events", headers: ["Last-Event-ID": "25"])
        let (_, fromQuery) = try h.client.events("/api/jobs/\(id)/events?from=25")
        #expect(resumed.first?.event == "start")
        // Everything after step 25: records are in step order, alerts before their step's record.
        let tail = Array(all.dropFirst().drop { ($0.json["step"] as? Int ?? 0) <= 25 })
        #expect(Array(resumed.dropFirst()) == tail)
        #expect(fromQuery == resumed)
        let bad = try h.client.request("GET", "/api/jobs/\(id)/events", headers: ["Last-Event-ID": "x"])
        #expect(bad.status == 400 && bad.error["field"] as? String == "Last-Event-ID")
    }

    @Test func liveStreamSeesEveryStepOfARunningJob() throws {
        let h = try Harness()
        defer { h.close() }
        let spec = Self.small.replacingOccurrences(of: #""steps": 60"#, with: #""steps": 3000"#)
            .replacingOccurrences(of: #""every": 5"#, with: #""every": 1"#)
        let id = try h.submit(spec)
        let (_, events) = try h.client.events("/api/jobs/\(id)/events", timeout: 120)
        let ids = events.filter { $0.event == "step" }.compactMap { $0.id.flatMap(Int.init) }
        #expect(ids.count == 3000 && ids.first == 1 && ids.last == 3000, "\(ids.count) steps, first \(ids.first ?? -1)")
        #expect(ids == Array(1...3000), "first gap or repeat after \(zip(ids, 1...).first { $0 != $1 }.map { "\($0)" } ?? "-")")
        let steps = try h.client.request("GET", "/api/jobs/\(id)/steps?from=2990&limit=5").json
        #expect((steps["steps"] as? [[String: Any]])?.map { $0["step"] as? Int } == [2991, 2992, 2993, 2994, 2995])
        #expect(steps["next"] as? Int == 2995)
    }

    /// A history far larger than the slow-client limit (1 MiB) is replayed
    /// whole: the replay is read from disk as the client takes it.
    @Test func replaysAHistoryLargerThanTheStreamBuffer() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.longHistory()
        let (response, events) = try h.client.events("/api/jobs/\(id)/events")
        #expect(response.body.count > 3 << 20)
        #expect(events.filter { $0.event == "step" }.count == 1500)
        #expect(events.last?.event == "status")
    }

    /// Pages of `/steps` start where asked in a long history (found by
    /// bisecting the file) and together give every record once, though the
    /// history holds alerts dated before the step that confirmed them.
    @Test func stepPagesCoverTheHistoryOnce() throws {
        let h = try Harness()
        defer { h.close() }
        let spec = #"{"seed": 1, "data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 12, "width": 32, "activation": "sigmoid", "init": "normal", "std": 0.1}, "optimizer": {"type": "sgd", "lr": 0.05}, "training": {"steps": 1500, "batch_size": 32}, "diagnostics": {"every": 1}}"#
        let id = try h.submit(spec)
        #expect(try h.waitUntilFinished(id, timeout: 120)["verdict"] as? String == "vanishing")
        func page(_ query: String) throws -> (steps: [Int], next: Int?) {
            let json = try h.client.request("GET", "/api/jobs/\(id)/steps?\(query)").json
            return ((json["steps"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int }, json["next"] as? Int)
        }
        var all: [Int] = [], from = 0
        while true {
            let p = try page("from=\(from)&limit=97")
            all += p.steps
            guard let next = p.next else { break }
            from = next
        }
        #expect(all == Array(1...1500))
        #expect(try page("from=1234&limit=3").steps == [1235, 1236, 1237])
        #expect(try page("from=1490&limit=100").next == nil)
        #expect(try page("from=100&every=10&limit=3").steps == [101, 111, 121])
    }

    /// Clients that leave in the middle of a replay (a history larger than
    /// the socket buffers, so the replay is still reading the record file)
    /// take nothing with them: no open file, no stream.
    @Test func clientsThatLeaveMidReplayLeakNothing() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.longHistory()
        func openRecordFiles() -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?
                    .hasSuffix("/\(id)/records.ndjson") == true
            }.count
        }
        for _ in 0..<50 {
            let fd = try h.client.connect()
            h.client.send(fd, method: "GET", path: "/api/jobs/\(id)/events", headers: [:], body: Data())
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = recv(fd, &buffer, buffer.count, 0)
            var abort = linger(l_onoff: 1, l_linger: 0)  // a reset, as a killed client sends
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
            close(fd)
        }
        // The server notices each departure at its next write.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && (openRecordFiles() > 0 || h.service.openStreams > 0) { usleep(50_000) }
        #expect(openRecordFiles() == 0)
        #expect(h.service.openStreams == 0)
        #expect(try h.client.request("GET", "/healthz").status == 200)
    }

    @Test func cancelStopsARunningJobAndDeleteRemovesIt() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.submit(Self.long)
        usleep(200_000)
        let cancel = try h.client.request("POST", "/api/jobs/\(id)/cancel")
        #expect(cancel.status == 202)
        let job = try h.waitUntilFinished(id, timeout: 10)
        #expect(job["status"] as? String == "cancelled")
        #expect(try h.client.request("POST", "/api/jobs/\(id)/cancel").status == 409)
        #expect(try h.client.request("GET", "/api/jobs/\(id)/report").json["type"] as? String == "report")
        #expect(try h.client.request("DELETE", "/api/jobs/\(id)").status == 204)
        #expect(try h.client.request("GET", "/api/jobs/\(id)").status == 404)
    }

    /// DELETE answers at once, while the job still runs; its worker removes
    /// the files when it stops, within a step.
    @Test(TestDatabase.localOnly) func deletingARunningJobRemovesItsFilesWhenItStops() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.submit(Self.long)
        let folder = h.directory.appendingPathComponent("jobs/\(id)")
        var waits = 0
        while waits < 200, h.service.manager!.meta(id)?.status != .running { usleep(10_000); waits += 1 }
        let started = DispatchTime.now().uptimeNanoseconds
        #expect(try h.client.request("DELETE", "/api/jobs/\(id)").status == 204)
        #expect(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < 0.5, "DELETE waited for the job")
        #expect(try h.client.request("GET", "/api/jobs/\(id)").status == 404)
        waits = 0
        while waits < 500, FileManager.default.fileExists(atPath: folder.path) { usleep(10_000); waits += 1 }
        #expect(!FileManager.default.fileExists(atPath: folder.path), "the worker left \(folder.path)")
    }

    /// A job deleted while its files are still being written (ids are
    /// sequential, so a client can race its own submission) stays deleted
    /// after a restart.
    @Test(TestDatabase.localOnly) func aJobDeletedWhileItIsStoredStaysDeleted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-race-\(UUID().uuidString)")
        let h = try Harness(directory: dir)
        let deleted = Mutex<[String]>([])
        let submitted = Mutex(false)
        let deleter = Thread { [client = h.client] in
            var next = 1
            while next <= 30 {
                let id = String(format: "j-%06d", next)
                if (try? client.request("DELETE", "/api/jobs/\(id)").status) == 204 {
                    deleted.withLock { $0.append(id) }
                    next += 1
                } else if submitted.withLock({ $0 }) {
                    break
                }
            }
        }
        deleter.start()
        for _ in 0..<30 { _ = try h.client.request("POST", "/api/jobs", body: Self.small) }
        submitted.withLock { $0 = true }
        while !deleter.isFinished { usleep(10_000) }
        h.close(keepData: true)
        let again = try Harness(directory: dir)
        defer { again.close() }
        let ids = deleted.withLock { $0 }
        #expect(!ids.isEmpty)
        for id in ids { #expect(try again.client.request("GET", "/api/jobs/\(id)").status == 404, "\(id) came back") }
    }

    /// A remedy experiment takes a job slot: with one slot and a job
    /// running, it waits; the server's stop cancels it.
    @Test(TestDatabase.localOnly) func remedyExperimentsShareTheJobSlotsAndStopWithTheServer() throws {
        let h = try Harness(maxJobs: 1)
        let done = try h.submit(Self.small)
        _ = try h.waitUntilFinished(done)
        let running = try h.submit(Self.long)
        let posted = try h.client.request("POST", "/api/jobs/\(done)/remedies", body: #"{"remedies": ["clip_norm"]}"#)
        #expect(posted.status == 202, "\(posted.text)")
        let path = "/api/comparisons/\(posted.json["id"] as? String ?? "")"
        usleep(300_000)
        #expect(try h.client.request("GET", path).json["status"] as? String == "queued", "it must wait for the slot")
        #expect(try h.client.request("POST", "/api/jobs/\(running)/cancel").status == 202)
        var waits = 0
        while waits < 500, try h.client.request("GET", path).json["status"] as? String == "queued" { usleep(10_000); waits += 1 }
        h.service.stop()
        let status = (try? JSONValue.parse(Data((h.service.comparisons!.json(posted.json["id"] as? String ?? "") ?? "").utf8)))?["status"]
        #expect(status == .string("cancelled") || status == .string("completed"), "\(String(describing: status))")
        try? FileManager.default.removeItem(at: h.directory)
    }

    @Test(TestDatabase.localOnly) func jobsSurviveARestartAndRunningOnesAreInterrupted() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradscope-restart-\(UUID().uuidString)")
        let first = try Harness(directory: dir)
        let done = try first.submit(Self.small)
        _ = try first.waitUntilFinished(done)
        let running = try first.submit(Self.long)
        // Running, with records on disk, its state last saved at its start (step 0).
        while try first.client.request("GET", "/api/jobs/\(running)").json["step"] as? Int ?? 0 < 100 { usleep(20_000) }
        // A second server on the same data, as after a crash (kill -9) of the first.
        let second = try Harness(directory: dir)
        #expect(try second.client.request("GET", "/api/jobs/\(done)").json["status"] as? String == "completed")
        // Interrupted: with why, its progress as its records have it, and a
        // final "none" for its report and checkpoint rather than "not yet".
        let interrupted = try second.client.request("GET", "/api/jobs/\(running)").json
        #expect(interrupted["status"] as? String == "interrupted" && interrupted["error"] is String, "\(interrupted)")
        #expect(interrupted["step"] as? Int ?? 0 > 0, "\(interrupted)")
        #expect(try second.client.request("GET", "/api/jobs/\(running)/report").status == 404)
        #expect(try second.client.request("GET", "/api/jobs/\(running)/checkpoint").status == 404)
        let list = try second.client.request("GET", "/api/jobs?status=completed").json
        #expect((list["jobs"] as? [[String: Any]])?.map { $0["id"] as? String } == [done])
        let (_, events) = try second.client.events("/api/jobs/\(done)/events")
        #expect(events.last?.event == "status" && events.filter { $0.event == "step" }.count == 13)
        first.close(keepData: true)
        second.close()
    }

    @Test func uploadedDatasetsTrainAndServerPathsAreRefused() throws {
        let h = try Harness()
        defer { h.close() }
        var csv = "a,b,label\n"
        for i in 0..<100 { csv += "\(Double(i % 10) / 10),\(Double(i % 7) / 7),\(i % 2)\n" }
        let upload = try h.client.request("POST", "/api/datasets?name=toy", body: csv, headers: ["Content-Type": "text/csv"])
        #expect(upload.status == 201)
        let dataset = upload.json["id"] as? String ?? ""
        #expect(upload.json["rows"] as? Int == 100 && (upload.json["columns"] as? [String]) == ["a", "b", "label"])
        let id = try h.submit(#"{"data": {"source": "dataset", "id": "\#(dataset)", "target": "label"}, "mlp": {"depth": 1, "width": 4}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 2}}"#)
        #expect(try h.waitUntilFinished(id)["status"] as? String == "completed")
        let listed = try h.client.request("GET", "/api/datasets").json["datasets"] as? [[String: Any]]
        #expect(listed?.first?["id"] as? String == dataset)
        let bad = try h.client.request("POST", "/api/datasets", body: "a,b\n1,x\n")
        #expect(bad.status == 400 && (bad.error["message"] as? String)?.contains("line 2") == true)
    }

    @Test func tokenGuardsMutatingRequestsOnly() throws {
        let h = try Harness(token: "s3cret")
        defer { h.close() }
        let denied = try h.client.request("POST", "/api/jobs", body: Self.small)
        #expect(denied.status == 401 && denied.error["code"] as? String == "unauthorized")
        #expect(try h.client.request("POST", "/api/jobs", body: Self.small, headers: ["Authorization": "Bearer wrong"]).status == 401)
        _ = try h.submit(Self.small, headers: ["Authorization": "Bearer s3cret"])
        #expect(try h.client.request("GET", "/api/jobs").status == 200)
    }

    @Test func corsOnlyWhenConfigured() throws {
        let plain = try Harness()
        #expect(try plain.client.request("GET", "/healthz").headers["access-control-allow-origin"] == nil)
        plain.close()
        let h = try Harness { $0.corsOrigin = "http://example.test" }
        defer { h.close() }
        #expect(try h.client.request("GET", "/healthz").headers["access-control-allow-origin"] == "http://example.test")
        let preflight = try h.client.request("OPTIONS", "/api/jobs")
        #expect(preflight.status == 204 && preflight.headers["access-control-allow-headers"]?.contains("Authorization") == true)
        // A finished job's summary is one prebuilt response, sent again and again with the same headers.
        let id = try h.submit(Self.small)
        _ = try h.waitUntilFinished(id)
        let answers = try (0..<3).map { _ in try h.client.request("GET", "/api/jobs/\(id)") }
        #expect(answers.allSatisfy { $0.status == 200 && $0.text == answers[0].text && $0.json["id"] as? String == id })
        #expect(answers.allSatisfy { $0.headers["access-control-allow-origin"] == "http://example.test" })
        #expect(answers.allSatisfy { $0.headers["content-type"] == "application/json; charset=utf-8" })
        #expect(try h.client.request("GET", "/api/presets").headers["access-control-allow-origin"] == "http://example.test")
    }

    @Test func aFullQueueAnswers429WithRetryAfter() throws {
        let h = try Harness(maxJobs: 1, maxQueue: 1)
        defer { h.close() }
        _ = try h.submit(Self.long)
        usleep(100_000)
        _ = try h.submit(Self.long)
        let third = try h.client.request("POST", "/api/jobs", body: Self.long)
        #expect(third.status == 429 && third.headers["retry-after"] == "5")
        #expect(third.error["code"] as? String == "queue_full")
    }

    /// Every answer carries the CORS header when one is configured: those
    /// worked out off the I/O threads, and refusals made from the headers.
    @Test func corsReachesLaterAnswersAndEarlyRefusals() throws {
        let h = try Harness(token: "s3cret") { $0.corsOrigin = "https://example.org" }
        defer { h.close() }
        let created = try h.client.request("POST", "/api/jobs", body: Self.small, headers: ["Authorization": "Bearer s3cret"])
        #expect(created.status == 201 && created.headers["access-control-allow-origin"] == "https://example.org")
        let refused = try h.client.request("POST", "/api/jobs", body: Self.small)
        #expect(refused.status == 401 && refused.headers["access-control-allow-origin"] == "https://example.org")
    }

    /// Stopping while an upload is being read off the I/O threads answers it
    /// (or lets it finish) instead of stopping with its connection parked,
    /// which libmicrohttpd answers by aborting the process.
    @Test func stoppingDuringASlowRequestIsClean() throws {
        let h = try Harness()
        let csv = "x1,x2,label\n" + (0..<300_000).map { "0.\($0 % 97),0.\($0 % 89),\($0 % 2)" }.joined(separator: "\n")
        let done = DispatchSemaphore(value: 0)
        let client = h.client
        DispatchQueue.global().async {
            let status = (try? client.request("POST", "/api/datasets?name=big", body: csv).status) ?? 0
            #expect([201, 503, 0].contains(status))
            done.signal()
        }
        usleep(150_000)
        h.close()
        #expect(done.wait(timeout: .now() + 30) == .success)
    }

    /// Remedy experiments queue up to a bound: 8 waiting (besides the one
    /// that may have started), beyond it 429, and a waiting one says it is
    /// queued. The job is long enough that no experiment ends meanwhile.
    @Test(TestDatabase.localOnly) func remedyExperimentsAreBounded() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.submit(Self.small.replacingOccurrences(of: #""steps": 60"#, with: #""steps": 4000"#))
        _ = try h.waitUntilFinished(id)
        let answers = try (0..<12).map { _ in try h.client.request("POST", "/api/jobs/\(id)/remedies", body: #"{"remedies": ["clip_norm"]}"#) }
        let accepted = answers.prefix { $0.status == 202 }.count
        #expect(accepted == 8, "\(answers.map(\.status))")
        #expect(answers.dropFirst(accepted).allSatisfy {
            $0.status == 429 && $0.headers["retry-after"] == "30" && $0.error["code"] as? String == "queue_full"
        })
        let last = try h.client.request("GET", "/api/comparisons/\(answers[accepted - 1].json["id"] as? String ?? "")").json
        #expect(last["status"] as? String == "queued", "\(last)")
        // The server stops them (they are cancelled within a step); waiting here keeps the test's log quiet.
        for answer in answers.prefix(accepted) {
            let path = "/api/comparisons/\(answer.json["id"] as? String ?? "")"
            var waits = 0
            while waits < 600, ["queued", "running"].contains(try h.client.request("GET", path).json["status"] as? String) {
                usleep(50_000)
                waits += 1
            }
        }
    }

    /// Every bad request gets a clear error and the server stays up.
    @Test(arguments: [
        ("POST", "/api/jobs", "{not json", 400, "invalid_json", nil),
        ("POST", "/api/jobs", #"{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "colour": 1}"#, 400, "invalid_spec", "colour"),
        ("POST", "/api/jobs", #"{"data": {"source": "xor"}, "mlp": {"depth": "two", "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}}"#, 400, "invalid_spec", "mlp.depth"),
        ("POST", "/api/jobs", #"{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 5000000}}"#, 400, "limit_exceeded", "training.steps"),
        ("POST", "/api/jobs", #"{"data": {"source": "xor"}, "mlp": {"depth": 10, "width": 4096}, "optimizer": {"type": "sgd", "lr": 0.1}}"#, 400, "limit_exceeded", "mlp"),
        ("POST", "/api/jobs", #"{"data": {"source": "csv", "path": "/etc/passwd", "target": "x"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}}"#, 400, "invalid_spec", "data.path"),
        ("POST", "/api/jobs", #"{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "init_from": "/etc/passwd"}"#, 400, "invalid_spec", "init_from"),
        // A checkpoint whose shape's size overflows: an error, not a trap.
        ("POST", "/api/jobs", #"{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "init_from": {"format": "gradscope-checkpoint", "version": 1, "tensors": {"w": {"shape": [4000000000000000, 4000000000000000], "data": [1]}}}}"#, 400, "invalid_spec", "init_from"),
        ("POST", "/api/jobs", #"{"data": {"source": "dataset", "id": "../../etc/passwd", "target": "x"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}}"#, 400, "invalid_spec", "data.id"),
        ("GET", "/api/jobs/j-999999", "", 404, "not_found", nil),
        ("GET", "/api/jobs?limit=0", "", 400, "invalid_parameter", "limit"),
        ("GET", "/api/jobs?status=done", "", 400, "invalid_parameter", "status"),
        ("PUT", "/api/jobs", "", 405, "method_not_allowed", nil),
        ("GET", "/../../etc/passwd", "", 404, "not_found", nil),
        ("GET", "/%2e%2e/%2e%2e/etc/passwd", "", 404, "not_found", nil),
        ("GET", "/api/comparisons/c-404", "", 404, "not_found", nil),
        ("POST", "/api/datasets?name=one", "a\n1\n2\n", 400, "invalid_parameter", "body"),
    ] as [(String, String, String, Int, String, String?)])
    func badRequestsGetAClearError(method: String, path: String, body: String, status: Int, code: String, field: String?) throws {
        let h = try Harness()
        defer { h.close() }
        let r = try h.client.request(method, path, body: body)
        #expect(r.status == status, "\(r.text)")
        #expect(r.error["code"] as? String == code)
        #expect(r.error["field"] as? String == field)
        #expect(!(r.error["message"] as? String ?? "").isEmpty)
        #expect(try h.client.request("GET", "/healthz").status == 200)
    }

    @Test func aBodyOverTheLimitIs413() throws {
        let h = try Harness { $0.maxSpecBytes = 1000 }
        defer { h.close() }
        let r = try h.client.request("POST", "/api/jobs", body: String(repeating: " ", count: 5000) + Self.small)
        #expect(r.status == 413 && r.error["code"] as? String == "payload_too_large")
        #expect(try h.client.request("GET", "/healthz").status == 200)
    }

    @Test func presetsAreValidJobs() throws {
        let h = try Harness()
        defer { h.close() }
        let presets = try h.client.request("GET", "/api/presets").json["presets"] as? [[String: Any]] ?? []
        #expect(presets.count == 12)
        for p in presets {
            let spec = try JSONSerialization.data(withJSONObject: p["spec"] as Any)
            _ = try JobSpecCheck.validate(spec)
            #expect(!(p["description"] as? String ?? "").isEmpty)
        }
        // The recurrent presets are the examples/ files, so the README's numbers for those hold for both.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let twins = ["rnn-exploding": "rnn-exploding", "rnn-clipping-cure": "rnn-clipped", "rnn-vanishing": "rnn-vanishing", "lstm-cure": "lstm-adding"]
        for (preset, example) in twins {
            let spec = try #require(presets.first { $0["name"] as? String == preset }?["spec"] as? NSDictionary)
            let file = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("examples/\(example).json")))
            #expect(spec.isEqual(file as? NSDictionary), "preset \(preset) differs from examples/\(example).json")
        }
    }

    /// The step of a stored record is a top-level field; a report's nested
    /// `first_nonfinite.step` is not one (a resumed stream must still get it).
    @Test func recordLinesReadTheirOwnStep() {
        let lines: [(String, String, Int?)] = [
            (#"{"type":"step","step":12,"epoch":1,"layers":[{"name":"a"}]}"#, "step", 12),
            (#"{"type":"epoch","epoch":3,"step":90,"train_loss":0.5}"#, "epoch", 90),
            (#"{"type":"report","verdict":"diverged","first_step":7,"first_nonfinite":{"step":7,"pass":"forward"},"evidence":[{"step":7}]}"#, "report", nil),
            (#"{"type":"summary","steps":100}"#, "summary", nil),
        ]
        for (line, type, step) in lines {
            let record = RecordLine(Substring(line))
            #expect(record.type == type && record.step == step, "\(line)")
        }
    }

    /// A recurrent job's step records carry ‖∂L/∂h_t‖ for every step and σ₁.
    @Test func recurrentJobStreamsItsTimeProfile() throws {
        let h = try Harness()
        defer { h.close() }
        let id = try h.submit(#"{"data": {"source": "temporal_order", "samples": 128, "sequence_length": 20}, "layers": [{"type": "gru", "name": "gru", "hidden": 8, "num_layers": 2}, {"type": "dense", "units": 4}], "optimizer": {"type": "adam", "lr": 0.01}, "training": {"steps": 10, "batch_size": 16}, "diagnostics": {"every": 5}}"#)
        #expect(try h.waitUntilFinished(id)["status"] as? String == "completed")
        let steps = try h.client.request("GET", "/api/jobs/\(id)/steps").json["steps"] as? [[String: Any]] ?? []
        #expect(steps.count == 3)
        let recurrent = steps.first?["recurrent"] as? [[String: Any]] ?? []
        #expect(recurrent.map { $0["sublayer"] as? Int } == [0, 1])
        #expect(recurrent.allSatisfy { $0["layer"] as? String == "gru" && ($0["hidden_grad_norms"] as? [Double])?.count == 20 })
        #expect(recurrent.allSatisfy { ($0["spectral_norm"] as? Double ?? 0) > 0 })
    }

    @Test func healthMetricsAndStaticFiles() throws {
        let h = try Harness()
        defer { h.close() }
        _ = try h.waitUntilFinished(try h.submit(Self.small))
        let metrics = try h.client.request("GET", "/metrics")
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(metrics.text.contains(#"gradscope_jobs{status="completed"} 1"#))
        #expect(metrics.text.contains("gradscope_steps_total 60"))
        #expect(metrics.text.contains(#"gradscope_http_requests_total{method="POST",status="201"} 1"#))
        let index = try h.client.request("GET", "/")
        #expect(index.status == 200 && index.headers["content-type"] == "text/html; charset=utf-8")
        #expect(index.headers["cache-control"] == "no-cache")
        let csv = try h.client.request("GET", "/api/jobs/\(try h.submit(Self.small))/export.csv")
        #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
    }

    /// The OpenAPI document lists every route, and every status a route
    /// answered in these tests is documented for it.
    @Test func openAPIDocumentCoversTheAPI() throws {
        let h = try Harness()
        defer { h.close() }
        let doc = try h.client.request("GET", "/api/openapi.json").json
        #expect(doc["openapi"] as? String == "3.0.3")
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        let observed: [(String, String, Int)] = [
            ("post", "/api/jobs", 201), ("post", "/api/jobs", 400), ("post", "/api/jobs", 401), ("post", "/api/jobs", 413),
            ("post", "/api/jobs", 429), ("get", "/api/jobs", 200), ("get", "/api/jobs", 400), ("get", "/api/jobs/{id}", 200),
            ("get", "/api/jobs/{id}", 404), ("delete", "/api/jobs/{id}", 204), ("post", "/api/jobs/{id}/cancel", 202),
            ("post", "/api/jobs/{id}/cancel", 409), ("get", "/api/jobs/{id}/events", 200), ("get", "/api/jobs/{id}/events", 400),
            ("get", "/api/jobs/{id}/steps", 200), ("get", "/api/jobs/{id}/report", 200), ("get", "/api/jobs/{id}/checkpoint", 200),
            ("get", "/api/jobs/{id}/export.csv", 200), ("post", "/api/jobs/{id}/remedies", 202), ("get", "/api/comparisons/{id}", 200),
            ("get", "/api/comparisons/{id}", 404), ("post", "/api/datasets", 201), ("post", "/api/datasets", 400),
            ("get", "/api/datasets", 200), ("get", "/api/presets", 200), ("get", "/healthz", 200), ("get", "/metrics", 200),
            ("get", "/api/openapi.json", 200), ("post", "/api/runs", 201), ("post", "/api/runs/{id}/steps", 200),
            ("post", "/api/runs/{id}/steps", 400), ("post", "/api/runs/{id}/steps", 401), ("post", "/api/runs/{id}/steps", 409),
            ("post", "/api/runs/{id}/finish", 200), ("post", "/api/runs/{id}/finish", 400),
        ]
        for (method, path, status) in observed {
            let responses = (paths[path]?[method] as? [String: Any])?["responses"] as? [String: Any]
            #expect(responses?[String(status)] != nil, "\(method.uppercased()) \(path) \(status) is not documented")
        }
        #expect(paths.count == Set(observed.map(\.1)).count)
        // Who may call, and the bounds the server checks.
        func operation(_ path: String, _ method: String) -> [String: Any] { paths[path]?[method] as? [String: Any] ?? [:] }
        #expect("\(operation("/api/jobs", "post")["security"] ?? "")".contains("bearer"))
        #expect("\(operation("/api/runs/{id}/steps", "post")["security"] ?? "")".contains("runToken"))
        #expect(operation("/api/jobs", "get")["security"] == nil)
        let limit = (operation("/api/jobs", "get")["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "limit" }
        #expect((limit?["schema"] as? [String: Any])?["maximum"] as? Int == 500)
        // The finish body (status, dropped) is optional.
        let finish = paths["/api/runs/{id}/finish"]?["post"] as? [String: Any]
        #expect((finish?["requestBody"] as? [String: Any])?["required"] as? Bool == false)
    }

    @Test(TestDatabase.localOnly) func remedyExperimentRunsOverHTTP() throws {
        let h = try Harness()
        defer { h.close() }
        let spec = #"{"seed": 1, "data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 4, "width": 32, "activation": "relu", "init": "kaiming_normal"}, "optimizer": {"type": "sgd", "lr": 2.0}, "training": {"epochs": 8, "batch_size": 32}, "diagnostics": {"every": 5}}"#
        let id = try h.submit(spec)
        #expect(try h.waitUntilFinished(id)["verdict"] as? String == "diverged")
        let started = try h.client.request("POST", "/api/jobs/\(id)/remedies", body: #"{"remedies": ["clip_norm"]}"#)
        #expect(started.status == 202)
        let comparison = started.json["id"] as? String ?? ""
        var result: [String: Any] = [:]
        for _ in 0..<600 {
            result = try h.client.request("GET", "/api/comparisons/\(comparison)").json
            if !["running", "queued"].contains(result["status"] as? String) { break }
            usleep(50_000)
        }
        let trials = result["trials"] as? [[String: Any]] ?? []
        #expect(result["status"] as? String == "completed")
        #expect(trials.map { $0["name"] as? String } == ["original", "clip_norm"])
        let bad = try h.client.request("POST", "/api/jobs/\(id)/remedies", body: #"{"remedies": ["magic"]}"#)
        #expect(bad.status == 400 && bad.error["field"] as? String == "remedies")
    }
}

import GradscopeRun
import GradscopeSpec

enum JobSpecCheck {
    static func validate(_ data: Data) throws -> Job { try Job(spec: JobSpec.parse(data)) }
}
