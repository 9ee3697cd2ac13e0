import Foundation
import GradscopeDiagnosis
import GradscopeEngine

/// What one job may take, checked before anything large is allocated. The
/// CLI uses the defaults; `gradscope serve` sets its own.
public struct JobLimits: Sendable, Equatable {
    public var maxParameters = 50_000_000
    public var maxSteps = JobSpec.maxSteps
    public var maxBatchSize = JobSpec.maxBatchSize
    public var maxRows = 1_000_000
    /// Input values (rows × values per row) a generated data set may have:
    /// 200 MB of float32.
    public var maxInputValues = 50_000_000
    /// Values a batch keeps for the backward pass (batch × activations per
    /// row): 1.6 GB of float32.
    public var maxActivationValues = 400_000_000
    public init() {}
    public static let standard = JobLimits()
}

/// A spec made runnable: data loaded and split, model built and initialised
/// (or loaded from a checkpoint), trainer ready.
public struct Job {
    public let spec: JobSpec
    public let trainer: Trainer
    public let loss: Loss
    public var model: Model { trainer.model }
    /// What the diagnosis needs to know about this job: the model, to rank
    /// remedies, and the constant predictor's loss on the training split,
    /// to judge learning.
    public let facts: ModelFacts

    /// - Parameters:
    ///   - baseDirectory: where relative paths in the spec (`data.path`,
    ///     `init_from`) are resolved; the spec file's folder for the CLI.
    ///   - checkpoint: starting weights that override the spec's `init_from`.
    ///   - limits: what the job may take.
    ///   - datasets: finds an uploaded dataset's CSV file by id (the server's).
    public init(spec: JobSpec, baseDirectory: String? = nil, checkpoint: Checkpoint? = nil,
                limits: JobLimits = .standard, datasets: (@Sendable (String) -> String?)? = nil) throws(SpecError) {
        self.spec = spec
        (trainer, loss) = try Self.build(spec, baseDirectory: baseDirectory, checkpoint: checkpoint, limits: limits,
                                         datasets: datasets)
        var facts = ModelFacts(model: trainer.model, clipping: spec.clip != .none, initializer: spec.weightInitializer,
                               recurrentInit: spec.recurrentInitializer)
        facts.baselineLoss = loss.constantPredictorLoss(trainer.train.targets)
        self.facts = facts
    }

    private static func build(_ spec: JobSpec, baseDirectory: String?, checkpoint: Checkpoint?, limits: JobLimits,
                              datasets: (@Sendable (String) -> String?)?) throws(SpecError) -> (Trainer, Loss)
    {
        if spec.training.batchSize > limits.maxBatchSize {
            throw SpecError("training.batch_size", "is \(spec.training.batchSize), more than the limit of \(limits.maxBatchSize)",
                            isLimit: true)
        }
        if let steps = spec.training.steps, steps > limits.maxSteps {
            throw SpecError("training.steps", "is \(steps), more than the limit of \(limits.maxSteps)", isLimit: true)
        }
        if let samples = spec.data.samples, samples > limits.maxRows {
            throw SpecError("data.samples", "is \(samples), more than the limit of \(limits.maxRows)", isLimit: true)
        }
        if let values = spec.data.generatedValues, values > limits.maxInputValues {
            throw SpecError("data", "would generate \(values) input values (samples × values per row), more than the limit of "
                            + "\(limits.maxInputValues); use fewer samples or shorter sequences", isLimit: true)
        }
        let data = try spec.data.load(seed: spec.seed, baseDirectory: baseDirectory, datasets: datasets)
        if data.count > limits.maxRows {
            throw SpecError("data", "has \(data.count) rows, more than the limit of \(limits.maxRows)", isLimit: true)
        }
        let loss = try Self.chooseLoss(spec.loss, for: data)
        let outputUnits = Self.outputUnits(loss, data)

        let layers = spec.isShorthand ? MLPSpec.settingOutput(spec.layers, units: outputUnits) : spec.layers
        let input = FlowShape(width: data.features, steps: data.sequenceLength)
        let (parameters, width, activations) = try countParameters(layers, input: input, path: spec.isShorthand ? "mlp" : "layers")
        let rows = min(spec.training.batchSize, data.count)
        if activations.multipliedReportingOverflow(by: rows).overflow || activations * rows > limits.maxActivationValues {
            throw SpecError("training.batch_size", "of \(spec.training.batchSize) would keep about \(activations) values per row for "
                            + "the backward pass, more than the limit of \(limits.maxActivationValues) per batch; use a smaller "
                            + "batch, narrower layers or shorter sequences", isLimit: true)
        }
        if parameters > limits.maxParameters {
            throw SpecError(spec.isShorthand ? "mlp" : "layers",
                            "has \(parameters) parameters, more than the limit of \(limits.maxParameters)", isLimit: true)
        }
        if width != outputUnits {
            let classes = data.classes.map { " (\($0) classes)" } ?? ""
            throw SpecError("layers", "the last layer outputs \(width) values but \(loss.rawValue) on this data needs "
                + "\(outputUnits)\(classes); set the last dense layer's units to \(outputUnits)")
        }
        let model = try makeModel(layers, input: input, outputWidth: width, seed: spec.seed)

        try loadStart(checkpoint, spec: spec, baseDirectory: baseDirectory, into: model)

        var splitRandom = Random(seed: spec.seed, stream: .split)
        if data.count < 2 { throw SpecError("data", "has \(data.count) rows; at least 2 are needed") }
        let (train, validation) = Self.prepare(data, spec: spec, random: &splitRandom)
        let t = spec.training
        let hasBatchNorm = model.flattened.contains { $0.layer.kind == .batchnorm }
        if hasBatchNorm && min(t.batchSize, train.count) < 2 {
            throw SpecError("training.batch_size", "must be at least 2 with batchnorm, which normalises over the batch"
                            + (train.count < 2 ? " (the training split has \(train.count) row)" : ""))
        }
        let config = TrainingConfig(
            batchSize: min(t.batchSize, train.count), shuffle: t.shuffle, steps: t.steps, epochs: t.epochs,
            every: spec.diagnostics.every, edges: spec.diagnostics.edges, seed: spec.seed, clip: spec.clip,
            skipNonfinite: spec.skipNonfinite)
        let trainer = Trainer(model: model, loss: loss, optimizer: spec.optimizer.config, schedule: spec.schedule,
                              train: train, validation: validation, config: config)
        if trainer.totalSteps > limits.maxSteps {
            throw SpecError("training.epochs", "makes \(trainer.totalSteps) steps, more than the limit of \(limits.maxSteps)",
                            isLimit: true)
        }
        return (trainer, loss)
    }

