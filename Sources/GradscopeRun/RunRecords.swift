import GradscopeDiagnosis
import GradscopeEngine
import GradscopeSpec

// The records of a run, built from what produced them: an engine `Job` or an
// external run's declaration.

extension StartRecord {
    public init(job: Job) {
        let t = job.trainer
        let parameterised = Set(t.model.parameterLayers.map(\.name))
        self.init(
            name: job.spec.name,
            training: Training(seed: Int(job.spec.seed), loss: job.loss.rawValue, parameters: t.model.parameterCount,
                               stepsPerEpoch: t.batchesPerEpoch, trainSamples: t.train.count,
                               validationSamples: t.validation?.count ?? 0, inputWidth: t.model.inputWidth,
                               outputWidth: t.model.outputWidth),
            totalSteps: t.totalSteps, baselineLoss: job.facts.baselineLoss,
            layers: t.model.flattened.map { name, layer in
                Layer(name: name, kind: layer.kind.rawValue, hasParameters: parameterised.contains(name),
                      params: layer.parameters.map { Param(name: $0.name, shape: $0.shape) })
            },
            edges: t.config.edges)
    }

    public init(run: ExternalRunSpec) {
        self.init(
            name: run.name, training: nil, totalSteps: run.totalSteps ?? 0, baselineLoss: run.baselineLoss,
            modules: run.modules.map(\.rawValue).sorted(),
            layers: run.layers.map { layer in
                Layer(name: layer.name, kind: layer.kind?.rawValue ?? "other", module: layer.module, hasParameters: true,
                      params: layer.params.map { Param(name: $0.name, shape: $0.shape) })
            },
            edges: run.edges)
    }
}

extension SummaryRecord {
    public init(job: Job) {
        let t = job.trainer
        self.init(
            steps: t.stepsDone, finalLoss: t.lastLoss, maxGradNorm: t.maxGradNorm, nonfiniteSteps: t.nonfiniteSteps,
            training: Training(epochs: t.stepsDone == 0 ? 0 : t.epoch(ofStep: t.stepsDone), trainLoss: t.lastEpoch?.trainLoss,
                               trainAccuracy: t.lastEpoch?.trainAccuracy, validationLoss: t.lastEpoch?.validationLoss,
                               validationAccuracy: t.lastEpoch?.validationAccuracy, skippedSteps: t.skippedSteps,
                               parameters: t.model.parameterCount))
    }
}

extension ReportRecord {
    /// An engine job's report: each remedy with the spec change that applies it.
    public init(_ report: Report, job: Job) {
        let facts = job.facts
        self.init(report, firstNonfinite: job.trainer.firstNonfinite) { RemedyPatch.change($0, for: job.spec, facts: facts) }
    }
}
