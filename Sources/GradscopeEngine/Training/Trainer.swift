/// How a run iterates over its data and what it records.
public struct TrainingConfig: Sendable {
    public var batchSize: Int
    public var shuffle: Bool
    /// Total optimizer updates; `epochs` runs set it to epochs × batches per epoch.
    public var steps: Int?
    public var epochs: Int?
    /// Statistics are recorded on step 1, every `every`-th step and the last step.
    public var every: Int
    public var edges: HistogramEdges
    public var seed: UInt64

    public init(batchSize: Int, shuffle: Bool = true, steps: Int? = nil, epochs: Int? = nil, every: Int = 1,
                edges: HistogramEdges = HistogramEdges(), seed: UInt64 = 0) {
        precondition((steps == nil) != (epochs == nil), "give steps or epochs")
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.steps = steps
        self.epochs = epochs
        self.every = every
        self.edges = edges
        self.seed = seed
    }
}

/// Everything measured on one recorded step. `loss` and every gradient
/// statistic are those of this step's update, before it is applied; weight
/// and update norms describe the update itself.
public struct StepRecord: Sendable {
    /// Optimizer updates counted from 1.
    public var step: Int
    /// The epoch this step belongs to, from 1.
    public var epoch: Int
    public var loss: Double
    public var learningRate: Double
    /// ‖g‖₂ over every parameter (finite entries).
    public var gradNorm: Double
    /// NaN or ±Inf gradient entries over the whole model.
    public var nonfiniteGradients: Int
    /// Share of the batch classified correctly, for classification.
    public var accuracy: Double?
    public var batchSize: Int
    public var layers: [LayerStats]
    public var signals: [LayerSignal]
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
}

public enum TrainingEvent: Sendable {
    case step(StepRecord)
    case epoch(EpochRecord)
}

/// Drives training one optimizer update at a time, so that a caller can
/// stream records, show progress and stop between any two steps.
/// One step: forward, loss, backward, statistics (on recorded steps),
/// optimizer update. Nothing is allocated per step once the buffers have
/// reached the batch size.
public final class Trainer {
    public let model: Model
    public let loss: Loss
    public let optimizer: Optimizer
    public let schedule: Schedule
    public let train: Dataset
    public let validation: Dataset?
    public let config: TrainingConfig
    public let batchesPerEpoch: Int
    public let totalSteps: Int

    public private(set) var stepsDone = 0
    public private(set) var lastLoss = Double.nan
    public private(set) var maxGradNorm = 0.0
    public private(set) var nonfiniteSteps = 0
    public private(set) var lastEpoch: EpochRecord?

    private var order: [Int]
    private var shuffleRandom: Random
    private var dropoutRandom: Random
    private let recorder = SignalRecorder()
    private let batchInputs = Tensor(rows: 0, cols: 0)
    private var batchLabels: [Int32] = []
    private var batchValues: [Float] = []
    private let lossGrad = Tensor(rows: 0, cols: 0)
    private var epochLoss = 0.0, epochCorrect = 0, epochRows = 0, epochBatches = 0

    public init(model: Model, loss: Loss, optimizer: OptimizerConfig, schedule: Schedule,
                train: Dataset, validation: Dataset?, config: TrainingConfig) {
        self.model = model
        self.loss = loss
        self.optimizer = Optimizer(optimizer, parameters: model.namedParameters.map(\.parameter))
        self.schedule = schedule
        self.train = train
        self.validation = validation
        self.config = config
        // BatchNorm cannot train on a single row: a trailing batch of one is dropped.
        let hasBatchNorm = model.flattened.contains { $0.layer.kind == .batchnorm }
        let remainder = train.count % config.batchSize
        batchesPerEpoch = train.count / config.batchSize + (remainder >= (hasBatchNorm ? 2 : 1) ? 1 : 0)
        totalSteps = config.steps ?? (config.epochs! * batchesPerEpoch)
        order = Array(0..<train.count)
        shuffleRandom = Random(seed: config.seed, stream: .shuffle)
        dropoutRandom = Random(seed: config.seed, stream: .dropout)
    }

    public var isFinished: Bool { stepsDone >= totalSteps }

