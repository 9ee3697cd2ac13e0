/// Something a detector saw, raised into the step stream as it happens.
public struct Alert: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case diverged, exploding, vanishing
        case gradientSpike = "gradient_spike"
        case deadUnits = "dead_units"
        case saturation
        case updateRatioHigh = "update_ratio_high"
        case updateRatioLow = "update_ratio_low"
    }
    public enum Severity: String, Sendable { case warning, critical }

    public var step: Int
    public var kind: Kind
    public var severity: Severity
    public var layer: String?
    /// The number that triggered the rule and the threshold it crossed.
    public var value: Double?
    public var threshold: Double?
    public var message: String
    /// Training rows in the step's batch, when the step was recorded.
    public var sampleIndices: [Int]?

    public init(step: Int, kind: Kind, severity: Severity, layer: String?, value: Double?, threshold: Double?, message: String,
                sampleIndices: [Int]? = nil) {
        self.step = step
        self.kind = kind
        self.severity = severity
        self.layer = layer
        self.value = value
        self.threshold = threshold
        self.message = message
        self.sampleIndices = sampleIndices
    }
}

/// One of the four answers.
public enum Verdict: String, Sendable, CaseIterable {
    case healthy, vanishing, exploding, diverged
}

/// A change to try, with why. The spec layer turns it into a spec patch;
/// `pytorch` says the same change for a model trained in PyTorch.
public struct Remedy: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Norm clipping at 1.0.
        case clipNorm = "clip_norm"
        /// The learning rate ÷ 10.
        case lowerLearningRate = "lower_lr"
        /// The initialiser that keeps the per-layer gain at 1 for the activation in use.
        case matchedInit = "matched_init"
        /// ReLU with He (kaiming_normal) init.
        case relu
        case batchnorm
        case residual
        /// A plain RNN replaced by an LSTM whose forget gate starts open (bias max(1, ln T)).
        case lstm
        /// Orthogonal `weight_hh` at scale 1: σ₁ = 1, neither growth nor decay to start with.
        case orthogonalRecurrent = "orthogonal_recurrent"
    }
    public var kind: Kind
    public var reason: String
    public var pytorch: String = ""

    public init(kind: Kind, reason: String, pytorch: String = "") {
        self.kind = kind
        self.reason = reason
        self.pytorch = pytorch
    }
}

/// The final answer for a run.
public struct Report: Sendable, Equatable {
    public struct Evidence: Sendable, Equatable {
        public var rule: String
        public var step: Int
        public var layer: String?
        public var value: Double?
        public var threshold: Double?
        public var message: String

        public init(rule: String, step: Int, layer: String?, value: Double?, threshold: Double?, message: String) {
            self.rule = rule
            self.step = step
            self.layer = layer
            self.value = value
            self.threshold = threshold
            self.message = message
        }
    }
    public var verdict: Verdict
    public var firstStep: Int?
    public var firstLayer: String?
    /// For a diverged run: the pass where the first NaN/Inf appeared.
    public var pass: String?
    public var evidence: [Evidence]
    public var remedies: [Remedy]
    /// How many alerts of each kind fired.
    public var alertCounts: [String: Int]
}
