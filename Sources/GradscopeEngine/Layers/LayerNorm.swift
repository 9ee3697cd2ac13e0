/// Layer normalisation over each row's features, as `torch.nn.LayerNorm(D)`
/// (docs/algorithms.md §15): μ, σ² (biased) over the D features of a row,
/// x̂ = (x − μ)/√(σ² + eps), y = γ·x̂ + β. No running statistics; the same in
/// training and evaluation. Backward per row, with dx̂ = γ·dy:
/// dx = invstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)); dγ = Σ_rows dy·x̂; dβ = Σ_rows dy.
public final class LayerNorm: Layer {
    public let name: String
    public let kind = LayerKind.layernorm
    public let width: Int
    public let eps: Float
    public let weight: Parameter, bias: Parameter
    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    private let xhat = Tensor(rows: 0, cols: 0)
    private let invstd = Tensor(rows: 0, cols: 0)

    public init(name: String, width: Int, eps: Float = 1e-5) {
        self.name = name
        self.width = width
        self.eps = eps
        weight = Parameter(name: "weight", shape: [width])
        bias = Parameter(name: "bias", shape: [width])
        weight.value.fill(1)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let b = x.rows, d = width
        output.resize(rows: b, cols: d)
        xhat.resize(rows: b, cols: d)
        invstd.resize(rows: b, cols: 1)
        let src = x.data, y = output.data, xh = xhat.data, gamma = weight.value.data, beta = bias.value.data
        for r in 0..<b {
            let row = src + r * d
            var sum = 0.0
            for j in 0..<d { sum += Double(row[j]) }
            let mean = sum / Double(d)
            var sq = 0.0
            for j in 0..<d { let v = Double(row[j]) - mean; sq += v * v }
            let inv = Float(1 / (sq / Double(d) + Double(eps)).squareRoot())
            invstd[r] = inv
            let meanF = Float(mean)
            for j in 0..<d {
                let k = r * d + j
                xh[k] = (row[j] - meanF) * inv
                y[k] = gamma[j] * xh[k] + beta[j]
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        let b = dy.rows, d = width
        let g = dy.data, xh = xhat.data, gamma = weight.value.data
        let dgamma = weight.grad.data, dbeta = bias.grad.data
        dgamma.update(repeating: 0, count: d)
        dbeta.update(repeating: 0, count: d)
        for r in 0..<b {
            for j in 0..<d {
                let k = r * d + j
                dgamma[j] += g[k] * xh[k]
                dbeta[j] += g[k]
            }
        }
        guard needInputGradient else { return nil }
        inputGrad.resize(rows: b, cols: d)
        let dx = inputGrad.data
        for r in 0..<b {
            var meanG = 0.0, meanGX = 0.0
            for j in 0..<d {
                let k = r * d + j
                let gh = Double(gamma[j] * g[k])
                meanG += gh
                meanGX += gh * Double(xh[k])
            }
            let mg = Float(meanG / Double(d)), mgx = Float(meanGX / Double(d)), inv = invstd[r]
            for j in 0..<d {
                let k = r * d + j
                dx[k] = inv * (gamma[j] * g[k] - mg - xh[k] * mgx)
            }
        }
        return inputGrad
    }
}
