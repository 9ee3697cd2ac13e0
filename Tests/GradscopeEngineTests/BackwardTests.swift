import Testing
@testable import GradscopeEngine

/// Every layer's backward pass against central finite differences.
struct BackwardTests {
    let check = GradientCheck()

    @Test(arguments: [(3, 5, true), (7, 2, true), (4, 6, false)])
    func denseMatchesFiniteDifferences(inputs: Int, outputs: Int, bias: Bool) {
        let layer = GradientCheck.dense("fc", inputs, outputs, bias: bias)
        let report = check.check([layer], input: GradientCheck.input(rows: 4, cols: inputs))
        #expect(report.passed, "\(report)")
    }

    @Test(arguments: [LayerKind.identity, .relu, .leakyRelu, .elu, .gelu, .sigmoid, .tanh, .softplus])
    func activationMatchesFiniteDifferences(_ kind: LayerKind) {
        // A dense layer in front makes the check cover the chain, not only the
        // element-wise derivative.
        let layers: [Layer] = [GradientCheck.dense("fc", 3, 5), Activation(name: "act", kind: kind, parameter: kind == .leakyRelu ? 0.1 : nil)]
        let report = check.check(layers, input: GradientCheck.input(rows: 4, cols: 3), checkInput: kind != .relu && kind != .leakyRelu)
        #expect(report.passed, "\(kind): \(report)")
        // The activation alone on inputs away from its kink.
        let alone = check.check([Activation(name: "act", kind: kind)], input: GradientCheck.input(rows: 3, cols: 4, margin: 0.1))
        #expect(alone.passed, "\(kind) alone: \(alone)")
    }

    @Test func softplusAboveThresholdIsLinear() {
        let x = Tensor(shape: [1, 3], values: [25, -3, 0.5])
        let report = check.check([Activation(name: "sp", kind: .softplus)], input: x)
        #expect(report.passed, "\(report)")
    }

    @Test func batchnormTrainingMatchesFiniteDifferences() {
        let bn = BatchNorm(name: "bn", width: 5)
        var r = Random(seed: 2)
        for i in 0..<5 { bn.weight.value[i] = Float(1 + 0.3 * r.normal()); bn.bias.value[i] = Float(0.2 * r.normal()) }
        let report = check.check([GradientCheck.dense("fc", 3, 5), bn, Activation(name: "t", kind: .tanh)],
                                 input: GradientCheck.input(rows: 6, cols: 3))
        #expect(report.passed, "\(report)")
    }

    @Test func batchnormEvaluationUsesRunningStatistics() {
        let bn = BatchNorm(name: "bn", width: 2)
        bn.runningMean.copy(from: [1, -1])
        bn.runningVar.copy(from: [4, 0.25])
        var context = ForwardContext(training: false, random: Random(seed: 0))
        let y = bn.forward(Tensor(shape: [1, 2], values: [3, 0]), &context)
        #expect(abs(y[0] - 2 / (4 + 1e-5).squareRoot()) < 1e-6)
        #expect(abs(y[1] - 1 / (0.25 + 1e-5).squareRoot()) < 1e-5)
    }

    @Test func batchnormUpdatesRunningStatisticsAsPyTorch() {
        let bn = BatchNorm(name: "bn", width: 1)
        var context = ForwardContext(training: true, random: Random(seed: 0))
        _ = bn.forward(Tensor(shape: [4, 1], values: [1, 2, 3, 6]), &context)
        // mean 3, biased var 3.5, unbiased 14/3.
        #expect(abs(bn.runningMean[0] - 0.3) < 1e-6)
        #expect(abs(bn.runningVar[0] - (0.9 + 0.1 * 14 / 3)) < 1e-6)
        #expect(bn.batchesTracked[0] == 1)
    }

    @Test func layernormMatchesFiniteDifferences() {
        let ln = LayerNorm(name: "ln", width: 5)
        var r = Random(seed: 4)
        for i in 0..<5 { ln.weight.value[i] = Float(1 + 0.3 * r.normal()); ln.bias.value[i] = Float(0.2 * r.normal()) }
        let report = check.check([GradientCheck.dense("fc", 3, 5), ln], input: GradientCheck.input(rows: 3, cols: 3))
        #expect(report.passed, "\(report)")
    }

    @Test func dropoutMatchesFiniteDifferences() {
        let report = check.check([GradientCheck.dense("fc", 3, 6), Dropout(name: "drop", p: 0.4)],
                                 input: GradientCheck.input(rows: 5, cols: 3))
        #expect(report.passed, "\(report)")
    }

