/// Batch normalisation over the batch for each feature, as
/// `torch.nn.BatchNorm1d(C, eps=1e-5, momentum=0.1)` on `[B, C]` input
/// (docs/algorithms.md §14).
///
/// Training: μ, σ_b² (biased) over the B rows; x̂ = (x − μ)/√(σ_b² + eps);
/// y = γ·x̂ + β. Running statistics: r_μ ← (1 − m)·r_μ + m·μ and
/// r_σ² ← (1 − m)·r_σ² + m·σ_b²·B/(B − 1) (unbiased). Evaluation uses them.
/// Backward (training): dγ = Σ dy·x̂, dβ = Σ dy,
/// dx = (γ·invstd/B)·(B·dy − Σdy − x̂·Σ(dy·x̂)).
public final class BatchNorm: Layer {
    public let name: String
    public let kind = LayerKind.batchnorm
    public let width: Int
    public let eps: Float, momentum: Float
    public let weight: Parameter, bias: Parameter
    public let runningMean: Tensor, runningVar: Tensor, batchesTracked: Tensor
    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    private let xhat = Tensor(rows: 0, cols: 0)
    private let invstd: Tensor
    private var trainingPass = true

    public init(name: String, width: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.name = name
        self.width = width
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(name: "weight", shape: [width])
        bias = Parameter(name: "bias", shape: [width])
        weight.value.fill(1)
        runningMean = Tensor(shape: [width])
        runningVar = Tensor(shape: [width])
        runningVar.fill(1)
        batchesTracked = Tensor(shape: [])
        invstd = Tensor(shape: [width])
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var buffers: [Buffer] {
        [Buffer(name: "running_mean", tensor: runningMean), Buffer(name: "running_var", tensor: runningVar),
         Buffer(name: "num_batches_tracked", tensor: batchesTracked)]
    }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let b = x.rows, c = width
        precondition(x.cols == c)
        trainingPass = context.training
        output.resize(rows: b, cols: c)
        xhat.resize(rows: b, cols: c)
        let src = x.data, y = output.data, xh = xhat.data, gamma = weight.value.data, beta = bias.value.data
        let istd = invstd.data
        if context.training {
            precondition(b > 1, "\(name): batch normalisation needs more than one row in training")
            for j in 0..<c {
                var sum = 0.0
                for r in 0..<b { sum += Double(src[r * c + j]) }
                let mean = sum / Double(b)
                var sq = 0.0
                for r in 0..<b { let d = Double(src[r * c + j]) - mean; sq += d * d }
                let variance = sq / Double(b)
                let inv = 1 / (variance + Double(eps)).squareRoot()
                istd[j] = Float(inv)
                let m = Double(momentum)
                runningMean[j] = Float((1 - m) * Double(runningMean[j]) + m * mean)
                runningVar[j] = Float((1 - m) * Double(runningVar[j]) + m * variance * Double(b) / Double(b - 1))
                let meanF = Float(mean), invF = Float(inv)
                for r in 0..<b {
                    let k = r * c + j
                    xh[k] = (src[k] - meanF) * invF
                    y[k] = gamma[j] * xh[k] + beta[j]
                }
            }
            batchesTracked[0] += 1
        } else {
            for j in 0..<c { istd[j] = 1 / (runningVar[j] + eps).squareRoot() }
            for r in 0..<b {
                for j in 0..<c {
                    let k = r * c + j
                    xh[k] = (src[k] - runningMean[j]) * istd[j]
                    y[k] = gamma[j] * xh[k] + beta[j]
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        let b = dy.rows, c = width
        let g = dy.data, xh = xhat.data, gamma = weight.value.data, istd = invstd.data
        let dgamma = weight.grad.data, dbeta = bias.grad.data
        if needInputGradient { inputGrad.resize(rows: b, cols: c) }
        let dx = inputGrad.data
        for j in 0..<c {
            var sumDy = 0.0, sumDyXhat = 0.0
            for r in 0..<b {
                let k = r * c + j
                sumDy += Double(g[k])
                sumDyXhat += Double(g[k]) * Double(xh[k])
            }
            dgamma[j] = Float(sumDyXhat)
            dbeta[j] = Float(sumDy)
            guard needInputGradient else { continue }
            if trainingPass {
                let scale = gamma[j] * istd[j] / Float(b)
                let meanDy = Float(sumDy), meanDyXhat = Float(sumDyXhat)
                for r in 0..<b {
                    let k = r * c + j
                    dx[k] = scale * (Float(b) * g[k] - meanDy - xh[k] * meanDyXhat)
                }
            } else {
                let scale = gamma[j] * istd[j]
                for r in 0..<b { dx[r * c + j] = scale * g[r * c + j] }
            }
        }
        return needInputGradient ? inputGrad : nil
    }
}
