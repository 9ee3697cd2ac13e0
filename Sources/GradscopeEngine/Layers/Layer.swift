/// What every layer of a network does. Shapes: B = batch, I = input width,
/// O = output width.
///
/// `forward` takes `x: [B, I]` and returns its own output buffer `[B, O]`,
/// which stays valid until its next `forward`; layers keep a reference to
/// their input for `backward`. `backward` takes `dy = ∂L/∂y: [B, O]`, writes
/// the parameter gradients (overwriting, not accumulating: each parameter is
/// used once per step) and returns `∂L/∂x: [B, I]`, or nil when the caller
/// does not need it (the first layer), which saves a matrix product.
public protocol Layer: AnyObject {
    /// The layer's name in the model (`fc1`, `dense0`); state-dict keys are
    /// `name.parameter`.
    var name: String { get }
    var kind: LayerKind { get }
    var parameters: [Parameter] { get }
    var buffers: [Buffer] { get }
    /// Layers nested inside this one (a residual block's body).
    var children: [Layer] { get }
    func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor
    func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor?
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Buffer] { [] }
    public var children: [Layer] { [] }
}

/// The kinds of layer, with the names the job spec uses.
public enum LayerKind: String, Sendable, CaseIterable {
    case dense, batchnorm, layernorm, dropout, residual
    case rnn, lstm, gru
    case identity, relu, leakyRelu = "leaky_relu", elu, gelu, sigmoid, tanh, softplus

    public var isActivation: Bool {
        switch self {
        case .identity, .relu, .leakyRelu, .elu, .gelu, .sigmoid, .tanh, .softplus: true
        default: false
        }
    }

    public var isRecurrent: Bool { self == .rnn || self == .lstm || self == .gru }
}

/// Per-pass settings shared by all layers.
public struct ForwardContext {
    public var training: Bool
    /// Dropout's masks; its own stream so that dropout does not shift the data order.
    public var random: Random
    /// Set on recorded steps: measures each layer's output and δ.
    public var recorder: SignalRecorder?

    public init(training: Bool, random: Random, recorder: SignalRecorder? = nil) {
        self.training = training
        self.random = random
        self.recorder = recorder
    }
}

/// Runs a sequence of layers; shared by the model and residual bodies so both
/// record the same signals.
enum Sequential {
    static func forward(_ layers: [Layer], _ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        var h = x
        for layer in layers {
            h = layer.forward(h, &context)
            context.recorder?.recordOutput(of: layer, h)
        }
        return h
    }

    /// Returns ∂L/∂x of the first layer, or nil when not needed.
    static func backward(
        _ layers: [Layer], _ dy: Tensor, needInputGradient: Bool, recorder: SignalRecorder?
    ) -> Tensor? {
        var g = dy
        for (index, layer) in layers.enumerated().reversed() {
            recorder?.recordDelta(of: layer, g)
            guard let next = layer.backward(g, needInputGradient: needInputGradient || index > 0) else {
                return nil
            }
            g = next
        }
        return g
    }
}
