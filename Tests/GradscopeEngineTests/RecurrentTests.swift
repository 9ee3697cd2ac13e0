import Testing
@testable import GradscopeEngine

/// Recurrent layers: backpropagation through time against central finite
/// differences, truncation, the hidden-gradient profile and σ₁.
struct RecurrentTests {
    let check = GradientCheck()
    static let steps = 4, features = 3, hidden = 5

    static func layer(_ cell: Recurrent.Cell, layers: Int = 1, returnSequences: Bool = false, tbptt: Int? = nil,
                      seed: UInt64 = 7) -> Recurrent {
        let r = Recurrent(name: "rec", cell: cell, inputWidth: features, hidden: hidden, layers: layers,
                          returnSequences: returnSequences, tbptt: tbptt)
        var random = Random(seed: seed)
        // Larger than PyTorch's default so that every gate is away from its flat regions' trivial values.
        r.initialize(input: .normal(mean: 0, std: 0.5), bias: .normal(mean: 0, std: 0.3), recurrent: .normal(std: 0.5),
                     scale: 1, random: &random)
        return r
    }

    @Test(arguments: [Recurrent.Cell.rnnTanh, .lstm, .gru], [false, true])
    func cellMatchesFiniteDifferences(_ cell: Recurrent.Cell, returnSequences: Bool) {
        for layers in [1, 2] {
            let r = Self.layer(cell, layers: layers, returnSequences: returnSequences)
            let report = check.check([r], input: GradientCheck.input(rows: 3, cols: Self.steps * Self.features))
            #expect(report.passed, "\(cell) layers \(layers) sequences \(returnSequences): \(report)")
        }
    }

    @Test func reluRNNMatchesFiniteDifferences() {
        // A dense head after the last step: the check covers the chain into the next layer too.
        let r = Self.layer(.rnnRelu, seed: 3)
        let report = GradientCheck(eps: 1e-3, rtol: 3e-2, atol: 3e-3)
            .check([r, GradientCheck.dense("fc", Self.hidden, 2)], input: GradientCheck.input(rows: 3, cols: Self.steps * Self.features))
        #expect(report.passed, "\(report)")
    }

    @Test func stackedAcrossLayersMatchesFiniteDifferences() {
        // lstm returning sequences into a gru, then a dense head on its last step.
        let lstm = Recurrent(name: "l", cell: .lstm, inputWidth: Self.features, hidden: 4, returnSequences: true)
        let gru = Recurrent(name: "g", cell: .gru, inputWidth: 4, hidden: 3)
        var random = Random(seed: 1)
        for r in [lstm, gru] {
            r.initialize(input: .normal(mean: 0, std: 0.5), bias: nil, recurrent: .orthogonal, scale: 1.2, random: &random)
        }
        let report = check.check([lstm, gru, GradientCheck.dense("fc", 3, 2)],
                                 input: GradientCheck.input(rows: 2, cols: Self.steps * Self.features))
        #expect(report.passed, "\(report)")
    }