    /// Runs one optimizer update and returns what it produced: a step record
    /// on recorded steps, an epoch record when the update ends an epoch.
    public func advance() -> [TrainingEvent] {
        guard !isFinished else { return [] }
        let indexInEpoch = stepsDone % batchesPerEpoch
        if indexInEpoch == 0 && config.shuffle { shuffleRandom.shuffle(&order) }
        let start = indexInEpoch * config.batchSize
        let rows = min(config.batchSize, train.count - start)
        gather(order[start..<(start + rows)])

        let step = stepsDone + 1
        let record = step == 1 || step % config.every == 0 || step == totalSteps
        recorder.reset()
        var context = ForwardContext(training: true, random: dropoutRandom, recorder: record ? recorder : nil)
        let output = model.forward(batchInputs, &context)
        dropoutRandom = context.random
        let result = withBatchTargets(rows: rows) { loss.evaluate(output, $0, grad: lossGrad) }
        model.backward(lossGrad, recorder: record ? recorder : nil)

        var layers: [LayerStats] = []
        var squares = 0.0, nonfinite = 0
        if record {
            for entry in model.parameterLayers {
                let (stats, sq) = GradientStatistics.layer(name: entry.name, layer: entry.layer, edges: config.edges)
                layers.append(stats)
                squares += sq
                nonfinite += stats.nanCount + stats.infCount
            }
        } else {
            (squares, nonfinite) = GradientStatistics.globalSquares(optimizer.parameters)
        }
        let lr = schedule.learningRate(afterUpdates: stepsDone)
        let measures = optimizer.step(lr: lr, measure: record)
        if record { Self.attach(measures, to: &layers) }

        stepsDone = step
        let gradNorm = squares.squareRoot()
        lastLoss = result.loss
        maxGradNorm = max(maxGradNorm, gradNorm)
        if nonfinite > 0 || !result.loss.isFinite { nonfiniteSteps += 1 }
        epochLoss += result.loss * Double(rows)
        epochCorrect += result.correct ?? 0
        epochRows += rows
        epochBatches += 1

        var events: [TrainingEvent] = []
        if record {
            events.append(.step(StepRecord(
                step: step, epoch: epoch(ofStep: step), loss: result.loss, learningRate: lr, gradNorm: gradNorm,
                nonfiniteGradients: nonfinite, accuracy: result.correct.map { Double($0) / Double(rows) },
                batchSize: rows, layers: layers, signals: recorder.signals(for: model.flattened))))
        }
        if indexInEpoch == batchesPerEpoch - 1 || step == totalSteps {
            events.append(.epoch(finishEpoch(step: step)))
        }
        return events
    }

    public func epoch(ofStep step: Int) -> Int { (step - 1) / batchesPerEpoch + 1 }

    /// Loss and accuracy over a whole dataset in evaluation mode (BatchNorm
    /// uses its running statistics, dropout is off).
    public func evaluate(_ data: Dataset) -> (loss: Double, accuracy: Double?) {
        var total = 0.0, correct = 0, isClassification = false
        let chunk = max(config.batchSize, 256)
        var start = 0
        while start < data.count {
            let rows = min(chunk, data.count - start)
            gather(start..<(start + rows), from: data)
            var context = ForwardContext(training: false, random: Random(seed: 0))
            let output = model.forward(batchInputs, &context)
            let r = withBatchTargets(rows: rows) { loss.evaluate(output, $0, grad: nil) }
            total += r.loss * Double(rows)
            if let c = r.correct { correct += c; isClassification = true }
            start += rows
        }
        let n = Double(max(data.count, 1))
        return (total / n, isClassification ? Double(correct) / n : nil)
    }

    private func finishEpoch(step: Int) -> EpochRecord {
        var record = EpochRecord(
            epoch: epoch(ofStep: step), step: step, trainLoss: epochLoss / Double(max(epochRows, 1)),
            trainAccuracy: train.classes == nil ? nil : Double(epochCorrect) / Double(max(epochRows, 1)))
        if let validation {
            (record.validationLoss, record.validationAccuracy) = evaluate(validation)
        }
        epochLoss = 0; epochCorrect = 0; epochRows = 0; epochBatches = 0
        lastEpoch = record
        return record
    }

    private static func attach(_ measures: [UpdateMeasure], to layers: inout [LayerStats]) {
        var next = 0
        for l in layers.indices {
            var w = 0.0, u = 0.0
            for p in layers[l].params.indices {
                let m = measures[next]
                next += 1
                layers[l].params[p].weightNorm = m.weightSquares.squareRoot()
                layers[l].params[p].updateNorm = m.updateSquares.squareRoot()
                w += m.weightSquares
                u += m.updateSquares
            }
            layers[l].summary.weightNorm = w.squareRoot()
            layers[l].summary.updateNorm = u.squareRoot()
        }
    }

    // MARK: Batches

    private func gather<C: Collection>(_ indices: C, from data: Dataset? = nil) where C.Element == Int {
        let data = data ?? train
        let f = data.features
        batchInputs.resize(rows: indices.count, cols: f)
        batchLabels.removeAll(keepingCapacity: true)
        batchValues.removeAll(keepingCapacity: true)
        data.inputs.withUnsafeBufferPointer { src in
            for (r, i) in indices.enumerated() {
                (batchInputs.data + r * f).update(from: src.baseAddress! + i * f, count: f)
            }
        }
        switch data.targets {
        case .labels(let l, _): for i in indices { batchLabels.append(l[i]) }
        case .values(let v, let w): for i in indices { batchValues.append(contentsOf: v[(i * w)..<((i + 1) * w)]) }
        }
    }

    private func withBatchTargets<R>(rows: Int, _ body: (BatchTargets) -> R) -> R {
        if !batchLabels.isEmpty { return batchLabels.withUnsafeBufferPointer { body(.labels($0)) } }
        return batchValues.withUnsafeBufferPointer { body(.values($0)) }
    }
}
