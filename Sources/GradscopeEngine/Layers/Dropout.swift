/// Inverted dropout, as `torch.nn.Dropout(p)`: in training
/// y = x ⊙ m / (1 − p) with m_i ~ Bernoulli(1 − p) drawn anew on every call;
/// in evaluation the identity. dx = dy ⊙ m / (1 − p).
public final class Dropout: Layer {
    public let name: String
    public let kind = LayerKind.dropout
    public let p: Float
    private let mask = Tensor(rows: 0, cols: 0)
    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    private var active = false

    public init(name: String, p: Float) {
        precondition(p >= 0 && p <= 1)
        self.name = name
        self.p = p
    }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        active = context.training && p > 0
        guard active else { return x }
        mask.resize(rows: x.rows, cols: x.cols)
        output.resize(rows: x.rows, cols: x.cols)
        // p = 1 drops everything (PyTorch returns zeros rather than 0·∞).
        let keep: Float = p < 1 ? 1 / (1 - p) : 0
        let m = mask.data, y = output.data, src = x.data
        for i in 0..<x.count {
            m[i] = context.random.uniformFloat() >= p ? keep : 0
            y[i] = src[i] * m[i]
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        guard needInputGradient else { return nil }
        guard active else { return dy }
        inputGrad.resize(rows: dy.rows, cols: dy.cols)
        let g = dy.data, m = mask.data, dx = inputGrad.data
        for i in 0..<dy.count { dx[i] = g[i] * m[i] }
        return inputGrad
    }
}
