/// Fully connected layer, as `torch.nn.Linear`: y = x·Wᵀ + b with
/// W: [O, I], b: [O].
///
/// Backward: dW = dyᵀ·x  [O, I], db = Σ_batch dy  [O], dx = dy·W  [B, I].
public final class Dense: Layer {
    public let name: String
    public let kind = LayerKind.dense
    public let inputWidth: Int, outputWidth: Int
    public let weight: Parameter
    public let bias: Parameter?
    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    private var input: Tensor?

    public init(name: String, inputWidth: Int, outputWidth: Int, bias: Bool = true) {
        self.name = name
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        weight = Parameter(name: "weight", shape: [outputWidth, inputWidth])
        self.bias = bias ? Parameter(name: "bias", shape: [outputWidth]) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let b = x.rows
        precondition(x.cols == inputWidth, "\(name): expected \(inputWidth) inputs, got \(x.cols)")
        input = x
        output.resize(rows: b, cols: outputWidth)
        let y = output.data, o = outputWidth
        if let bias {
            // Start from the broadcast bias and accumulate the product (beta = 1).
            for r in 0..<b { (y + r * o).update(from: bias.value.data, count: o) }
        }
        gemm(transA: false, transB: true, m: b, n: o, k: inputWidth,
             x.data, lda: inputWidth, weight.value.data, ldb: inputWidth,
             beta: bias == nil ? 0 : 1, y, ldc: o)
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        guard let x = input else { preconditionFailure("\(name): backward before forward") }
        let b = dy.rows, o = outputWidth, i = inputWidth
        gemm(transA: true, transB: false, m: o, n: i, k: b,
             dy.data, lda: o, x.data, ldb: i, weight.grad.data, ldc: i)
        if let bias { columnSums(dy.data, rows: b, cols: o, into: bias.grad.data) }
        guard needInputGradient else { return nil }
        inputGrad.resize(rows: b, cols: i)
        gemm(transA: false, transB: false, m: b, n: i, k: o,
             dy.data, lda: o, weight.value.data, ldb: i, inputGrad.data, ldc: i)
        return inputGrad
    }
}
