import Foundation

/// Weight initialisers as `torch.nn.init` defines them (docs/algorithms.md §9).
/// Fans of a `[out, in]` weight: fan_in = in, fan_out = out.
public enum Initializer: Sendable, Equatable {
    /// `nn.Linear.reset_parameters`: weight U(±1/√fan_in) (kaiming_uniform with
    /// a = √5); bias U(±1/√fan_in).
    case pytorchDefault
    /// U(−a, a), a = gain·√(6/(fan_in + fan_out)).
    case xavierUniform(gain: Double)
    /// N(0, std²), std = gain·√(2/(fan_in + fan_out)).
    case xavierNormal(gain: Double)
    /// U(±√3·gain/√fan), gain = calculate_gain(nonlinearity, a).
    case kaimingUniform(gain: Double, mode: FanMode)
    /// N(0, (gain/√fan)²).
    case kaimingNormal(gain: Double, mode: FanMode)
    case normal(mean: Double, std: Double)
    case uniform(low: Double, high: Double)
    /// A (semi-)orthogonal matrix times gain, from the QR decomposition of a
    /// Gaussian matrix with R's diagonal made positive, as `orthogonal_`.
    case orthogonal(gain: Double)
    case zeros
    case constant(Double)

    public enum FanMode: String, Sendable { case fanIn = "fan_in", fanOut = "fan_out" }

    /// `torch.nn.init.calculate_gain`: linear/identity and sigmoid 1, tanh 5/3,
    /// relu √2, leaky_relu √(2/(1 + s²)), selu 3/4.
    public static func gain(for kind: LayerKind?, slope: Double = 0.01) -> Double {
        switch kind {
        case .tanh: 5.0 / 3.0
        case .relu: 2.0.squareRoot()
        case .leakyRelu: (2.0 / (1 + slope * slope)).squareRoot()
        default: 1
        }
    }

    /// Fills a weight `[out, in]` (or a bias `[out]` of a layer with `fanIn`
    /// inputs).
    public func fill(_ t: Tensor, fanIn: Int, fanOut: Int, random: inout Random) {
        let n = t.count, v = t.data
        func uniformFill(_ lo: Double, _ hi: Double) { for i in 0..<n { v[i] = Float(random.uniform(lo, hi)) } }
        func normalFill(_ mean: Double, _ std: Double) { for i in 0..<n { v[i] = Float(mean + std * random.normal()) } }
        switch self {
        case .pytorchDefault:
            let bound = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
            uniformFill(-bound, bound)
        case .xavierUniform(let gain):
            let a = gain * (6 / Double(fanIn + fanOut)).squareRoot()
            uniformFill(-a, a)
        case .xavierNormal(let gain):
            normalFill(0, gain * (2 / Double(fanIn + fanOut)).squareRoot())
        case .kaimingUniform(let gain, let mode):
            let bound = 3.0.squareRoot() * gain / Double(mode == .fanIn ? fanIn : fanOut).squareRoot()
            uniformFill(-bound, bound)
        case .kaimingNormal(let gain, let mode):
            normalFill(0, gain / Double(mode == .fanIn ? fanIn : fanOut).squareRoot())
        case .normal(let mean, let std): normalFill(mean, std)
        case .uniform(let low, let high): uniformFill(low, high)
        case .orthogonal(let gain): fillOrthogonal(t, gain: gain, random: &random)
        case .zeros: t.fill(0)
        case .constant(let c): t.fill(Float(c))
        }
    }

    /// Rows × cols = the tensor viewed as `[shape[0], count/shape[0]]`. When
    /// rows < cols the rows are orthonormal, otherwise the columns, as PyTorch.
    private func fillOrthogonal(_ t: Tensor, gain: Double, random: inout Random) {
        let rows = t.shape.first ?? 1, cols = t.count / max(rows, 1)
        // Work on the tall orientation: m ≥ n vectors of length m, orthonormalise the n columns.
        let transpose = rows < cols
        let m = transpose ? cols : rows, n = transpose ? rows : cols
        var q = [[Double]](repeating: [], count: n)
        for j in 0..<n { q[j] = (0..<m).map { _ in random.normal() } }
        // Modified Gram–Schmidt gives Q with R's diagonal positive, which is
        // what PyTorch's q·sign(diag(r)) normalisation produces.
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<m { dot += q[k][i] * q[j][i] }
                for i in 0..<m { q[j][i] -= dot * q[k][i] }
            }
            var norm = 0.0
            for i in 0..<m { norm += q[j][i] * q[j][i] }
            norm = norm.squareRoot()
            for i in 0..<m { q[j][i] /= norm }
        }
        for r in 0..<rows {
            for c in 0..<cols {
                // Tall: column c is q[c], entry r. Wide: row r is q[r], entry c.
                t[r * cols + c] = Float(gain * (transpose ? q[r][c] : q[c][r]))
            }
        }
    }
}
