import Foundation
import Testing
@testable import GradscopeDiagnosis
@testable import GradscopeEngine
@testable import GradscopeRun
@testable import GradscopeSpec

/// Recurrent nets on the adding problem: exploding through time and its cure
/// by clipping (the examples, T = 50), vanishing through time in a plain RNN
/// and its cure by an LSTM (T = 30, smaller than the examples so that a debug
/// build runs them in seconds), each named by the verdict, first step and layer.
struct RecurrentScenarioTests {
    static func spec(_ layer: String, optimizer: String, clip: String = "", epochs: Int = 3) -> String {
        #"{"seed": 1, "data": {"source": "adding", "samples": 1024, "sequence_length": 30}, "layers": ["# + layer
            + #", {"type": "dense", "name": "head", "units": 1}], "optimizer": "# + optimizer + clip
            + #", "training": {"epochs": \#(epochs), "batch_size": 32}, "diagnostics": {"every": 2}}"#
    }

    static func run(_ json: String) throws -> (JobRun, Report) {
        let run = JobRun(job: try Job(spec: JobSpec.parse(Data(json.utf8))))
        run.runToEnd()
        return (run, run.report())
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// An example with `training` capped at `steps` updates.
    static func example(_ name: String, steps: Int) throws -> (JobRun, Report) {
        let url = root.appendingPathComponent("examples/\(name).json")
        guard case .object(var spec) = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url)) else {
            throw SpecError(name, "is not an object")
        }
        spec["training"] = .object(["steps": .number(Double(steps)), "batch_size": .number(32), "validation_split": .number(0.1)])
        return try run(JSONWriter.encode(.object(spec)))
    }

    /// examples/rnn-exploding.json and rnn-clipped.json (T = 50). The clipped
    /// run is healthy once it learns, about 1,000 steps in: before that its
    /// loss sits at the constant predictor's while its gradient grew through
    /// time at the start, and the verdict would rightly not be healthy.
    @Test func largeRecurrentScaleExplodesAndClippingCuresIt() throws {
        let (_, exploding) = try Self.example("rnn-exploding", steps: 40)
        #expect(exploding.verdict == .diverged)
        #expect(exploding.firstLayer == "rnn")
        #expect(exploding.evidence.contains { $0.rule == "exploding_through_time" && $0.step == 1 })
        #expect(exploding.remedies.first?.kind == .clipNorm)

        let (cured, report) = try Self.example("rnn-clipped", steps: 1000)
        #expect(report.verdict == .healthy)
        #expect(cured.trainer.maxGradNorm.isFinite && cured.trainer.nonfiniteSteps == 0)
        // The last epoch's loss: below the adding problem's baseline of 1/24 (predicting the mean), not blown up.
        #expect((cured.trainer.lastEpoch?.trainLoss ?? .nan) < 0.06)
    }

    @Test func plainRNNVanishesThroughTimeWhereAnLSTMDoesNot() throws {
        let adam = #"{"type": "adam", "lr": 0.002}"#
        let (_, rnn) = try Self.run(Self.spec(#"{"type": "rnn", "name": "rnn", "hidden": 32}"#, optimizer: adam))
        #expect(rnn.verdict == .vanishing)
        #expect(rnn.firstStep == 1 && rnn.firstLayer == "rnn")
        #expect(rnn.evidence.first?.rule == "vanishing_through_time")
        #expect(rnn.remedies.map(\.kind) == [.lstm, .orthogonalRecurrent])

        let (run, lstm) = try Self.run(Self.spec(#"{"type": "lstm", "name": "lstm", "hidden": 32, "forget_bias": 3.4}"#, optimizer: adam))
        #expect(lstm.verdict == .healthy)
        let profile = try #require(run.lastRecord?.recurrent.first?.hiddenGradNorms)
        #expect(profile.first! / profile.last! > 1e-3)
    }

    /// Truncation cuts the gradient at chunk boundaries by design: the
    /// through-time rules read the last chunk, not a profile that is zero
    /// before it.
    @Test func truncatedBPTTIsNotVanishing() throws {
        let (run, report) = try Self.run(Self.spec(#"{"type": "lstm", "name": "lstm", "hidden": 32, "forget_bias": 3.4, "tbptt": 10}"#,
                                                   optimizer: #"{"type": "adam", "lr": 0.002}"#, epochs: 1))
        let profile = try #require(run.lastRecord?.recurrent.first?.hiddenGradNorms)
        #expect(profile.prefix(20).allSatisfy { $0 == 0 } && profile[20] > 0)
        #expect(report.verdict == .healthy)
        #expect(!report.evidence.contains { $0.rule.hasSuffix("through_time") })
    }

    /// The RNN → LSTM remedy, run as a trial, repairs the vanishing RNN: the
    /// LSTM learns (its loss ends 17% below the mean predictor's in 4
    /// epochs; after 2 it has not yet, and would not count as working).
    @Test func lstmRemedyRepairsTheVanishingRNN() throws {
        let spec = try JobSpec.parse(Data(Self.spec(#"{"type": "rnn", "name": "rnn", "hidden": 32}"#,
                                                    optimizer: #"{"type": "adam", "lr": 0.002}"#, epochs: 4).utf8))
        let trials = try RemedyExperiment.run(spec: spec.json, baseDirectory: nil, selection: .auto)
        let works = try #require(trials.first { $0.works == true })
        #expect(works.name == Remedy.Kind.lstm.rawValue)
    }
}
