/// The global numbers of one optimizer update, produced on every step
/// (recorded or not), so online detectors never miss a spike between
/// recorded steps.
public struct StepPulse: Sendable, Equatable {
    /// Optimizer updates counted from 1.
    public var step: Int
    /// The epoch this step belongs to, from 1.
    public var epoch: Int
    public var loss: Double
    public var learningRate: Double
    /// ‖g‖₂ over every parameter (finite entries), before clipping.
    public var gradNorm: Double
    /// ‖g‖₂ of each layer with parameters, in model order.
    public var layerGradNorms: [Double]
    /// ‖g‖₂ after clipping, and its ratio to `gradNorm` (1 when untouched).
    public var gradNormClipped: Double
    public var clipCoefficient: Double
    /// NaN or ±Inf gradient entries over the whole model.
    public var nonfiniteGradients: Int
    /// True when `skip_nonfinite` skipped this update.
    public var skipped: Bool
    /// Share of the batch classified correctly, for classification.
    public var accuracy: Double?
    /// The rows of the training set in this step's batch, in batch order, so
    /// the data behind a spike can be found.
    public var sampleIndices: [Int]

    public init(step: Int, epoch: Int, loss: Double, learningRate: Double, gradNorm: Double, layerGradNorms: [Double],
                gradNormClipped: Double, clipCoefficient: Double, nonfiniteGradients: Int, skipped: Bool,
                accuracy: Double?, sampleIndices: [Int]) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.gradNorm = gradNorm
        self.layerGradNorms = layerGradNorms
        self.gradNormClipped = gradNormClipped
        self.clipCoefficient = clipCoefficient
        self.nonfiniteGradients = nonfiniteGradients
        self.skipped = skipped
        self.accuracy = accuracy
        self.sampleIndices = sampleIndices
    }
}

/// Everything measured on one recorded step. `loss` and every gradient
/// statistic are those of this step's update, before it is applied (and
/// before clipping); weight and update norms describe the update itself.
@dynamicMemberLookup
public struct StepRecord: Sendable {
    public var pulse: StepPulse
    public var batchSize: Int
    public var layers: [LayerStats]
    public var signals: [LayerSignal]
    /// Recurrent layers only: the gradient's flow through time.
    public var recurrent: [RecurrentSignal] = []

    public init(pulse: StepPulse, batchSize: Int, layers: [LayerStats], signals: [LayerSignal], recurrent: [RecurrentSignal] = []) {
        self.pulse = pulse
        self.batchSize = batchSize
        self.layers = layers
        self.signals = signals
        self.recurrent = recurrent
    }

    public subscript<T>(dynamicMember key: KeyPath<StepPulse, T>) -> T { pulse[keyPath: key] }
}

/// How the gradient flows through time in one layer of a recurrent stack
/// on a recorded step.
public struct RecurrentSignal: Sendable, Equatable {
    /// The layer's dotted name and the index k of `_lk` in its stack.
    public var layer: String
    public var sublayer: Int
    /// ‖∂L/∂h_t‖₂ over the batch for t = 1…T: the total gradient reaching
    /// the hidden state at each step. Falling towards t = 1 is vanishing
    /// through time, rising is exploding (Pascanu et al. 2013).
    public var hiddenGradNorms: [Double]
    /// σ₁ of `weight_hh_lk` before this step's update.
    public var spectralNorm: Double
    /// The layer's `tbptt` chunk length: no gradient flows back across the
    /// chunk boundaries (nil: full BPTT).
    public var truncation: Int? = nil

    public init(layer: String, sublayer: Int, hiddenGradNorms: [Double], spectralNorm: Double, truncation: Int? = nil) {
        self.layer = layer
        self.sublayer = sublayer
        self.hiddenGradNorms = hiddenGradNorms
        self.spectralNorm = spectralNorm
        self.truncation = truncation
    }

    /// The steps (0-based) over which the gradient flowed back from the last
    /// step: the whole sequence, or the last truncation chunk.
    public var lastChunk: Range<Int> {
        let t = hiddenGradNorms.count
        guard let k = truncation, k < t else { return 0..<t }
        return ((t - 1) / k * k)..<t
    }
}

/// Mean training loss and accuracy over an epoch's updates, and the
/// validation loss and accuracy after it when a split exists.
public struct EpochRecord: Sendable {
    public var epoch: Int
    public var step: Int
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?

    public init(epoch: Int, step: Int, trainLoss: Double, trainAccuracy: Double?, validationLoss: Double? = nil,
                validationAccuracy: Double? = nil) {
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
    }
}

/// Where the first NaN or ±Inf of a run appeared, found as
/// `torch.autograd.detect_anomaly` would (forward pass included), but only
/// on the step where a non-finite loss or gradient shows up: healthy steps
/// pay nothing.
public struct NonfiniteOrigin: Sendable, Equatable {
    public enum Pass: String, Sendable { case forward, loss, backward }
    public var step: Int
    public var pass: Pass
    /// The layer (dotted name), nil when the loss itself is non-finite.
    public var layer: String?
    /// What was non-finite: "output", "loss", "loss gradient",
    /// "parameter gradient" or "input gradient".
    public var quantity: String

    public init(step: Int, pass: Pass, layer: String?, quantity: String) {
        self.step = step
        self.pass = pass
        self.layer = layer
        self.quantity = quantity
    }
}

public enum TrainingEvent: Sendable {
    /// Every step.
    case pulse(StepPulse)
    /// Recorded steps (after their pulse).
    case step(StepRecord)
    case epoch(EpochRecord)
    /// Once, on the step where the first non-finite value appears.
    case nonfinite(NonfiniteOrigin)
}
