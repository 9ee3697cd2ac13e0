import Foundation
import Testing
@testable import GradscopeDiagnosis
@testable import GradscopeEngine
@testable import GradscopeRun
@testable import GradscopeSpec

/// The scenario table: runs across depths, activations, inits, learning
/// rates and datasets, each with the verdict, first step and first layer it
/// must get. Every run: seed 1, 8 epochs of batch 32 unless stated,
/// statistics every 5 steps. Each answer was checked to be the same with
/// OpenBLAS's SSE3 and AVX-512 kernels, whose rounding differs: a scenario
/// on a knife's edge would make the table test the kernel, not the rules.
struct DiagnosisScenarioTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: String
        var verdict: Verdict
        var firstStep: Int?
        var firstLayer: String?
        var testDescription: String { name }

        var json: String {
            var s = spec
            if !s.contains("\"training\"") { s += #", "training": {"epochs": 8, "batch_size": 32}"# }
            return #"{"seed": 1, "diagnostics": {"every": 5}, "# + s + "}"
        }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "He-initialised ReLU, spirals", spec: #""data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 4, "width": 32, "activation": "relu", "init": "kaiming_normal"}, "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9}"#,
                 verdict: .healthy),
        Scenario(name: "Xavier tanh with Adam, moons", spec: #""data": {"source": "moons", "samples": 600}, "mlp": {"depth": 3, "width": 32, "activation": "tanh", "init": "xavier_normal", "gain": 1.6667}, "optimizer": {"type": "adam", "lr": 0.01}"#,
                 verdict: .healthy),
        Scenario(name: "ReLU on digits", spec: #""data": {"source": "digits"}, "mlp": {"depth": 2, "width": 64, "activation": "relu", "init": "kaiming_uniform"}, "optimizer": {"type": "adam", "lr": 0.001}, "training": {"epochs": 3, "batch_size": 64}"#,
                 verdict: .healthy),
        Scenario(name: "20-layer residual ReLU with BatchNorm", spec: #""data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 20, "width": 32, "activation": "relu", "init": "kaiming_normal", "batchnorm": true, "residual": true}, "optimizer": {"type": "adam", "lr": 0.001}"#,
                 verdict: .healthy),
        Scenario(name: "ELU on digits", spec: #""data": {"source": "digits"}, "mlp": {"depth": 4, "width": 64, "activation": "elu", "init": "kaiming_normal"}, "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9}, "training": {"epochs": 3, "batch_size": 64}"#,
                 verdict: .healthy),
        Scenario(name: "20-layer sigmoid, small normal init", spec: #""data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 20, "width": 64, "activation": "sigmoid", "init": "normal", "std": 0.1}, "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9}"#,
                 verdict: .vanishing, firstStep: 1, firstLayer: "dense32"),
        Scenario(name: "20-layer tanh, PyTorch default init", spec: #""data": {"source": "moons", "samples": 600}, "mlp": {"depth": 20, "width": 32, "activation": "tanh"}, "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9}"#,
                 verdict: .vanishing, firstStep: 1, firstLayer: "dense20"),
        Scenario(name: "15-layer sigmoid, Xavier", spec: #""data": {"source": "circles", "samples": 600}, "mlp": {"depth": 15, "width": 32, "activation": "sigmoid", "init": "xavier_uniform"}, "optimizer": {"type": "adam", "lr": 0.001}"#,
                 verdict: .vanishing, firstStep: 1, firstLayer: "dense22"),
        Scenario(name: "30-layer tanh, small normal init", spec: #""data": {"source": "xor", "samples": 600}, "mlp": {"depth": 30, "width": 32, "activation": "tanh", "init": "normal", "std": 0.05}, "optimizer": {"type": "sgd", "lr": 0.1}"#,
                 verdict: .vanishing, firstStep: 1, firstLayer: "dense52"),
        Scenario(name: "20-layer ReLU, large normal init", spec: #""data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 20, "width": 64, "activation": "relu", "init": "normal", "std": 0.3}, "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9}"#,
                 verdict: .diverged, firstStep: 2, firstLayer: "dense32"),
        Scenario(name: "10-layer ReLU, large init, Adam", spec: #""data": {"source": "moons", "samples": 600}, "mlp": {"depth": 10, "width": 64, "activation": "relu", "init": "normal", "std": 0.5}, "optimizer": {"type": "adam", "lr": 0.001}"#,
                 verdict: .exploding, firstStep: 1, firstLayer: "dense8"),
        Scenario(name: "ReLU, learning rate 5", spec: #""data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 4, "width": 32, "activation": "relu", "init": "kaiming_normal"}, "optimizer": {"type": "sgd", "lr": 5.0}"#,
                 verdict: .diverged, firstStep: 5, firstLayer: "dense8"),
        Scenario(name: "tanh regression, learning rate 3", spec: #""data": {"source": "sine", "samples": 600}, "mlp": {"depth": 4, "width": 32, "activation": "tanh", "init": "xavier_normal"}, "optimizer": {"type": "sgd", "lr": 3.0, "momentum": 0.9}"#,
                 verdict: .diverged, firstStep: 4, firstLayer: "dense8"),
        Scenario(name: "leaky ReLU on blobs, learning rate 2", spec: #""data": {"source": "blobs", "samples": 600, "classes": 4, "features": 8}, "mlp": {"depth": 6, "width": 32, "activation": "leaky_relu", "init": "kaiming_normal"}, "optimizer": {"type": "sgd", "lr": 2.0, "momentum": 0.9}"#,
                 verdict: .diverged, firstStep: 2, firstLayer: "dense12"),
    ]

    static func run(_ json: String) throws -> (JobRun, Report) {
        let run = JobRun(job: try Job(spec: JobSpec.parse(Data(json.utf8))))
        run.runToEnd()
        return (run, run.report())
    }

    @Test(arguments: scenarios)
    func verdictFirstStepAndFirstLayerAreRight(_ s: Scenario) throws {
        let (_, report) = try Self.run(s.json)
        #expect(report.verdict == s.verdict)
        #expect(report.firstStep == s.firstStep)
        #expect(report.firstLayer == s.firstLayer)
        if s.verdict == .healthy {
            #expect(report.remedies.isEmpty)
        } else {
            #expect(!report.remedies.isEmpty)
            #expect(report.evidence.first.map { $0.step == s.firstStep } == true)
        }
    }

    @Test func tableCoversEveryVerdictAndEnoughScenarios() {
        #expect(Self.scenarios.count >= 12)
        #expect(Set(Self.scenarios.map(\.verdict)) == Set(Verdict.allCases))
    }

    /// SGD at learning rate 2 diverges; the same run with the global norm
    /// clipped at 0.5 trains.
    @Test func normClippingMakesAnExplodingRunTrainable() throws {
        let base = #""data": {"source": "spirals", "samples": 600}, "mlp": {"depth": 4, "width": 32, "activation": "relu", "init": "kaiming_normal"}, "optimizer": {"type": "sgd", "lr": 2.0}"#
        let (plain, plainReport) = try Self.run(Scenario(name: "", spec: base, verdict: .healthy).json)
        let clipped = #""clip": {"type": "norm", "max_norm": 0.5}, "# + base
        let (cured, curedReport) = try Self.run(Scenario(name: "", spec: clipped, verdict: .healthy).json)
        #expect(plainReport.verdict == .diverged)
        #expect(curedReport.verdict == .healthy)
        #expect(cured.trainer.lastEpoch!.trainAccuracy! > 0.85)
        #expect(cured.trainer.lastEpoch!.trainLoss < plain.trainer.lastEpoch!.trainLoss)
    }

    /// `compare --remedies auto` on every unhealthy scenario: the share it
    /// repairs (AUTOTRAINER reports 98% on its models); here all of them.
    @Test func autoRemediesRepairEveryUnhealthyScenario() throws {
        var repaired: [String] = [], unrepaired: [String] = []
        for s in Self.scenarios where s.verdict != .healthy {
            let spec = try JobSpec.parse(Data(s.json.utf8))
            let trials = try RemedyExperiment.run(spec: spec.json, baseDirectory: nil, selection: .auto)
            if trials.contains(where: { $0.works == true }) { repaired.append(s.name) } else { unrepaired.append(s.name) }
            #expect(trials.filter { $0.works == true }.count <= 1, "auto stops at the first that works")
        }
        #expect(unrepaired.isEmpty, "not repaired: \(unrepaired)")
        #expect(repaired.count == 9)
    }
}
