/// What flows through one layer on a recorded step: its output (forward) and
/// the loss gradient with respect to that output, δ (backward).
///
/// δ matters beyond the weight gradients: for tanh and ReLU nets the
/// weight-gradient norms stay flat across depth while δ vanishes or explodes,
/// because activations shrink or grow by the same factor (docs/algorithms.md §19).
public struct LayerSignal: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    /// RMS, mean and standard deviation of the layer's output over the batch.
    public var outputRMS: Double = 0
    public var outputMean: Double = 0
    public var outputStd: Double = 0
    /// RMS of δ = ∂L/∂y over the batch.
    public var deltaRMS: Double = 0
    /// ReLU-family: the fraction of units whose output is exactly 0 for every
    /// row of the batch.
    public var deadFraction: Double?
    /// sigmoid / tanh: the fraction of outputs in the flat region where the
    /// derivative is below ~0.04 (sigmoid y ∉ [0.04, 0.96], tanh |y| > 0.98).
    public var saturatedFraction: Double?
    /// NaN or ±Inf values in the output and in δ.
    public var outputNonfinite: Int = 0
    public var deltaNonfinite: Int = 0
}

extension LayerSignal {
    /// A signal with nothing measured yet (an extension keeps the memberwise initialiser).
    public init(name: String, kind: LayerKind) {
        self.name = name
        self.kind = kind
    }
}

/// Collects `LayerSignal`s during one recorded step. Layers are keyed by
/// identity; `signals(for:)` returns them in model order.
public final class SignalRecorder {
    private var byLayer: [ObjectIdentifier: LayerSignal] = [:]

    public init() {}

    public func reset() { byLayer.removeAll(keepingCapacity: true) }

    func recordOutput(of layer: Layer, _ y: Tensor) {
        var s = LayerSignal(name: layer.name, kind: layer.kind)
        let n = y.count, v = y.data
        let sums = ValueSums(v, n)
        let finite = Double(max(n - sums.nonfinite, 1))
        s.outputMean = sums.sum / finite
        s.outputRMS = (sums.squares / finite).squareRoot()
        s.outputStd = max(sums.squares / finite - s.outputMean * s.outputMean, 0).squareRoot()
        s.outputNonfinite = sums.nonfinite
        var saturated = 0
        switch layer.kind {
        case .relu:
            let rows = y.rows, cols = y.cols
            var dead = 0
            for j in 0..<cols {
                var alive = false
                for r in 0..<rows where v[r * cols + j] != 0 { alive = true; break }
                if !alive { dead += 1 }
            }
            s.deadFraction = Double(dead) / Double(max(cols, 1))
        case .sigmoid:
            for i in 0..<n where v[i] < 0.04 || v[i] > 0.96 { saturated += 1 }
            s.saturatedFraction = Double(saturated) / Double(max(n, 1))
        case .tanh:
            for i in 0..<n where abs(v[i]) > 0.98 { saturated += 1 }
            s.saturatedFraction = Double(saturated) / Double(max(n, 1))
        default: break
        }
        byLayer[ObjectIdentifier(layer)] = s
    }

    func recordDelta(of layer: Layer, _ dy: Tensor) {
        let sums = ValueSums(dy.data, dy.count)
        let id = ObjectIdentifier(layer)
        byLayer[id, default: LayerSignal(name: layer.name, kind: layer.kind)].deltaRMS =
            (sums.squares / Double(max(dy.count - sums.nonfinite, 1))).squareRoot()
        byLayer[id]!.deltaNonfinite = sums.nonfinite
    }

    /// The signals of `layers` (a flattened model), qualified names applied.
    func signals(for layers: [(name: String, layer: Layer)]) -> [LayerSignal] {
        layers.compactMap { entry in
            guard var s = byLayer[ObjectIdentifier(entry.layer)] else { return nil }
            s.name = entry.name
            return s
        }
    }
}
