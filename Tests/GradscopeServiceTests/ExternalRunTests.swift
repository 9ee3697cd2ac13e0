import Foundation
import Testing
@testable import GradscopeService

/// External runs over HTTP: create, ingest (validation, idempotency,
/// auth), the stream and verdict, finish, restart.
extension ServiceTests {
    static let runSpec = #"{"name": "torch", "layers": [{"name": "fc1", "kind": "dense"}, {"name": "fc2", "kind": "dense"}], "modules": ["relu"]}"#

    /// Steps first..last: flat gradients, then ×3 a step from `growFrom` on.
    static func stepLines(_ steps: ClosedRange<Int>, growFrom: Int = .max) -> String {
        steps.map { s in
            let g = pow(3.0, Double(max(0, s - growFrom)))
            return #"{"step": \#(s), "loss": 0.5, "lr": 0.1, "layers": [{"name": "fc1", "grad_norm": \#(g), "hist": {"counts": [\#(Array(repeating: "1", count: 64).joined(separator: ","))], "zero": 2}}, {"name": "fc2", "grad_norm": \#(g / 2)}]}"#
        }.joined(separator: "\n")
    }

    func createRun(_ h: Harness) throws -> (id: String, token: String) {
        let r = try h.client.request("POST", "/api/runs", body: Self.runSpec)
        #expect(r.status == 201, "\(r.text)")
        return (r.json["id"] as? String ?? "", r.json["token"] as? String ?? "")
    }