    /// Splits off the validation rows and standardises both splits with the
    /// training split's statistics when the spec asks for it.
    static func prepare(_ data: Dataset, spec: JobSpec, random: inout Random) -> (Dataset, Dataset?) {
        var (train, validation) = data.split(validationFraction: spec.training.validationSplit, random: &random)
        if spec.data.standardize {
            let stats = train.standardize()
            validation?.standardize(using: stats)
        }
        return (train, validation)
    }

    static func chooseLoss(_ given: Loss?, for data: Dataset) throws(SpecError) -> Loss {
        switch (given, data.targets) {
        case (nil, .labels): return .crossEntropy
        case (nil, .values): return .mse
        case (.crossEntropy, .values):
            throw SpecError("loss", "\"cross_entropy\" needs class labels, but the data's target is real-valued; use \"mse\"")
        case (.mse, .labels):
            throw SpecError("loss", "\"mse\" needs a real-valued target, but the data has class labels; use \"cross_entropy\"")
        case (.bceWithLogits, .labels(_, let classes)) where classes != 2:
            throw SpecError("loss", "\"bce_with_logits\" needs 2 classes, the data has \(classes); use \"cross_entropy\"")
        case (let l?, _): return l
        }
    }

    /// One logit per class (one in all for binary BCE), or one output per target value.
    static func outputUnits(_ loss: Loss, _ data: Dataset) -> Int {
        if loss == .bceWithLogits, data.classes != nil { return 1 }
        return data.targetWidth
    }

    static func makeModel(_ layers: [LayerSpec], input: FlowShape, outputWidth: Int, seed: UInt64) throws(SpecError) -> Model {
        var builder = ModelBuilder(random: Random(seed: seed, stream: .initialization))
        let built = try builder.build(layers, input: input, path: "layers").0
        return Model(layers: built, inputWidth: input.width, outputWidth: outputWidth)
    }

    /// Loads the starting weights: the given checkpoint, else the spec's
    /// `init_from` file, else nothing (the initialisers stand).
    static func loadStart(_ checkpoint: Checkpoint?, spec: JobSpec, baseDirectory: String?, into model: Model) throws(SpecError) {
        var start = checkpoint
        if start == nil, let path = spec.initFrom {
            let file = path.hasPrefix("/") || baseDirectory == nil ? path : baseDirectory! + "/" + path
            do { start = try Checkpoint.read(path: file) } catch { throw SpecError("init_from", "\(error)") }
        }
        guard let start else { return }
        do { try model.load(start.tensors) } catch { throw SpecError("init_from", "does not fit the model: \(error)") }
    }
}