    /// With truncation every `k` steps and the loss on the last step only,
    /// the inputs of the last chunk get their exact gradient and the earlier
    /// ones none; a chunk as long as the sequence is full BPTT.
    @Test(arguments: [Recurrent.Cell.rnnTanh, .lstm, .gru])
    func truncatedBPTT(_ cell: Recurrent.Cell) {
        let t = 6, k = 4, f = Self.features
        let x = GradientCheck.input(rows: 2, cols: t * f)
        let truncated = Self.layer(cell, tbptt: k)
        let full = Self.layer(cell)
        var context = ForwardContext(training: true, random: Random(seed: 0))
        let y = truncated.forward(x, &context)
        let probe = Tensor(rows: y.rows, cols: y.cols)
        var pr = Random(seed: 4)
        for i in 0..<probe.count { probe[i] = Float(pr.normal()) }
        let dx = truncated.backward(probe, needInputGradient: true)!.array
        let profile = truncated.hiddenGradNorms[0]

        func loss() -> Double {
            var c = ForwardContext(training: true, random: Random(seed: 0))
            let out = full.forward(x, &c)
            return (0..<out.count).reduce(0.0) { $0 + Double(out[$1]) * Double(probe[$1]) }
        }
        let lastChunk = (t / k) * k  // steps from here on form the last chunk (0-based)
        for r in 0..<2 {
            for s in 0..<t {
                for j in 0..<f {
                    let i = r * t * f + s * f + j
                    if s < lastChunk {
                        #expect(dx[i] == 0, "\(cell): input of step \(s) is before the truncation boundary")
                        continue
                    }
                    let saved = x[i]
                    x[i] = saved + 1e-2; let plus = loss()
                    x[i] = saved - 1e-2; let minus = loss()
                    x[i] = saved
                    let numeric = (plus - minus) / 2e-2
                    #expect(abs(numeric - Double(dx[i])) <= 2e-3 + 2e-2 * abs(numeric), "\(cell) step \(s): \(dx[i]) vs \(numeric)")
                }
            }
        }
        for s in 0..<lastChunk { #expect(profile[s] == 0) }
        #expect(profile[t - 1] > 0)

        // tbptt ≥ T changes nothing.
        let long = Self.layer(cell, tbptt: t)
        var c1 = ForwardContext(training: true, random: Random(seed: 0)), c2 = c1
        _ = long.forward(x, &c1); _ = full.forward(x, &c2)
        let a = long.backward(probe, needInputGradient: true)!.array, b = full.backward(probe, needInputGradient: true)!.array
        #expect(a == b)
        #expect(long.parameters.map(\.grad.array) == full.parameters.map(\.grad.array))
    }

    /// ‖∂L/∂h_T‖ is the norm of what arrives from above when only the last
    /// step is read; earlier steps get only what flows back through time.
    @Test func hiddenGradientProfile() {
        let r = Self.layer(.rnnTanh)
        var context = ForwardContext(training: true, random: Random(seed: 0))
        let x = GradientCheck.input(rows: 3, cols: Self.steps * Self.features)
        let y = r.forward(x, &context)
        let dy = Tensor(rows: y.rows, cols: y.cols)
        dy.fill(0.5)
        _ = r.backward(dy, needInputGradient: false)
        let profile = r.hiddenGradNorms[0]
        #expect(profile.count == Self.steps)
        #expect(abs(profile[Self.steps - 1] - (0.25 * Double(dy.count)).squareRoot()) < 1e-6)
        #expect(profile.allSatisfy { $0 > 0 && $0.isFinite })
    }

    @Test func spectralNormOfKnownMatrices() {
        let r = Recurrent(name: "r", cell: .rnnTanh, inputWidth: 2, hidden: 4)
        var random = Random(seed: 1)
        r.initialize(input: nil, bias: nil, recurrent: .orthogonal, scale: 1.5, random: &random)
        #expect(abs(r.recurrentSpectralNorms()[0] - 1.5) < 1e-4)
        r.initialize(input: nil, bias: nil, recurrent: .identity, scale: 0.7, random: &random)
        #expect(abs(r.recurrentSpectralNorms(iterations: 2)[0] - 0.7) < 1e-5)
        // diag(3, 1, 1, 1) by rows: σ₁ = 3.
        let w = r.recurrentWeights[0].value
        w.fill(0)
        for i in 0..<4 { w[i * 4 + i] = i == 2 ? -3 : 1 }
        #expect(abs(r.recurrentSpectralNorms(iterations: 50)[0] - 3) < 1e-4)
    }

    @Test func parameterNamesAndShapesFollowPyTorch() {
        let lstm = Recurrent(name: "lstm0", cell: .lstm, inputWidth: 3, hidden: 8, layers: 2)
        let model = Model(layers: [lstm], inputWidth: 12, outputWidth: 8)
        #expect(model.namedParameters.map(\.name) == [
            "lstm0.weight_ih_l0", "lstm0.weight_hh_l0", "lstm0.bias_ih_l0", "lstm0.bias_hh_l0",
            "lstm0.weight_ih_l1", "lstm0.weight_hh_l1", "lstm0.bias_ih_l1", "lstm0.bias_hh_l1",
        ])
        #expect(model.namedParameters.map(\.parameter.shape) == [[32, 3], [32, 8], [32], [32], [32, 8], [32, 8], [32], [32]])
        let gru = Recurrent(name: "g", cell: .gru, inputWidth: 3, hidden: 8)
        #expect(gru.parameters.map(\.shape) == [[24, 3], [24, 8], [24], [24]])
    }
}
