/// A residual block y = s(x) + f(x), where f is the body (a sequence of
/// layers) and s is the identity, or a dense projection `proj` when the body
/// changes the width (as ResNet's projection shortcut, here with a bias).
///
/// Backward: dx = ∂f/∂x·dy + ∂s/∂x·dy.
public final class Residual: Layer {
    public let name: String
    public let kind = LayerKind.residual
    public let body: [Layer]
    public let projection: Dense?
    private let output = Tensor(rows: 0, cols: 0)
    private let inputGrad = Tensor(rows: 0, cols: 0)
    /// The recorder of the forward pass, so the body's δ is recorded too.
    private var recorder: SignalRecorder?

    public init(name: String, body: [Layer], projection: Dense?) {
        self.name = name
        self.body = body
        self.projection = projection
    }

    public var children: [Layer] { projection.map { body + [$0] } ?? body }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        recorder = context.recorder
        let h = Sequential.forward(body, x, &context)
        let shortcut = projection?.forward(x, &context) ?? x
        output.resize(rows: h.rows, cols: h.cols)
        let y = output.data, a = h.data, s = shortcut.data
        for i in 0..<output.count { y[i] = a[i] + s[i] }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        let g = Sequential.backward(body, dy, needInputGradient: needInputGradient, recorder: recorder)
        let shortcutGrad = projection?.backward(dy, needInputGradient: needInputGradient) ?? dy
        guard needInputGradient, let bodyGrad = g else { return nil }
        inputGrad.resize(rows: bodyGrad.rows, cols: bodyGrad.cols)
        let dx = inputGrad.data, a = bodyGrad.data, s = shortcutGrad.data
        for i in 0..<inputGrad.count { dx[i] = a[i] + s[i] }
        return inputGrad
    }
}
