import GradscopeEngine

/// What the diagnosis needs to know about the model to rank remedies: it
/// never suggests what the run already does.
public struct ModelFacts: Sendable, Equatable {
    public var activations: Set<LayerKind>
    public var hasBatchNorm: Bool
    public var hasResidual: Bool
    public var denseLayers: Int
    public var clipping: Bool
    /// The weight initialiser when every dense layer uses the same one.
    public var initializer: String?
    /// The layers with parameters, in model order (the order of a pulse's
    /// `layerGradNorms`).
    public var layerNames: [String]
    /// The recurrent layer kinds in the model (rnn, lstm, gru).
    public var recurrentKinds: Set<LayerKind> = []
    /// The recurrent initialiser when every recurrent layer uses the same
    /// one ("orthogonal" only at scale 1).
    public var recurrentInit: String?
    /// The loss of the best constant prediction on the training data (ln C
    /// for C balanced classes), the yardstick for learning progress; nil
    /// when unknown (the first steps then stand in).
    public var baselineLoss: Double?

    public init(activations: Set<LayerKind>, hasBatchNorm: Bool, hasResidual: Bool, denseLayers: Int,
                clipping: Bool, initializer: String?, layerNames: [String] = []) {
        self.activations = activations
        self.hasBatchNorm = hasBatchNorm
        self.hasResidual = hasResidual
        self.denseLayers = denseLayers
        self.clipping = clipping
        self.initializer = initializer
        self.layerNames = layerNames
    }

    public init(model: Model, clipping: Bool, initializer: String?, recurrentInit: String? = nil) {
        let kinds = model.flattened.map(\.layer.kind)
        self.init(activations: Set(kinds.filter(\.isActivation)).subtracting([.identity]),
                  hasBatchNorm: kinds.contains(.batchnorm) || kinds.contains(.layernorm),
                  hasResidual: kinds.contains(.residual), denseLayers: kinds.filter { $0 == .dense }.count,
                  clipping: clipping, initializer: initializer, layerNames: model.parameterLayers.map(\.name))
        recurrentKinds = Set(kinds.filter(\.isRecurrent))
        self.recurrentInit = recurrentInit
    }

    /// The initialiser that keeps the per-layer gain near 1 for the
    /// activations in use (He for the ReLU family, Xavier otherwise).
    public var matchedInit: String {
        activations.isSubset(of: [.relu, .leakyRelu, .elu, .gelu]) ? "kaiming_normal" : "xavier_normal"
    }
}
