import Foundation
import Testing
@testable import GradscopeEngine
@testable import GradscopeRun
@testable import GradscopeSpec

/// `Job.validate` (arithmetic, what the server admits jobs with) finds what
/// building the job finds: the same error, or the same number of steps.
struct ValidationAgreementTests {
    static let base = #""optimizer": {"type": "sgd", "lr": 0.1}"#

    static let specs: [String] = [
        #"{"data": {"source": "spirals", "classes": 5}, "mlp": {"depth": 2, "width": 8}, \#(base), "training": {"epochs": 3, "batch_size": 30, "validation_split": 0.3}}"#,
        #"{"data": {"source": "blobs", "samples": 500, "features": 7, "classes": 10}, "layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dense", "units": 7}], \#(base)}"#,
        #"{"data": {"source": "moons"}, "mlp": {"depth": 1, "width": 4}, "loss": "mse", \#(base)}"#,
        #"{"data": {"source": "spirals"}, "mlp": {"depth": 1, "width": 4}, "loss": "bce_with_logits", \#(base)}"#,
        #"{"data": {"source": "xor"}, "mlp": {"depth": 1, "width": 4}, "loss": "bce_with_logits", \#(base), "training": {"epochs": 2}}"#,
        #"{"data": {"source": "sine", "samples": 301}, "mlp": {"depth": 2, "width": 4, "batchnorm": true}, \#(base), "training": {"epochs": 2, "batch_size": 100}}"#,
        #"{"data": {"source": "xor", "samples": 4}, "layers": [{"type": "dense", "units": 4}, {"type": "batchnorm"}, {"type": "dense", "units": 2}], \#(base), "training": {"batch_size": 1, "steps": 3}}"#,
        #"{"data": {"source": "xor", "samples": 5}, "layers": [{"type": "residual", "layers": [{"type": "dense", "units": 2}, {"type": "batchnorm"}]}, {"type": "dense", "units": 2}], \#(base), "training": {"batch_size": 2, "epochs": 3, "validation_split": 0.5}}"#,
        #"{"data": {"source": "digits"}, "mlp": {"depth": 1, "width": 8}, \#(base), "training": {"epochs": 2, "validation_split": 0.2}}"#,
        #"{"data": {"source": "digits_rows"}, "layers": [{"type": "gru", "hidden": 8}, {"type": "dense", "units": 10}], \#(base)}"#,
        #"{"data": {"source": "adding", "samples": 100, "sequence_length": 20}, "layers": [{"type": "lstm", "hidden": 8}, {"type": "dense", "units": 1}], \#(base), "training": {"epochs": 4}}"#,
        #"{"data": {"source": "temporal_order", "samples": 100}, "layers": [{"type": "rnn", "hidden": 8}, {"type": "dense", "units": 3}], \#(base)}"#,
        #"{"data": {"source": "memory", "samples": 100, "features": 5}, "layers": [{"type": "rnn", "hidden": 8, "return_sequences": true}, {"type": "dense", "units": 2}], \#(base)}"#,
        #"{"data": {"source": "moons"}, "layers": [{"type": "lstm", "hidden": 4}, {"type": "dense", "units": 2}], \#(base)}"#,
        #"{"data": {"source": "moons"}, "layers": [{"type": "dense", "units": 4, "name": "a"}, {"type": "dense", "units": 2, "name": "a"}], \#(base)}"#,
        #"{"data": {"source": "moons"}, "layers": [{"type": "residual", "layers": [{"type": "dense", "units": 2}, {"type": "dense", "units": 2, "name": "dense0"}]}, {"type": "dense", "units": 2}], \#(base)}"#,
        #"{"data": {"source": "blobs", "samples": 1000, "features": 100, "classes": 10}, "layers": [{"type": "dense", "units": 3000}, {"type": "dense", "units": 3000}, {"type": "dense", "units": 10}], \#(base)}"#,
        #"{"data": {"source": "moons", "samples": 1000}, "mlp": {"depth": 1, "width": 4}, \#(base), "training": {"epochs": 1000000, "batch_size": 1}}"#,
        #"{"data": {"source": "memory", "samples": 1000, "sequence_length": 1000, "features": 100}, "layers": [{"type": "lstm", "hidden": 10}, {"type": "dense", "units": 2}], \#(base)}"#,
        #"{"data": {"source": "adding", "samples": 1000, "sequence_length": 500}, "layers": [{"type": "lstm", "hidden": 2000}, {"type": "dense", "units": 1}], \#(base), "training": {"batch_size": 1000}}"#,
    ]

    static func outcome(_ run: () throws(SpecError) -> Int) -> String {
        do { return "steps \(try run())" } catch { return "error \(error)" }
    }

    @Test(arguments: specs)
    func validationFindsWhatBuildingFinds(_ text: String) throws {
        let spec = try JobSpec.parse(Data(text.utf8))
        var limits = JobLimits()
        limits.maxParameters = 20_000_000
        let built = Self.outcome { () throws(SpecError) in try Job(spec: spec, limits: limits).trainer.totalSteps }
        let validated = Self.outcome { () throws(SpecError) in try Job.validate(spec, limits: limits) }
        #expect(validated == built)
    }

    /// Starting weights are checked against the model, which validation then builds.
    @Test func aCheckpointThatDoesNotFitIsFound() throws {
        let small = try JobSpec.parse(Data(#"{"data": {"source": "moons"}, "mlp": {"depth": 1, "width": 4}, \#(Self.base)}"#.utf8))
        let other = try JobSpec.parse(Data(#"{"data": {"source": "moons"}, "mlp": {"depth": 1, "width": 5}, \#(Self.base)}"#.utf8))
        let checkpoint = Checkpoint(model: try Job(spec: other).model, step: 0)
        let built = Self.outcome { () throws(SpecError) in try Job(spec: small, checkpoint: checkpoint).trainer.totalSteps }
        #expect(built.hasPrefix("error init_from"))
        #expect(Self.outcome { () throws(SpecError) in try Job.validate(small, checkpoint: checkpoint) } == built)
    }
}
