import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeSpec

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

    /// Checks everything `init` would, by arithmetic: the data's shape comes
    /// from a few rows of its generator (a file source is read, as its
    /// shape is in it), the model is counted, not built, unless starting
    /// weights must be checked against it. The server admits a job with
    /// this in milliseconds and builds it once, on its worker. Returns the
    /// job's number of steps.
    public static func validate(_ spec: JobSpec, baseDirectory: String? = nil, checkpoint: Checkpoint? = nil,
                                limits: JobLimits = .standard, datasets: (@Sendable (String) -> String?)? = nil)
        throws(SpecError) -> Int
    {
        let data = try checkedData(spec, limits: limits) { () throws(SpecError) in
            try spec.data.sample(seed: spec.seed, baseDirectory: baseDirectory, datasets: datasets)
        }
        let plan = try Plan(spec, data: data.sample, rows: data.rows, limits: limits)
        if checkpoint != nil || spec.initFrom != nil {
            let model = try makeModel(plan.plans, input: plan.input, outputWidth: plan.width, seed: spec.seed)
            try loadStart(checkpoint, spec: spec, baseDirectory: baseDirectory, into: model)
        } else {
            try LayerSpec.checkNames(plan.layers, path: "layers")
        }
        let (train, _) = Dataset.splitSizes(data.rows, validationFraction: spec.training.validationSplit)
        return try plan.steps(trainRows: train, hasBatchNorm: LayerSpec.containBatchNorm(plan.layers), limits: limits)
    }

    /// The limits on the data, checked before and after it is read; `load`
    /// gives the data (all of it, or a sample) and its number of rows.
    private static func checkedData(_ spec: JobSpec, limits: JobLimits,
                                    load: () throws(SpecError) -> (Dataset, Int)) throws(SpecError) -> (sample: Dataset, rows: Int) {
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
        let (data, rows) = try load()
        if rows > limits.maxRows {
            throw SpecError("data", "has \(rows) rows, more than the limit of \(limits.maxRows)", isLimit: true)
        }
        return (data, rows)
    }

    /// What the data and the layers make of each other, checked without
    /// building anything: the loss, the layers with the output width set,
    /// their size against the limits.
    private struct Plan {
        let loss: Loss
        let layers: [LayerSpec]
        let plans: [LayerPlan]
        let input: FlowShape
        let width: Int
        let spec: JobSpec
        let rows: Int

        init(_ spec: JobSpec, data: Dataset, rows: Int, limits: JobLimits) throws(SpecError) {
            self.spec = spec
            self.rows = rows
            loss = try chooseLoss(spec.loss, for: data)
            let outputUnits = outputUnits(loss, data)
            layers = spec.isShorthand ? MLPSpec.settingOutput(spec.layers, units: outputUnits) : spec.layers
            input = FlowShape(width: data.features, steps: data.sequenceLength)
            plans = try LayerPlan.walk(layers, input: input, path: spec.isShorthand ? "mlp" : "layers")
            let parameters = plans.reduce(0) { $0 + $1.parameters }, activations = plans.reduce(0) { $0 + $1.activations }
            let width = plans.last?.output.width ?? input.width
            self.width = width
            let batch = min(spec.training.batchSize, rows)
            if activations.multipliedReportingOverflow(by: batch).overflow || activations * batch > limits.maxActivationValues {
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
        }

        /// The checks on the training split, and the job's number of steps.
        func steps(trainRows: Int, hasBatchNorm: Bool, limits: JobLimits) throws(SpecError) -> Int {
            if rows < 2 { throw SpecError("data", "has \(rows) rows; at least 2 are needed") }
            let t = spec.training
            if hasBatchNorm && min(t.batchSize, trainRows) < 2 {
                throw SpecError("training.batch_size", "must be at least 2 with batchnorm, which normalises over the batch"
                                + (trainRows < 2 ? " (the training split has \(trainRows) row)" : ""))
            }
            let total = t.steps ?? t.epochs! * Trainer.batchesPerEpoch(trainRows: trainRows, batchSize: min(t.batchSize, trainRows),
                                                                         hasBatchNorm: hasBatchNorm)
            if total > limits.maxSteps {
                throw SpecError("training.epochs", "makes \(total) steps, more than the limit of \(limits.maxSteps)", isLimit: true)
            }
            return total
        }
    }

    private static func build(_ spec: JobSpec, baseDirectory: String?, checkpoint: Checkpoint?, limits: JobLimits,
                              datasets: (@Sendable (String) -> String?)?) throws(SpecError) -> (Trainer, Loss)
    {
        let (data, rows) = try checkedData(spec, limits: limits) { () throws(SpecError) in
            let data = try spec.data.load(seed: spec.seed, baseDirectory: baseDirectory, datasets: datasets)
            return (data, data.count)
        }
        let plan = try Plan(spec, data: data, rows: rows, limits: limits)
        let model = try makeModel(plan.plans, input: plan.input, outputWidth: plan.width, seed: spec.seed)
        try loadStart(checkpoint, spec: spec, baseDirectory: baseDirectory, into: model)

        var splitRandom = Random(seed: spec.seed, stream: .split)
        if data.count < 2 { throw SpecError("data", "has \(data.count) rows; at least 2 are needed") }
        let (train, validation) = Self.prepare(data, spec: spec, random: &splitRandom)
        let hasBatchNorm = model.flattened.contains { $0.layer.kind == .batchnorm }
        _ = try plan.steps(trainRows: train.count, hasBatchNorm: hasBatchNorm, limits: limits)
        let t = spec.training
        let config = TrainingConfig(
            batchSize: min(t.batchSize, train.count), shuffle: t.shuffle, steps: t.steps, epochs: t.epochs,
            every: spec.diagnostics.every, edges: spec.diagnostics.edges, seed: spec.seed, clip: spec.clip,
            skipNonfinite: spec.skipNonfinite)
        let trainer = Trainer(model: model, loss: plan.loss, optimizer: spec.optimizer.config, schedule: spec.schedule,
                              train: train, validation: validation, config: config)
        return (trainer, plan.loss)
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

    static func makeModel(_ plans: [LayerPlan], input: FlowShape, outputWidth: Int, seed: UInt64) throws(SpecError) -> Model {
        var builder = ModelBuilder(random: Random(seed: seed, stream: .initialization))
        return Model(layers: try builder.build(plans, path: "layers"), inputWidth: input.width, outputWidth: outputWidth)
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