    @Test func dropoutScalesKeptUnitsAndIsIdentityInEvaluation() {
        let drop = Dropout(name: "d", p: 0.25)
        let x = Tensor(rows: 100, cols: 100)
        x.fill(1)
        var train = ForwardContext(training: true, random: Random(seed: 1))
        let y = drop.forward(x, &train)
        let kept = y.array.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        #expect(abs(Double(kept.count) / 10_000 - 0.75) < 0.02)
        var eval = ForwardContext(training: false, random: Random(seed: 1))
        #expect(drop.forward(x, &eval).array == x.array)
    }

    @Test func residualWithIdentityShortcutMatchesFiniteDifferences() {
        let block = Residual(name: "res", body: [GradientCheck.dense("fc", 4, 4), Activation(name: "t", kind: .tanh)], projection: nil)
        let report = check.check([GradientCheck.dense("in", 3, 4), block], input: GradientCheck.input(rows: 3, cols: 3))
        #expect(report.passed, "\(report)")
    }

    @Test func residualWithProjectionMatchesFiniteDifferences() {
        let block = Residual(name: "res", body: [GradientCheck.dense("fc", 4, 6), Activation(name: "e", kind: .elu)],
                             projection: GradientCheck.dense("proj", 4, 6, seed: 12))
        let report = check.check([block], input: GradientCheck.input(rows: 3, cols: 4))
        #expect(report.passed, "\(report)")
    }

    @Test func deepMixedModelMatchesFiniteDifferences() {
        let layers: [Layer] = [
            GradientCheck.dense("a", 3, 6), BatchNorm(name: "bn", width: 6), Activation(name: "g", kind: .gelu),
            Residual(name: "r", body: [GradientCheck.dense("b", 6, 6, seed: 13), LayerNorm(name: "ln", width: 6),
                                       Activation(name: "s", kind: .sigmoid)], projection: nil),
            GradientCheck.dense("c", 6, 2, seed: 14),
        ]
        let report = check.check(layers, input: GradientCheck.input(rows: 5, cols: 3))
        #expect(report.passed, "\(report)")
    }

    @Test func checkCatchesAWrongGradient() {
        // The check itself must fail on a broken layer: scale one weight's gradient.
        let layer = GradientCheck.dense("fc", 3, 2)
        final class Broken: Layer {
            let inner: Dense
            init(_ d: Dense) { inner = d }
            var name: String { inner.name }
            var kind: LayerKind { .dense }
            var parameters: [Parameter] { inner.parameters }
            func forward(_ x: Tensor, _ c: inout ForwardContext) -> Tensor { inner.forward(x, &c) }
            func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
                let g = inner.backward(dy, needInputGradient: needInputGradient)
                inner.weight.grad[1] *= -1
                return g
            }
        }
        #expect(!check.check([Broken(layer)], input: GradientCheck.input(rows: 2, cols: 3)).passed)
    }
}

/// The backward pass of nets whose weights come from each initialiser,
/// so every initialisation path is trained through a checked gradient.
struct InitializedNetBackwardTests {
    static let initializers: [Initializer] = [
        .pytorchDefault, .xavierUniform(gain: 1), .xavierNormal(gain: 5.0 / 3),
        .kaimingUniform(gain: 2.0.squareRoot(), mode: .fanIn), .kaimingNormal(gain: 1, mode: .fanOut),
        .normal(mean: 0, std: 0.7), .uniform(low: -0.5, high: 0.5), .orthogonal(gain: 1.2), .zeros, .constant(0.1),
    ]

    @Test(arguments: initializers)
    func netMatchesFiniteDifferences(_ initializer: Initializer) {
        var r = Random(seed: 21)
        let layers: [Layer] = [Dense(name: "a", inputWidth: 3, outputWidth: 5), Activation(name: "t", kind: .tanh),
                               Dense(name: "b", inputWidth: 5, outputWidth: 4), Activation(name: "s", kind: .softplus)]
        for case let dense as Dense in layers {
            initializer.fill(dense.weight.value, fanIn: dense.inputWidth, fanOut: dense.outputWidth, random: &r)
            Initializer.pytorchDefault.fill(dense.bias!.value, fanIn: dense.inputWidth, fanOut: dense.outputWidth, random: &r)
        }
        let report = GradientCheck().check(layers, input: GradientCheck.input(rows: 4, cols: 3))
        #expect(report.passed, "\(initializer): \(report)")
    }
}
