import Foundation
import Testing
@testable import GradscopeDiagnosis
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

    @Test(arguments: Remedy.Kind.allCases)
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
        }
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
