import Foundation
import Testing
import GradscopeEngine
@testable import GradscopeRun
@testable import GradscopeSpec

/// The golden record fixture, `Tests/Fixtures/records/run.ndjson`
/// (`scripts/record-fixture.sh` writes it from `spec.json` beside it). The
/// dashboard's and the Python client's tests read the same file, so a field
/// added to an encoder fails here until the fixture is rewritten, then in
/// each reader that does not know it.
struct RecordFixtureTests {
    static let directory = RunTests.root.appendingPathComponent("Tests/Fixtures/records")

    static func fixture() throws -> [String] {
        try String(contentsOf: directory.appendingPathComponent("run.ndjson"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    /// Every line the job of `spec.json` writes, as `gradscope run` prints them.
    static func freshRun() throws -> [String] {
        let spec = try JobSpec.parse(Data(contentsOf: directory.appendingPathComponent("spec.json")))
        let run = JobRun(job: try Job(spec: spec))
        var lines = [run.startLine]
        run.runToEnd { lines.append($0) }
        return lines + run.finishLines()
    }

    /// A record's key paths, `step.layers.params.grad_norm`: arrays are
    /// transparent; a report's `alerts` (a map of kinds) and its remedies'
    /// `change` (a spec patch) are leaves. The node and pytest tests use the
    /// same definition.
    static func keyPaths(_ lines: [String]) throws -> Set<String> {
        var paths = Set<String>()
        func walk(_ v: JSONValue, _ prefix: String) {
            switch v {
            case .object(let o):
                for (k, child) in o {
                    let path = "\(prefix).\(k)"
                    paths.insert(path)
                    if path != "report.alerts" && path != "report.remedies.change" { walk(child, path) }
                }
            case .array(let a): for child in a { walk(child, prefix) }
            default: break
            }
        }
        for line in lines {
            let json = try JSONValue.parse(Data(line.utf8))
            guard case .string(let type)? = json["type"] else { continue }
            walk(json, type)
        }
        return paths
    }

    /// The fixture has every record type, and the optional parts the readers
    /// must handle (recurrent entries, alert samples, where the first NaN appeared).
    @Test func theFixtureCoversEveryRecordType() throws {
        let paths = try Self.keyPaths(Self.fixture())
        for type in Record.types { #expect(paths.contains("\(type).type"), "no \(type) record in the fixture") }
        for path in ["step.recurrent.hidden_grad_norms", "step.signals.dead_fraction", "step.layers.hist.counts",
                     "alert.samples", "report.first_nonfinite.pass", "report.remedies.change"] {
            #expect(paths.contains(path), "the fixture has no \(path)")
        }
    }

    /// The encoders write what the fixture holds: a field added, removed or
    /// renamed in one fails this until the fixture is rewritten. Key paths,
    /// not bytes, so that a change in the last digit of a statistic (another
    /// BLAS kernel) does not fail it.
    @Test func theEncodersWriteWhatTheFixtureHolds() throws {
        let fresh = try Self.keyPaths(Self.freshRun()), golden = try Self.keyPaths(Self.fixture())
        #expect(fresh.subtracting(golden).isEmpty,
                "fields written but not in the fixture: \(fresh.subtracting(golden).sorted()); run scripts/record-fixture.sh")
        #expect(golden.subtracting(fresh).isEmpty,
                "fields in the fixture no longer written: \(golden.subtracting(fresh).sorted()); run scripts/record-fixture.sh")
    }

    /// decode(encode(r)) == r for every record of the fixture, compared
    /// through the encoder (statistics may be NaN, and NaN ≠ NaN): the
    /// checked reader keeps every field the encoder writes, and refuses a
    /// field it does not know.
    @Test func everyRecordSurvivesItsReaderAndEncoder() throws {
        for (i, line) in try Self.fixture().enumerated() {
            let record: Record
            do { record = try Record(line: line) } catch {
                Issue.record("line \(i + 1): \(error)")
                continue
            }
            #expect(record.json == line, "line \(i + 1) (\(record.type)) does not survive its reader and encoder")
        }
    }

    /// An external run's records, which the fixture cannot hold (`gradscope
    /// run` has no external runs), round-trip the same way.
    @Test func externalRecordsSurviveTheirReaderAndEncoder() throws {
        let run = try ExternalRunSpec(json: JSONValue.parse(Data(#"""
            {"name": "net", "layers": [{"name": "fc", "kind": "dense", "module": "Linear",
             "params": [{"name": "weight", "shape": [4, 2]}]}], "modules": ["relu"], "total_steps": 10, "baseline_loss": 0.69}
            """#.utf8)))
        let start = StartRecord(run: run)
        let step = try ExternalRecord(json: JSONValue.parse(Data(#"{"step": 3, "layers": [{"name": "fc", "grad_norm": 0.5}]}"#.utf8)),
                                      path: "", run: run)
        guard case .step(let r, let lossKnown) = step else { Issue.record("not a step"); return }
        let summary = SummaryRecord(steps: 3, finalLoss: nil, maxGradNorm: 0.5, nonfiniteSteps: 0, training: nil, droppedSteps: 2)
        for record in [Record.start(start), .step(r, lossKnown: lossKnown), .summary(summary)] {
            #expect(try Record(line: record.json).json == record.json, "\(record.json)")
        }
        #expect(start.json.contains(#""source":"external""#) && start.json.contains(#""module":"Linear""#))
        #expect(!r.json(lossKnown: lossKnown).contains(#""loss""#), "an unknown loss stays unknown")
    }

    /// The reader names what it refuses.
    @Test func theReaderRefusesAnUnknownField() throws {
        let line = try #require(Self.fixture().first { $0.hasPrefix(#"{"type":"step""#) })
        let changed = line.replacingOccurrences(of: #""batch_size":"#, with: #""grad_norm_ema":1,"batch_size":"#)
        #expect(throws: SpecError.self) { try Record(line: changed) }
        do { _ = try Record(line: changed) } catch { #expect(error.field == "grad_norm_ema", "\(error)") }
    }
}
