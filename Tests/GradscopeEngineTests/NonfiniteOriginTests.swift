import Testing
@testable import GradscopeEngine

/// The first NaN/Inf is found where it starts, in the forward pass, the
/// loss or the backward pass, on recorded and unrecorded steps alike.
struct NonfiniteOriginTests {
    static func trainer(_ layers: [Layer], loss: Loss = .crossEntropy, every: Int = 1, targets: Targets? = nil,
                        skipNonfinite: Bool = false) -> Trainer {
        let model = Model(layers: layers, inputWidth: 2, outputWidth: 2)
        let data = Dataset(features: 2, inputs: [1, 2, 3, 4, -1, 0.5, 2, 2],
                           targets: targets ?? .labels([0, 1, 1, 0], classes: 2))
        return Trainer(model: model, loss: loss, optimizer: .sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0),
                       schedule: Schedule(baseLR: 0.1), train: data, validation: nil,
                       config: TrainingConfig(batchSize: 4, shuffle: false, steps: 3, every: every, skipNonfinite: skipNonfinite))
    }

    static func dense(_ name: String, _ i: Int, _ o: Int, _ w: Float) -> Dense {
        let d = Dense(name: name, inputWidth: i, outputWidth: o)
        d.weight.value.fill(w)
        return d
    }

    static func origin(_ t: Trainer) -> NonfiniteOrigin? {
        for _ in 0..<3 { for case .nonfinite(let o) in t.advance() { return o } }
        return nil
    }

    @Test(arguments: [1, 1000])
    func forwardOverflowIsPlacedAtItsLayer(every: Int) {
        let t = Self.trainer([Self.dense("a", 2, 3, 1), Activation(name: "e", kind: .elu), Self.dense("b", 3, 3, 1e38),
                              Activation(name: "f", kind: .elu), Self.dense("c", 3, 2, 1)], every: every)
        #expect(Self.origin(t) == NonfiniteOrigin(step: 1, pass: .forward, layer: "b", quantity: "output"))
    }

    /// Finite forward and loss, but ∂L/∂W of the first layer overflows:
    /// x ~ 1e20 meets δ ~ 1e25. The logits are ±4e20 for the second row, so
    /// its softmax is one-hot on the wrong class under any rounding (logits
    /// that cancel to ~0 would saturate or not depending on the BLAS kernel).
    @Test(arguments: [1, 1000])
    func backwardOverflowIsPlacedAtTheParameterGradient(every: Int) {
        let a = Self.dense("a", 2, 2, 1e-25), b = Self.dense("b", 2, 2, 0)
        b.weight.value.copy(from: [1e25, 1e25, -1e25, -1e25])
        let model = Model(layers: [a, b], inputWidth: 2, outputWidth: 2)
        let data = Dataset(features: 2, inputs: [1e20, 2e20, -1e20, 3e20], targets: .labels([0, 1], classes: 2))
        let t = Trainer(model: model, loss: .crossEntropy, optimizer: .sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0),
                        schedule: Schedule(baseLR: 0.1), train: data, validation: nil,
                        config: TrainingConfig(batchSize: 2, shuffle: false, steps: 1, every: every))
        var found: NonfiniteOrigin?
        var loss = Double.nan
        for event in t.advance() {
            if case .nonfinite(let o) = event { found = o }
            if case .pulse(let p) = event { loss = p.loss }
        }
        #expect(loss.isFinite)
        #expect(found == NonfiniteOrigin(step: 1, pass: .backward, layer: "a", quantity: "parameter gradient"))
    }

    /// Locating on an unrecorded step repeats the pass: the weights and
    /// BatchNorm statistics must end as if it had not.
    @Test func locatingLeavesTheRunUnchanged() {
        func run(every: Int) -> [Float] {
            let bn = BatchNorm(name: "bn", width: 3)
            let t = Self.trainer([Self.dense("a", 2, 3, 0.5), bn, Dropout(name: "d", p: 0.3), Self.dense("b", 3, 2, 3e38)],
                                 every: every, skipNonfinite: true)
            for _ in 0..<3 { _ = t.advance() }
            return bn.runningMean.array + bn.runningVar.array
        }
        #expect(run(every: 1000) == run(every: 1))
    }

    @Test func skipNonfiniteSkipsTheUpdate() {
        let model = Model(layers: [Self.dense("a", 2, 2, 1e38)], inputWidth: 2, outputWidth: 2)
        let data = Dataset(features: 2, inputs: [1, 2, 3, 4], targets: .values([0, 0, 0, 0], width: 2))
        let t = Trainer(model: model, loss: .mse, optimizer: .sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0),
                        schedule: Schedule(baseLR: 0.1), train: data, validation: nil,
                        config: TrainingConfig(batchSize: 2, shuffle: false, steps: 2, skipNonfinite: true))
        let before = model.stateDict.map { $0.tensor.array }
        _ = t.advance()
        _ = t.advance()
        #expect(t.skippedSteps == 2)
        #expect(model.stateDict.map { $0.tensor.array } == before)
    }
}
