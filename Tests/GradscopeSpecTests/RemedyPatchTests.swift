import Foundation
import Testing
@testable import GradscopeDiagnosis
@testable import GradscopeRun
@testable import GradscopeSpec

/// Remedies as spec changes: each patched spec must still be valid and say
/// what the remedy means.
struct RemedyPatchTests {
    static let shorthand = #"{"data": {"source": "moons"}, "mlp": {"depth": 3, "width": 8, "activation": "sigmoid", "init": "normal", "std": 0.1}, "optimizer": {"type": "sgd", "lr": 0.5}}"#
    static let explicit = #"{"data": {"source": "moons"}, "layers": [{"type": "dense", "units": 8, "init": "uniform", "a": 0.5}, {"type": "tanh", "name": "act"}, {"type": "dense", "units": 8}, {"type": "tanh"}, {"type": "dense", "units": 2}], "optimizer": {"type": "sgd", "lr": 0.5}}"#

    static func patched(_ json: String, _ kind: Remedy.Kind) throws -> (JobSpec, JSONValue) {
        let spec = try JobSpec.parse(Data(json.utf8))
        let job = try Job(spec: spec)
        let change = try #require(RemedyPatch.change(kind, for: spec, facts: job.facts))
        let result = try JobSpec(json: RemedyPatch.apply(change, to: spec.json))
        _ = try Job(spec: result)
        return (result, change)
    }

    static let feedForwardKinds = Remedy.Kind.allCases.filter { $0 != .lstm && $0 != .orthogonalRecurrent }

    @Test(arguments: feedForwardKinds)
    func everyRemedyGivesAValidShorthandSpec(_ kind: Remedy.Kind) throws {
        let (spec, _) = try Self.patched(Self.shorthand, kind)
        let mlp = spec.json["mlp"]!
        switch kind {
        case .clipNorm: #expect(spec.clip == .norm(maxNorm: 1, type: .l2))
        case .lowerLearningRate: #expect(spec.optimizer.lr == 0.05)
        case .matchedInit: #expect(mlp["init"] == .string("xavier_normal") && mlp["std"] == nil)
        case .relu: #expect(mlp["activation"] == .string("relu") && mlp["init"] == .string("kaiming_normal"))
        case .batchnorm: #expect(mlp["batchnorm"] == .bool(true))
        case .residual: #expect(mlp["residual"] == .bool(true))
        case .lstm, .orthogonalRecurrent: Issue.record("not a feed-forward remedy")
        }
        #expect(RemedyPatch.change(.lstm, for: spec, facts: try Job(spec: spec).facts) == nil)
    }

    static let recurrent = """
        {"data": {"source": "adding", "samples": 64, "sequence_length": 20},
         "layers": [{"type": "rnn", "hidden": 8, "nonlinearity": "tanh", "recurrent_init": "normal", "recurrent_std": 0.5},
                    {"type": "dense", "units": 1}],
         "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 2, "batch_size": 16}}
        """

    @Test func recurrentRemediesPatchEveryRecurrentLayer() throws {
        let (lstm, change) = try Self.patched(Self.recurrent, .lstm)
        // forget_bias ln T, rounded to a tenth: ln 20 ≈ 3.0.
        #expect(change == .object(["recurrent_cell": .string("lstm"), "forget_bias": .number(3.0)]))
        guard case .array(let lstmLayers)? = lstm.json["layers"], case .array(let rnnLayers)? = orthogonalSpec().json["layers"]
        else { Issue.record("no layers"); return }
        let layer = lstmLayers[0]
        #expect(layer["type"] == .string("lstm") && layer["nonlinearity"] == nil && layer["forget_bias"] == .number(3.0))
        #expect(layer["recurrent_std"] == .number(0.5))

        func orthogonalSpec() -> JobSpec { (try? Self.patched(Self.recurrent, .orthogonalRecurrent))!.0 }
        let rnn = rnnLayers[0]

        // Without biases there is no forget bias to set, and the patched spec stays valid.
        let unbiased = Self.recurrent.replacingOccurrences(of: #""hidden": 8,"#, with: #""hidden": 8, "bias": false,"#)
        let (noBias, _) = try Self.patched(unbiased, .lstm)
        guard case .array(let noBiasLayers)? = noBias.json["layers"] else { Issue.record("no layers"); return }
        #expect(noBiasLayers[0]["type"] == .string("lstm") && noBiasLayers[0]["forget_bias"] == nil)
        #expect(rnn["type"] == .string("rnn") && rnn["recurrent_init"] == .string("orthogonal"))
        #expect(rnn["recurrent_std"] == nil && rnn["recurrent_scale"] == nil)
    }

    @Test func explicitLayersArePatchedLayerByLayer() throws {
        let (relu, _) = try Self.patched(Self.explicit, .relu)
        guard case .array(let layers)? = relu.json["layers"] else { Issue.record("no layers"); return }
        #expect(layers.map { $0["type"] } == ["dense", "relu", "dense", "relu", "dense"].map { JSONValue.string($0) })
        #expect(layers[1]["name"] == .string("act"))
        #expect(layers[0]["init"] == .string("kaiming_normal") && layers[0]["a"] == nil)

        let (bn, _) = try Self.patched(Self.explicit, .batchnorm)
        guard case .array(let bnLayers)? = bn.json["layers"] else { Issue.record("no layers"); return }
        #expect(bnLayers.map { $0["type"] } == ["dense", "batchnorm", "tanh", "dense", "batchnorm", "tanh", "dense"].map { JSONValue.string($0) })

        let (xavier, change) = try Self.patched(Self.explicit, .matchedInit)
        #expect(change == .object(["init": .string("xavier_normal"), "gain": .number(5.0 / 3)]))
        guard case .array(let xl)? = xavier.json["layers"] else { return }
        #expect(xl[2]["gain"] == .number(5.0 / 3))

        let spec = try JobSpec.parse(Data(Self.explicit.utf8))
        #expect(RemedyPatch.change(.residual, for: spec, facts: try Job(spec: spec).facts) == nil)
    }
}
