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
    /// The cure applied between backward and the optimizer step.
    public var clip: ClipConfig
    /// Skip the update (and count it) when any gradient is NaN or ±Inf.
    public var skipNonfinite: Bool

    public init(batchSize: Int, shuffle: Bool = true, steps: Int? = nil, epochs: Int? = nil, every: Int = 1,
                edges: HistogramEdges = HistogramEdges(), seed: UInt64 = 0, clip: ClipConfig = .none,
                skipNonfinite: Bool = false) {
        precondition((steps == nil) != (epochs == nil), "give steps or epochs")
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.steps = steps
        self.epochs = epochs
        self.every = every
        self.edges = edges
        self.seed = seed
        self.clip = clip
        self.skipNonfinite = skipNonfinite
    }
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
    /// Updates skipped by `skipNonfinite`.
    public private(set) var skippedSteps = 0
    public private(set) var firstNonfinite: NonfiniteOrigin?
    public private(set) var lastEpoch: EpochRecord?
    public let clipper: GradientClipper

    private var order: [Int]
    private var shuffleRandom: Random
    private var dropoutRandom: Random
    private let recorder = SignalRecorder()
    private let batchInputs = Tensor(rows: 0, cols: 0)
    private var batchLabels: [Int32] = []
    private var batchValues: [Float] = []
    private let lossGrad = Tensor(rows: 0, cols: 0)
    private var epochLoss = 0.0, epochCorrect = 0, epochRows = 0

    public init(model: Model, loss: Loss, optimizer: OptimizerConfig, schedule: Schedule,
                train: Dataset, validation: Dataset?, config: TrainingConfig) {
        self.model = model
        self.loss = loss
        self.optimizer = Optimizer(optimizer, parameters: model.namedParameters.map(\.parameter))
        clipper = GradientClipper(config.clip, model: model)
        self.schedule = schedule
        self.train = train
        self.validation = validation
        self.config = config
        batchesPerEpoch = Self.batchesPerEpoch(trainRows: train.count, batchSize: config.batchSize,
                                               hasBatchNorm: model.flattened.contains { $0.layer.kind == .batchnorm })
        totalSteps = config.steps ?? (config.epochs! * batchesPerEpoch)
        order = Array(0..<train.count)
        shuffleRandom = Random(seed: config.seed, stream: .shuffle)
        dropoutRandom = Random(seed: config.seed, stream: .dropout)
    }

    public var isFinished: Bool { stepsDone >= totalSteps }

    /// Batches in an epoch of `trainRows` rows. BatchNorm cannot train on a
    /// single row: a trailing batch of one is dropped.
    public static func batchesPerEpoch(trainRows: Int, batchSize: Int, hasBatchNorm: Bool) -> Int {
        trainRows / batchSize + (trainRows % batchSize >= (hasBatchNorm ? 2 : 1) ? 1 : 0)
    }

    /// Runs one optimizer update and returns what it produced, in this
    /// order: the origin of the first non-finite value when this step has
    /// it, the step's pulse, its record on recorded steps, an epoch record
    /// when the update ends an epoch.
    public func advance() -> [TrainingEvent] {
        guard !isFinished else { return [] }
        let indexInEpoch = stepsDone % batchesPerEpoch
        if indexInEpoch == 0 && config.shuffle { shuffleRandom.shuffle(&order) }
        let start = indexInEpoch * config.batchSize
        let rows = min(config.batchSize, train.count - start)
        let batch = order[start..<(start + rows)]
        gather(batch)

        let step = stepsDone + 1
        let record = step == 1 || step % config.every == 0 || step == totalSteps
        let dropoutBefore = dropoutRandom
        let result = forwardBackward(rows: rows, recorder: record ? recorder : nil)

        var layers: [LayerStats] = []
        var layerNorms: [Double] = []
        var squares = 0.0, nonfinite = 0
        if record {
            for entry in model.parameterLayers {
                let (stats, sq) = GradientStatistics.layer(name: entry.name, layer: entry.layer, edges: config.edges)
                layers.append(stats)
                layerNorms.append(stats.gradNorm)
                squares += sq
                nonfinite += stats.nanCount + stats.infCount
            }
        } else {
            (layerNorms, squares, nonfinite) = GradientStatistics.layerNorms(model.parameterLayers)
        }
        let gradNorm = squares.squareRoot()
        // Measured before the update, as the weight norms are.
        let recurrentSignals = record ? Self.recurrentSignals(model) : []
        var events: [TrainingEvent] = []
        if (nonfinite > 0 || !result.loss.isFinite) && firstNonfinite == nil {
            let origin = locateNonfinite(step: step, rows: rows, loss: result.loss, dropout: dropoutBefore, recorded: record)
            firstNonfinite = origin
            events.append(.nonfinite(origin))
        }

        let lr = schedule.learningRate(afterUpdates: stepsDone)
        let skip = config.skipNonfinite && (nonfinite > 0 || !result.loss.isFinite)
        var clip = ClipResult(normAfter: gradNorm, coefficient: 1, threshold: nil)
        if skip {
            skippedSteps += 1
        } else {
            clip = clipper.apply(norm: gradNorm, nonfinite: nonfinite)
            let measures = optimizer.step(lr: lr, measure: record)
            if record { Self.attach(measures, to: &layers) }
        }

        stepsDone = step
        lastLoss = result.loss
        maxGradNorm = max(maxGradNorm, gradNorm)
        if nonfinite > 0 || !result.loss.isFinite { nonfiniteSteps += 1 }
        epochLoss += result.loss * Double(rows)
        epochCorrect += result.correct ?? 0
        epochRows += rows

        let pulse = StepPulse(
            step: step, epoch: epoch(ofStep: step), loss: result.loss, learningRate: lr, gradNorm: gradNorm,
            layerGradNorms: layerNorms, gradNormClipped: clip.normAfter, clipCoefficient: clip.coefficient,
            nonfiniteGradients: nonfinite,
            skipped: skip, accuracy: result.correct.map { Double($0) / Double(rows) }, sampleIndices: Array(batch))
        events.append(.pulse(pulse))
        if record {
            events.append(.step(StepRecord(
                pulse: pulse, batchSize: rows, layers: layers, signals: recorder.signals(for: model.flattened),
                recurrent: recurrentSignals)))
        }
        if indexInEpoch == batchesPerEpoch - 1 || step == totalSteps {
            events.append(.epoch(finishEpoch(step: step)))
        }
        return events
    }

    /// Forward, loss and backward on the gathered batch, in training mode.
    private func forwardBackward(rows: Int, recorder: SignalRecorder?) -> Loss.Result {
        recorder?.reset()
        var context = ForwardContext(training: true, random: dropoutRandom, recorder: recorder)
        let output = model.forward(batchInputs, &context)
        dropoutRandom = context.random
        let result = withBatchTargets(rows: rows) { loss.evaluate(output, $0, grad: lossGrad) }
        model.backward(lossGrad, recorder: recorder)
        return result
    }

    /// Finds where the first non-finite value of this step came from. On an
    /// unrecorded step the pass is repeated with the recorder on, with the
    /// same dropout masks and BatchNorm statistics restored afterwards, so
    /// the step's gradients and the model's state are exactly as before.
    private func locateNonfinite(step: Int, rows: Int, loss value: Double, dropout: Random, recorded: Bool) -> NonfiniteOrigin {
        if !recorded {
            let buffers = model.flattened.flatMap { $0.layer.buffers.map { ($0.tensor, $0.tensor.array) } }
            let after = dropoutRandom
            dropoutRandom = dropout
            _ = forwardBackward(rows: rows, recorder: recorder)
            dropoutRandom = after
            for (tensor, values) in buffers { tensor.copy(from: values) }
        }
        let signals = Dictionary(uniqueKeysWithValues: recorder.signals(for: model.flattened).map { ($0.name, $0) })
        // Model order with each residual block after its body: the order values flow forward.
        let order = Self.flowOrder(model.layers, prefix: "")
        if let first = order.first(where: { (signals[$0.name]?.outputNonfinite ?? 0) > 0 }) {
            return NonfiniteOrigin(step: step, pass: .forward, layer: first.name, quantity: "output")
        }
        if !value.isFinite {
            return NonfiniteOrigin(step: step, pass: .loss, layer: nil, quantity: "loss")
        }
        if !lossGrad.array.allSatisfy(\.isFinite) {
            return NonfiniteOrigin(step: step, pass: .loss, layer: nil, quantity: "loss gradient")
        }
        for (k, entry) in order.enumerated().reversed() {
            if entry.layer.parameters.contains(where: { !$0.grad.array.allSatisfy(\.isFinite) }) {
                return NonfiniteOrigin(step: step, pass: .backward, layer: entry.name, quantity: "parameter gradient")
            }
            if k > 0, (signals[order[k - 1].name]?.deltaNonfinite ?? 0) > 0 {
                return NonfiniteOrigin(step: step, pass: .backward, layer: entry.name, quantity: "input gradient")
            }
        }
        return NonfiniteOrigin(step: step, pass: .loss, layer: nil, quantity: "loss")
    }

    static func flowOrder(_ layers: [Layer], prefix: String) -> [(name: String, layer: Layer)] {
        layers.flatMap { layer -> [(name: String, layer: Layer)] in
            let name = prefix + layer.name
            return flowOrder(layer.children, prefix: name + ".") + [(name, layer)]
        }
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
        epochLoss = 0; epochCorrect = 0; epochRows = 0
        lastEpoch = record
        return record
    }

    static func recurrentSignals(_ model: Model) -> [RecurrentSignal] {
        model.flattened.flatMap { entry -> [RecurrentSignal] in
            guard let layer = entry.layer as? Recurrent else { return [] }
            return zip(layer.hiddenGradNorms, layer.recurrentSpectralNorms()).enumerated().map { k, pair in
                RecurrentSignal(layer: entry.name, sublayer: k, hiddenGradNorms: pair.0, spectralNorm: pair.1,
                                truncation: layer.tbptt)
            }
        }
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
