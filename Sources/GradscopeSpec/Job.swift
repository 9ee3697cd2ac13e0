import Foundation
import GradscopeEngine

/// A spec made runnable: data loaded and split, model built and initialised
/// (or loaded from a checkpoint), trainer ready.
public struct Job {
    public let spec: JobSpec
    public let trainer: Trainer
    public let loss: Loss
    public var model: Model { trainer.model }

    /// - Parameters:
    ///   - baseDirectory: where relative paths in the spec (`data.path`,
    ///     `init_from`) are resolved; the spec file's folder for the CLI.
    ///   - checkpoint: starting weights that override the spec's `init_from`.
    public init(spec: JobSpec, baseDirectory: String? = nil, checkpoint: Checkpoint? = nil) throws(SpecError) {
        self.spec = spec
        let data = try spec.data.load(seed: spec.seed, baseDirectory: baseDirectory)
        let loss = try Self.chooseLoss(spec.loss, for: data)
        self.loss = loss
        let outputUnits: Int = switch (loss, data.targets) {
        case (.bceWithLogits, .labels): 1
        default: data.targetWidth
        }

        var layers = spec.layers
        if spec.isShorthand, case .dense(_, let bias, let w, let b) = layers[layers.count - 1].body {
            layers[layers.count - 1].body = .dense(units: outputUnits, bias: bias, weightInit: w, biasInit: b)
        }
        let (parameters, width) = countParameters(layers, inputWidth: data.features)
        if parameters > JobSpec.maxParameters {
            throw SpecError(spec.isShorthand ? "mlp" : "layers",
                            "has \(parameters) parameters, more than the limit of \(JobSpec.maxParameters)")
        }
        if width != outputUnits {
            throw SpecError("layers", "the last layer outputs \(width) values but \(loss.rawValue) on this data needs \(outputUnits)"
                + (data.classes.map { " (\($0) classes)" } ?? "") + "; set the last dense layer's units to \(outputUnits)")
        }
        var builder = ModelBuilder(random: Random(seed: spec.seed, stream: .initialization))
        let (built, _) = try builder.build(layers, inputWidth: data.features, path: "layers")
        let model = Model(layers: built, inputWidth: data.features, outputWidth: width)

        if let checkpoint {
            try Self.load(checkpoint, into: model, field: "init_from")
        } else if let path = spec.initFrom {
            let file = path.hasPrefix("/") || baseDirectory == nil ? path : baseDirectory! + "/" + path
            let loaded: Checkpoint
            do { loaded = try Checkpoint.read(path: file) } catch { throw SpecError("init_from", "\(error)") }
            try Self.load(loaded, into: model, field: "init_from")
        }

        var splitRandom = Random(seed: spec.seed, stream: .split)
        if data.count < 2 { throw SpecError("data", "has \(data.count) rows; at least 2 are needed") }
        var (train, validation) = data.split(validationFraction: spec.training.validationSplit, random: &splitRandom)
        if spec.data.standardize {
            let stats = train.standardize()
            validation?.standardize(using: stats)
        }
        let t = spec.training
        let config = TrainingConfig(
            batchSize: min(t.batchSize, train.count), shuffle: t.shuffle, steps: t.steps, epochs: t.epochs,
            every: spec.diagnostics.every, edges: spec.diagnostics.edges, seed: spec.seed)
        trainer = Trainer(model: model, loss: loss, optimizer: spec.optimizer.config, schedule: spec.schedule,
                          train: train, validation: validation, config: config)
        if trainer.totalSteps > JobSpec.maxSteps {
            throw SpecError("training.epochs", "makes \(trainer.totalSteps) steps, more than the limit of \(JobSpec.maxSteps)")
        }
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

    static func load(_ checkpoint: Checkpoint, into model: Model, field: String) throws(SpecError) {
        do { try model.load(checkpoint.tensors) } catch { throw SpecError(field, "does not fit the model: \(error)") }
    }
}