    @Test func externalRunIngestsStreamsAndGetsAVerdict() throws {
        let h = try Harness()
        defer { h.close() }
        let (id, token) = try createRun(h)
        let auth = ["Authorization": "Bearer \(token)"]
        let first = try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(1...30, growFrom: 20), headers: auth)
        #expect(first.status == 200 && first.json["accepted"] as? Int == 30 && first.json["last_step"] as? Int == 30, "\(first.text)")
        // A retried batch adds nothing; an overlapping one only its new steps.
        let retry = try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(1...30, growFrom: 20), headers: auth)
        #expect(retry.json["accepted"] as? Int == 0 && retry.json["duplicates"] as? Int == 30)
        let overlap = try h.client.request("POST", "/api/runs/\(id)/steps", body: "[" + Self.stepLines(29...32, growFrom: 20).split(separator: "\n").joined(separator: ",") + "]", headers: auth)
        #expect(overlap.json["accepted"] as? Int == 2 && overlap.json["duplicates"] as? Int == 2, "\(overlap.text)")
        let job = try h.client.request("GET", "/api/jobs/\(id)").json
        #expect(job["status"] as? String == "running" && job["source"] as? String == "external" && job["step"] as? Int == 32)

        for (body, field) in [(#"{"dropped": -1}"#, "dropped"), (#"{"dropped": "3"}"#, "dropped"), (#"{"droped": 3}"#, "droped")] {
            let bad = try h.client.request("POST", "/api/runs/\(id)/finish", body: body, headers: auth)
            #expect(bad.status == 400 && (bad.json["error"] as? [String: Any])?["field"] as? String == field, "\(bad.text)")
        }
        let done = try h.client.request("POST", "/api/runs/\(id)/finish", body: #"{"status": "completed", "dropped": 7}"#, headers: auth)
        #expect(done.status == 200 && done.json["status"] as? String == "completed" && done.json["verdict"] as? String == "exploding", "\(done.text)")
        let (_, events) = try h.client.events("/api/jobs/\(id)/events")
        let summary = events.first { $0.event == "summary" }?.json
        #expect(summary?["steps"] as? Int == 32 && summary?["dropped_steps"] as? Int == 7, "\(String(describing: summary))")
        #expect(events.first?.event == "start" && events.first?.json["source"] as? String == "external")
        #expect(events.filter { $0.event == "step" }.compactMap { $0.id.flatMap(Int.init) } == Array(1...32))
        #expect(events.contains { $0.event == "alert" })
        let step = events.first { $0.event == "step" }!.json
        #expect(((step["layers"] as? [[String: Any]])?.first?["hist"] as? [String: Any])?["zero"] as? Int == 2)
        let report = try h.client.request("GET", "/api/jobs/\(id)/report").json
        #expect(report["first_layer"] as? String == "fc1")
        let remedies = report["remedies"] as? [[String: Any]] ?? []
        #expect(remedies.first?["name"] as? String == "clip_norm" && remedies.allSatisfy { $0["change"] is NSNull })
        // No experiments and no more records for an external run.
        #expect(try h.client.request("POST", "/api/jobs/\(id)/remedies").status == 409)
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(33...33), headers: auth).status == 409)
    }

    /// Layer names are the client's: the CSV export quotes them (RFC 4180)
    /// and keeps a spreadsheet from running one as a formula.
    @Test func theCSVExportQuotesAndDefusesLayerNames() throws {
        let h = try Harness()
        defer { h.close() }
        let names = [#"=HYPERLINK("http://x","y")"#, "a,b", "line\nbreak", #"say "hi""#, "x\r\n=cmd"]
        let layers = names.map { #"{"name": \#(Self.jsonString($0)), "kind": "dense"}"# }.joined(separator: ",")
        let created = try h.client.request("POST", "/api/runs", body: #"{"name": "odd", "layers": [\#(layers)]}"#)
        let id = created.json["id"] as? String ?? "", token = created.json["token"] as? String ?? ""
        let record = #"{"step": 1, "loss": 0.5, "layers": ["# + names.map { #"{"name": \#(Self.jsonString($0)), "grad_norm": 1}"# }.joined(separator: ",") + "]}"
        let posted = try h.client.request("POST", "/api/runs/\(id)/steps", body: record, headers: ["Authorization": "Bearer \(token)"])
        #expect(posted.status == 200, "\(posted.text)")
        let csv = try h.client.request("GET", "/api/jobs/\(id)/export.csv").text
        #expect(csv.contains(#","'=HYPERLINK(""http://x"",""y"")","#), "\(csv)")
        #expect(csv.contains(#","a,b","#) && csv.contains("\"line\nbreak\"") && csv.contains(#","say ""hi""","#), "\(csv)")
        #expect(csv.contains("\"x\r\n=cmd\""), "\(csv)")
    }

    /// A ratio that cannot be computed (no weight norm was sent) is null, not 0.
    @Test func anUnknownUpdateRatioIsNull() throws {
        let h = try Harness()
        defer { h.close() }
        let (id, token) = try createRun(h)
        let record = #"{"step": 1, "loss": 0.5, "layers": [{"name": "fc1", "grad_norm": 1, "update_norm": 0.01}, {"name": "fc2", "grad_norm": 1, "weight_norm": 2, "update_norm": 0.002}]}"#
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: record, headers: ["Authorization": "Bearer \(token)"]).status == 200)
        let steps = try h.client.request("GET", "/api/jobs/\(id)/steps").json["steps"] as? [[String: Any]] ?? []
        let layers = steps.first?["layers"] as? [[String: Any]] ?? []
        #expect(layers.first?["update_ratio"] is NSNull, "\(layers)")
        #expect(layers.last?["update_ratio"] as? Double == 0.001, "\(layers)")
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed), as: UTF8.self)
    }

    /// A script that died without `finish`: its run ends as interrupted, with
    /// its report, once it has been idle for the timeout, and not before.
    @Test(TestDatabase.localOnly) func anAbandonedRunEndsAfterTheIdleTimeout() throws {
        let h = try Harness()
        defer { h.close() }
        let (id, token) = try createRun(h)
        let auth = ["Authorization": "Bearer \(token)"]
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(1...30, growFrom: 20), headers: auth).status == 200)
        h.service.manager!.endIdleRuns(now: .now + .seconds(3500))
        #expect(try h.client.request("GET", "/api/jobs/\(id)").json["status"] as? String == "running")
        h.service.manager!.endIdleRuns(now: .now + .seconds(3601))
        let job = try h.client.request("GET", "/api/jobs/\(id)").json
        #expect(job["status"] as? String == "interrupted" && job["verdict"] as? String == "exploding", "\(job)")
        #expect((job["error"] as? String)?.contains("no records for 60 min") == true)
        #expect(try h.client.request("GET", "/api/jobs/\(id)/report").json["first_layer"] as? String == "fc1")
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(31...31), headers: auth).status == 409)
        // A run its client finished is left as it is; an empty batch keeps a quiet one open.
        let (done, doneToken) = try createRun(h)
        #expect(try h.client.request("POST", "/api/runs/\(done)/finish", headers: ["Authorization": "Bearer \(doneToken)"]).status == 200)
        let (quiet, quietToken) = try createRun(h)
        #expect(try h.client.request("POST", "/api/runs/\(quiet)/steps", body: "", headers: ["Authorization": "Bearer \(quietToken)"]).status == 200)
        h.service.manager!.endIdleRuns(now: .now + .seconds(3599))
        let finished = try h.client.request("GET", "/api/jobs/\(done)").json
        #expect(finished["status"] as? String == "completed" && finished["error"] is NSNull, "\(finished)")
        #expect(try h.client.request("GET", "/api/jobs/\(quiet)").json["status"] as? String == "running")
    }

    /// The same on either backend, on the real clock: a run quiet for
    /// longer than the timeout is ended at the next heartbeat; one that
    /// posted (an empty batch counts) is not.
    @Test func aQuietRunIsEndedAtTheHeartbeatAfterItsTimeout() throws {
        let h = try Harness { $0.jobs.runIdleTimeout = .seconds(1) }
        defer { h.close() }
        let (id, token) = try createRun(h)
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(1...30, growFrom: 20),
                                     headers: ["Authorization": "Bearer \(token)"]).status == 200)
        let (quiet, quietToken) = try createRun(h)
        usleep(1_500_000)
        #expect(try h.client.request("POST", "/api/runs/\(quiet)/steps", body: "", headers: ["Authorization": "Bearer \(quietToken)"]).status == 200)
        h.service.jobs.heartbeat()
        var job: [String: Any] = [:]
        for _ in 0..<100 {
            job = try h.client.request("GET", "/api/jobs/\(id)").json
            if job["status"] as? String != "running" { break }
            usleep(50_000)
        }
        #expect(job["status"] as? String == "interrupted" && job["verdict"] as? String == "exploding", "\(job)")
        #expect((job["error"] as? String)?.contains("no records for 1 s") == true)
        #expect(try h.client.request("GET", "/api/jobs/\(id)/report").json["first_layer"] as? String == "fc1")
        #expect(try h.client.request("GET", "/api/jobs/\(quiet)").json["status"] as? String == "running")
    }

    @Test func badBatchesAreRejectedWholeWithTheField() throws {
        let h = try Harness()
        defer { h.close() }
        let (id, token) = try createRun(h)
        let auth = ["Authorization": "Bearer \(token)"]
        let cases: [(String, String)] = [
            (Self.stepLines(1...2) + "\n{\"step\": 3, \"layers\": [{\"name\": \"fc1\", \"grad_norm\": \"big\"}, {\"name\": \"fc2\", \"grad_norm\": 1}]}",
             "records[2].layers[0].grad_norm"),
            (#"{"step": 1, "layers": [{"name": "fc2", "grad_norm": 1}, {"name": "fc1", "grad_norm": 1}]}"#, "records[0].layers[0].name"),
            (#"{"step": 1, "layers": [{"name": "fc1", "grad_norm": 1, "hist": {"counts": [1, 2]}}, {"name": "fc2", "grad_norm": 1}]}"#,
             "records[0].layers[0].hist.counts"),
            (#"{"step": 0, "layers": []}"#, "records[0].step"),
            (#"{"step": 1, "lr": -1, "layers": []}"#, "records[0].lr"),
            (#"{"step": 1, "layers": [], "gradient": 1}"#, "records[0].gradient"),
            ("{\"step\": 1,", "records[0]"),
            (#"{"step": 1, "layers": [{"name": "fc1", "grad_norm": 1, "params": [{"name": "w", "grad_norm": 1}, {"name": "b"}]}, {"name": "fc2", "grad_norm": 1}]}"#,
             "records[0].layers[0].params[1].grad_norm"),
            (#"{"step": 1, "layers": [3, {"name": "fc2", "grad_norm": 1}]}"#, "records[0].layers[0]"),
        ]
        for (body, field) in cases {
            let r = try h.client.request("POST", "/api/runs/\(id)/steps", body: body, headers: auth)
            #expect(r.status == 400 && (r.json["error"] as? [String: Any])?["field"] as? String == field, "\(r.text)")
        }
        // Nothing of the rejected batches was written.
        #expect(try h.client.request("GET", "/api/jobs/\(id)").json["step"] as? Int == 0)
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(1...1)).status == 401)
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: Self.stepLines(1...1), headers: ["Authorization": "Bearer nope"]).status == 401)
        let bad = try h.client.request("POST", "/api/runs", body: #"{"layers": [{"name": "a"}, {"name": "a"}]}"#)
        #expect(bad.status == 400 && (bad.json["error"] as? [String: Any])?["field"] as? String == "layers[1].name")
        #expect(try h.client.request("POST", "/api/runs", body: #"{"layers": [{"name": "a"}], "bins": 3}"#).status == 400)
    }

    @Test(TestDatabase.localOnly) func aNaNOriginIsReportedAndAnOpenRunIsInterruptedByARestart() throws {
        let h = try Harness()
        let (id, token) = try createRun(h)
        let auth = ["Authorization": "Bearer \(token)"]
        // The step record comes first in the batch; the origin still reaches the diagnosis before it.
        let batch = Self.stepLines(1...5) + "\n" +
            #"{"step": 6, "loss": null, "layers": [{"name": "fc1", "grad_norm": null, "nan": 10}, {"name": "fc2", "grad_norm": 1}]}"# + "\n" +
            #"{"type": "nonfinite", "step": 6, "pass": "forward", "layer": "fc2", "quantity": "output"}"#
        #expect(try h.client.request("POST", "/api/runs/\(id)/steps", body: batch, headers: auth).json["accepted"] as? Int == 7)
        let done = try h.client.request("POST", "/api/runs/\(id)/finish", headers: auth).json
        #expect(done["verdict"] as? String == "diverged")
        let report = try h.client.request("GET", "/api/jobs/\(id)/report").json
        #expect(report["first_step"] as? Int == 6 && report["first_layer"] as? String == "fc2" && report["pass"] as? String == "forward", "\(report)")

        let (open, _) = try createRun(h)
        h.close(keepData: true)
        let again = try Harness(directory: h.directory)
        defer { again.close() }
        #expect(try again.client.request("GET", "/api/jobs/\(open)").json["status"] as? String == "interrupted")
        #expect(try again.client.request("GET", "/api/jobs/\(id)").json["verdict"] as? String == "diverged")
        #expect(try again.client.request("POST", "/api/runs/\(open)/steps", body: Self.stepLines(1...1), headers: auth).status == 409)
    }

    /// Counts near the limit on many layers: the implied NaN/Inf total
    /// saturates instead of trapping the server.
    @Test func hugeCountsOnManyLayersDoNotCrashTheServer() throws {
        let h = try Harness()
        defer { h.close() }
        let names = (0..<600).map { "l\($0)" }
        let spec = #"{"layers": ["# + names.map { #"{"name": "\#($0)"}"# }.joined(separator: ",") + "]}"
        let created = try h.client.request("POST", "/api/runs", body: spec)
        let id = created.json["id"] as? String ?? "", token = created.json["token"] as? String ?? ""
        let layers = names.map { #"{"name": "\#($0)", "grad_norm": 1, "nan": 8000000000000000, "inf": 8000000000000000}"# }
        let record = #"{"step": 1, "layers": ["# + layers.joined(separator: ",") + "]}"
        let r = try h.client.request("POST", "/api/runs/\(id)/steps", body: record, headers: ["Authorization": "Bearer \(token)"])
        #expect(r.status == 200 && r.json["accepted"] as? Int == 1, "\(r.text.prefix(300))")
        #expect(try h.client.request("GET", "/healthz").status == 200)
    }
}

extension ServiceTests {
    /// A chart's sample (`steps?points=N`) keeps, bucket by bucket, the
    /// first record, the largest norm and the first NaN/Inf: a spike and a
    /// NaN step far apart both survive a 100-fold reduction, and both
    /// backends keep exactly the records `ChartSample` names.
    @Test func aChartSampleKeepsSpikesAndNaNSteps() throws {
        let h = try Harness()
        defer { h.close() }
        let (id, token) = try createRun(h)
        var points: [ChartSample.Point] = []
        let lines = (1...3000).map { s -> String in
            let norm: Double? = s == 2222 ? nil : (s == 1500 ? 1000 : 1 + Double(s % 7) / 10)
            let loss = s == 2600 ? "null" : "0.5"
            points.append(ChartSample.Point(step: s, gradNorm: norm, nonfinite: norm == nil || s == 2600))
            let normText = norm.map { "\($0)" } ?? "null"
            return #"{"step": \#(s), "loss": \#(loss), "grad_norm": \#(normText), "layers": [{"name": "fc1", "grad_norm": 1}, {"name": "fc2", "grad_norm": 1}]}"#
        }
        for batch in stride(from: 0, to: lines.count, by: 1000) {
            let r = try h.client.request("POST", "/api/runs/\(id)/steps", body: lines[batch..<(batch + 1000)].joined(separator: "\n"),
                                         headers: ["Authorization": "Bearer \(token)"])
            #expect(r.status == 200, "\(r.text)")
        }
        let chart = try h.client.request("GET", "/api/jobs/\(id)/steps?points=30")
        #expect(chart.status == 200, "\(chart.text)")
        let steps = (chart.json["steps"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int }
        #expect(steps == ChartSample.kept(points, points: 30).map { points[$0].step })
        #expect(steps.count <= 30 && steps.first == 1 && steps.contains(1500) && steps.contains(2222) && steps.contains(2600))
        let after = try h.client.request("GET", "/api/jobs/\(id)/steps?points=30&from=2000")
        #expect((after.json["steps"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int }.allSatisfy { $0 > 2000 })
        let mixed = try h.client.request("GET", "/api/jobs/\(id)/steps?points=30&limit=5&every=7")
        #expect((mixed.json["steps"] as? [[String: Any]] ?? []).compactMap { $0["step"] as? Int } == steps, "limit and every do not apply")
    }
}
