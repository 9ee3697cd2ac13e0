import Foundation
import Testing
@testable import GradscopeSpec

/// The ingest fast path (`ExternalRecordScanner`) against the checked one
/// (`JSONValue` then `ExternalRecord(json:)`): on every line it accepts, it
/// must read the same record; whatever the checked path refuses, it must
/// decline. Generated records, hand-picked mutations and random byte edits.
struct ExternalBatchTests {
    static let run = try! ExternalRunSpec(json: JSONValue.parse(Data(#"""
        {"layers": [{"name": "fc1", "kind": "dense", "params": [{"name": "weight", "shape": [4, 2]}, {"name": "bias", "shape": [4]}]},
                    {"name": "ünï 1", "kind": "other", "params": [{"name": "w", "shape": [3]}]},
                    {"name": "out", "kind": "dense", "params": []}],
         "hist_edges": {"bins": 4, "min": 1e-3, "max": 10}}
        """#.utf8)))

    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
        mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }

        /// A value as clients write them: shortest, 9 digits, exponents, whole numbers, null now and then.
        mutating func number() -> String {
            if chance(0.05) { return "null" }
            let v = Double(next() % 1_000_000) / 1000 * pow(10, Double(Int(next() % 12)) - 6)
            return pick(["\(v)", String(format: "%.9g", v), String(format: "%.3e", v), "\(Int(v))"])
        }

        mutating func members(_ fields: [String]) -> [String] {
            fields.filter { _ in chance(0.7) }.map { field in
                let counted = field == "nan" || field == "inf"
                return "\"\(field)\": \(counted ? pick(["0", "12", "null", "4e3"]) : number())"
            }
        }

        mutating func record(step: Int) -> String {
            var top = ["\"step\": \(step)"]
            if chance(0.8) { top.append("\"loss\": \(pick(["2.25", "null", "-0.5", number()]))") }
            top += members(["lr", "grad_norm"])
            if chance(0.3) { top.append("\"nonfinite_grads\": \(pick(["0", "3", "null"]))") }
            if chance(0.2) { top.append(#""type": "step""#) }
            let full = chance(0.4)
            var layers: [String] = []
            for layer in ExternalBatchTests.run.layers {
                var fields = ["\"name\": \"\(layer.name)\"", "\"grad_norm\": \(number())"]
                if full { fields += members(["max_abs", "mean_abs", "weight_norm", "update_norm", "nan", "inf"]) + ["\"zero_fraction\": 0.25"] }
                let params = layer.params.map { p in
                    "{" + (["\"name\": \"\(p.name)\"", "\"grad_norm\": \(number())"] + (full ? members(["max_abs", "nan"]) : [])).joined(separator: ", ") + "}"
                }
                if !params.isEmpty || chance(0.5) { fields.append("\"params\": [\(params.joined(separator: ", "))]") }
                if full {
                    fields.append(#""hist": {"counts": [1, 0, 7, 2], "zero": 3, "underflow": 0, "overflow": 1, "nonfinite": 0}"#)
                }
                layers.append("{" + fields.shuffled(using: &self).joined(separator: ", ") + "}")
            }
            top.append("\"layers\": [\(layers.joined(separator: ", "))]")
            if chance(0.3) {  // δ per layer, as the client sends it every few steps
                let signals = ExternalBatchTests.run.layers.map { l in
                    "{" + ["\"name\": \"\(l.name)\"", "\"delta_rms\": \(number())"].shuffled(using: &self).joined(separator: ", ") + "}"
                }
                top.append("\"signals\": [\(signals.joined(separator: ", "))]")
            }
            return "{" + top.shuffled(using: &self).joined(separator: pick([", ", ",", " ,\t "])) + "}"
        }
    }

    /// nil: the fast path declined. Otherwise the record, described in full
    /// (NaN prints as nan, so unknown values compare equal).
    static func fast(_ line: String) -> String? {
        let records = Data(line.utf8).withUnsafeBytes { ExternalRecordScanner.lines($0, run: run, limit: 10) }
        return records.map { "\($0)" }
    }

    static func checked(_ line: String) -> String? {
        guard let json = try? JSONValue.parse(Data(line.utf8)),
              let record = try? ExternalRecord(json: json, path: "records[0]", run: run) else { return nil }
        return "\([record])"
    }

    /// A null accuracy is none (a regression), as the engine's records write it.
    @Test func aNullAccuracyIsNone() throws {
        let line = #"{"step": 1, "accuracy": null, "layers": [{"name": "fc1", "grad_norm": 1}, {"name": "ünï 1", "grad_norm": 1}, {"name": "out", "grad_norm": 1}]}"#
        let record = try ExternalRecord(json: JSONValue.parse(Data(line.utf8)), path: "records[0]", run: Self.run)
        guard case .step(let r, _) = record else { Issue.record("not a step record"); return }
        #expect(r.accuracy == nil)
    }

    /// Fast never accepts what checked refuses, nor reads it differently.
    static func agree(_ line: String) -> Bool {
        guard let fast = fast(line) else { return true }
        #expect(fast == checked(line), "\(line)")
        return true
    }

    @Test func generatedRecordsAreReadAsTheCheckedPathReadsThem() {
        var g = Generator(state: 1)
        for step in 1...400 {
            let line = g.record(step: step)
            let fast = Self.fast(line)
            #expect(fast != nil, "declined a record the client could send: \(line)")
            #expect(fast == Self.checked(line), "\(line)")
        }
    }

    @Test(arguments: [
        (#""step": 1"#, #""step": 0"#), (#""step": 1"#, #""step": null"#), (#""step": 1"#, #""step": 1.5"#),
        (#""step": 1"#, #""step": 1, "step": 2"#), (#""step": 1"#, #""step": 1, "epoch": 2"#), (#""step": 1"#, #""step": "1""#),
        (#""loss": 2.5"#, #""loss": 1e400"#), (#""lr": 0.1"#, #""lr": -0.1"#), (#""lr": 0.1"#, #""lr": true"#),
        (#""nonfinite_grads": 0"#, #""nonfinite_grads": -1"#), (#""nonfinite_grads": 0"#, #""nonfinite_grads": null"#), (#""name": "fc1""#, #""name": "fc2""#),
        (#""name": "fc1""#, #""name": "f\u0063""#), (#""name": "fc1""#, #""name": null"#), (#""name": "weight""#, #""name": "w\"t""#),
        (#""name": "weight""#, #""name": 3"#), (#""grad_norm": 0.5"#, #""grad_norm": -0.5"#), (#""grad_norm": 0.5"#, #""gradnorm": 0.5"#),
        (#""zero_fraction": 0.25"#, #""zero_fraction": 1.5"#), (#""zero_fraction": 0.25"#, #""zero_fraction": null"#), (#""nan": 0"#, #""nan": 2.5"#),
        (#""nan": 0"#, #""nan": 9e15"#), (#""nan": 0"#, #""nan": null"#), (#""nan": 0"#, #""nan": -0"#),
        (#""counts": [1, 0, 7, 2]"#, #""counts": [1, 0, 7]"#), (#""counts": [1, 0, 7, 2]"#, #""counts": [1, 0, 7, 2, 0]"#), (#""counts": [1, 0, 7, 2]"#, #""counts": [1, null, 7, 2]"#),
        (#""counts": [1, 0, 7, 2]"#, #""counts": [1, 0, 7, 2.5]"#), (#""zero": 3"#, #""zero": -3"#), (#""zero": 3"#, #""zero": null"#),
        (#""hist": {"#, #""hist": null, "x": {"#), (#""params": ["#, #""params": null, "p": ["#), (#""layers": ["#, #""layers": [{"name": "extra", "grad_norm": 1}, "#),
        (#"0.5}]}"#, #"0.5}, {"name": "x", "grad_norm": 1}]}"#), (#""type": "step""#, #""type": "nonfinite""#), (#""type": "step""#, #""type": null"#),
        (#"{"#, #"["#), (#"{"#, #"{{"#), (#"0.5"#, #"0.5e"#),
        (#"0.5"#, #"05"#), (#""grad_norm": 0.5, "nonfinite_grads""#, #""grad_norm": 0.5, "signals": [{"name": "fc1", "delta_rms": -1}], "nonfinite_grads""#),
        (#""grad_norm": 0.5, "nonfinite_grads""#, #""grad_norm": 0.5, "signals": [{"name": null, "delta_rms": 1}], "nonfinite_grads""#),
        (#""grad_norm": 0.5, "nonfinite_grads""#, #""grad_norm": 0.5, "signals": [{"delta_rms": 1}], "nonfinite_grads""#),
        (#""grad_norm": 0.5, "nonfinite_grads""#, #""grad_norm": 0.5, "signals": [{"name": "fc1", "kind": "dense", "delta_rms": 1}], "nonfinite_grads""#),
        (#""grad_norm": 0.5, "nonfinite_grads""#, #""grad_norm": 0.5, "signals": null, "nonfinite_grads""#),
    ])
    func aMutationIsReadAsTheCheckedPathReadsItOrDeclined(_ from: String, _ to: String) {
        let base = #"{"type": "step", "step": 1, "loss": 2.5, "lr": 0.1, "grad_norm": 0.5, "nonfinite_grads": 0, "layers": ["#
            + #"{"name": "fc1", "grad_norm": 0.5, "zero_fraction": 0.25, "nan": 0, "params": [{"name": "weight", "grad_norm": 0.5}, {"name": "bias", "grad_norm": 0.5}], "#
            + #""hist": {"counts": [1, 0, 7, 2], "zero": 3, "underflow": 0, "overflow": 1, "nonfinite": 0}}, "#
            + #"{"name": "ünï 1", "grad_norm": 0.5, "params": [{"name": "w", "grad_norm": 0.5}]}, {"name": "out", "grad_norm": 0.5}]}"#
        #expect(Self.fast(base) != nil && Self.fast(base) == Self.checked(base))
        guard let range = base.range(of: from) else { Issue.record("\(from) not in the base record"); return }
        _ = Self.agree(base.replacingCharacters(in: range, with: to))
    }

    @Test func randomEditsNeverMakeTheFastPathReadWhatTheCheckedOneRefuses() {
        var g = Generator(state: 7)
        let alphabet = Array(#"{}[]":,. -+e0129nul"\abfstr"#.utf8) + [0x01, 0xC3, 0xBC]
        var declined = 0
        for step in 1...3000 {
            var bytes = Array(g.record(step: step).utf8)
            for _ in 0..<(1 + Int(g.next() % 3)) {
                let at = Int(g.next() % UInt64(bytes.count))
                switch g.next() % 3 {
                case 0: bytes[at] = g.pick(alphabet)
                case 1: bytes.insert(g.pick(alphabet), at: at)
                default: bytes.remove(at: at)
                }
            }
            let line = String(decoding: bytes, as: UTF8.self)
            if Self.fast(line) == nil { declined += 1 } else { _ = Self.agree(line) }
        }
        #expect(declined > 1000)  // most edits break the record: the fast path must have said no
    }

    @Test func aBatchThatTheFastPathDeclinesIsReadTheCheckedWayWithItsErrors() throws {
        var g = Generator(state: 3)
        let good = (1...3).map { g.record(step: $0) }
        // NDJSON with blank lines, CRLF and spaces; a pretty-printed record across lines; a JSON array.
        let forms = [good.joined(separator: "\r\n\n  ") + "\n", good[0] + "\n" + good[1].replacingOccurrences(of: ", ", with: ",\n"),
                     "[" + good.joined(separator: ",") + "]"]
        for body in forms {
            let records = try ExternalRecord.batch(Data(body.utf8), run: Self.run, limit: 10)
            #expect(records.map(\.step) == Array(1...records.count) && records.count >= 2, "\(body)")
        }
        let bad = good[0] + "\n" + good[1].replacingOccurrences(of: #""name": "out""#, with: #""name": "in""#)
        #expect {
            try ExternalRecord.batch(Data(bad.utf8), run: Self.run, limit: 10)
        } throws: { error in
            guard case ExternalRecord.BatchError.invalid(let e) = error else { return false }
            return e.field == "records[1].layers[2].name"
        }
        #expect {
            try ExternalRecord.batch(Data((good[0] + "\n{\"step\": ").utf8), run: Self.run, limit: 10)
        } throws: { error in
            guard case ExternalRecord.BatchError.syntax(record: 1, _) = error else { return false }
            return true
        }
        #expect {
            try ExternalRecord.batch(Data(good.joined(separator: "\n").utf8), run: Self.run, limit: 2)
        } throws: { error in
            guard case ExternalRecord.BatchError.invalid(let e) = error else { return false }
            return e.isLimit && e.field == "records"
        }
    }
}

extension ExternalBatchTests.Generator: RandomNumberGenerator {}
