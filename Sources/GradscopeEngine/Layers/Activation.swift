import Foundation

/// Element-wise activations with PyTorch's definitions and derivatives
/// (docs/algorithms.md §13):
///
/// | kind       | y                                  | dy/dx                          |
/// |------------|------------------------------------|--------------------------------|
/// | identity   | x                                  | 1                              |
/// | relu       | max(0, x)                          | 1[x > 0]                       |
/// | leaky_relu | x if x ≥ 0 else s·x                | 1[x > 0] else s (as PyTorch)   |
/// | elu        | x if x > 0 else α(eˣ − 1)          | 1 or y + α                     |
/// | gelu       | x·Φ(x) (exact erf form)            | Φ(x) + x·φ(x)                  |
/// | sigmoid    | 1/(1 + e⁻ˣ)                        | y(1 − y)                       |
/// | tanh       | tanh x                             | 1 − y²                         |
/// | softplus   | log(1 + e^{βx})/β; x if βx > 20    | sigmoid(βx); 1 if βx > 20      |
public final class Activation: Layer {
    public let name: String
    public let kind: LayerKind
    /// leaky_relu's negative slope (default 0.01), elu's α (1), softplus's β (1).
    public let parameter: Float
    /// softplus reverts to the identity when βx exceeds this (PyTorch's 20).
    public let threshold: Float
    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    private var input: Tensor?

    public init(name: String, kind: LayerKind, parameter: Float? = nil, threshold: Float = 20) {
        precondition(kind.isActivation, "\(kind) is not an activation")
        self.name = name
        self.kind = kind
        switch kind {
        case .leakyRelu: self.parameter = parameter ?? 0.01
        case .elu, .softplus: self.parameter = parameter ?? 1
        default: self.parameter = parameter ?? 0
        }
        self.threshold = threshold
    }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        input = x
        if kind == .identity { return x }
        output.resize(rows: x.rows, cols: x.cols)
        let n = x.count, src = x.data, y = output.data, p = parameter
        switch kind {
        case .identity: break
        case .relu: for i in 0..<n { y[i] = src[i] > 0 ? src[i] : 0 }
        case .leakyRelu: for i in 0..<n { let v = src[i]; y[i] = v >= 0 ? v : v * p }
        case .elu: for i in 0..<n { let v = src[i]; y[i] = v > 0 ? v : p * (expm1(v)) }
        case .gelu:
            for i in 0..<n { let v = src[i]; y[i] = v * 0.5 * (1 + erf(v * 0.70710678118654752)) }
        case .sigmoid: VectorMath.sigmoid(src, y, count: n)
        case .tanh: VectorMath.tanh(src, y, count: n)
        case .softplus:
            for i in 0..<n {
                let bx = src[i] * p
                y[i] = bx > threshold ? src[i] : log1p(exp(bx)) / p
            }
        default: preconditionFailure()
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        guard needInputGradient else { return nil }
        if kind == .identity { return dy }
        guard let x = input else { preconditionFailure("\(name): backward before forward") }
        inputGrad.resize(rows: dy.rows, cols: dy.cols)
        let n = dy.count, g = dy.data, dx = inputGrad.data, src = x.data, y = output.data, p = parameter
        switch kind {
        case .identity: break
        case .relu: Self.maskedCopy(n, src, g, dx, negativeScale: 0)
        case .leakyRelu: Self.maskedCopy(n, src, g, dx, negativeScale: p)
        case .elu: for i in 0..<n { dx[i] = src[i] > 0 ? g[i] : g[i] * (y[i] + p) }
        case .gelu:
            // Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π)
            for i in 0..<n {
                let v = src[i]
                let cdf = 0.5 * (1 + erf(v * 0.70710678118654752))
                let pdf = exp(-0.5 * v * v) * 0.39894228040143268
                dx[i] = g[i] * (cdf + v * pdf)
            }
        case .sigmoid: for i in 0..<n { dx[i] = g[i] * y[i] * (1 - y[i]) }
        case .tanh: for i in 0..<n { dx[i] = g[i] * (1 - y[i] * y[i]) }
        case .softplus:
            for i in 0..<n {
                let bx = src[i] * p
                if bx > threshold { dx[i] = g[i] } else { let z = exp(bx); dx[i] = g[i] * z / (z + 1) }
            }
        default: preconditionFailure()
        }
        return inputGrad
    }

    /// dx = dy where x > 0, else s·dy: sixteen lanes at a time with a mask.
    /// The scalar form is a branch on the sign of x, mispredicted half the
    /// time on real activations.
    private static func maskedCopy(
        _ n: Int, _ x: UnsafeMutablePointer<Float>, _ dy: UnsafeMutablePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, negativeScale s: Float
    ) {
        let xs = UnsafeRawPointer(x), gs = UnsafeRawPointer(dy), out = UnsafeMutableRawPointer(dx)
        var i = 0
        while i + 16 <= n {
            let v = xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let g = gs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            out.storeBytes(of: g.replacing(with: g * s, where: v .<= 0), toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            dx[i] = x[i] > 0 ? dy[i] : dy[i] * s
            i += 1
        }
    }
}
