import GradscopeDiagnosis
import GradscopeEngine

/// The wire form of what a run produces: one JSON object per line, each with
/// a `type` (`start`, `step`, `epoch`, `summary`). The same text is what
/// `gradscope run` prints and what the service stores and streams.
public enum RecordJSON {
    /// `{"type":"start",…}`: the run's shape, so a consumer can lay out its
    /// charts before the first step (layer names, histogram edges).
    public static func start(_ job: Job) -> String {
        let t = job.trainer
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "start")
        w.field("name", job.spec.name)
        w.field("seed", Int(job.spec.seed))
        w.field("loss", job.loss.rawValue)
        w.field("parameters", t.model.parameterCount)
        w.field("total_steps", t.totalSteps)
        w.field("steps_per_epoch", t.batchesPerEpoch)
        w.field("train_samples", t.train.count)
        w.field("validation_samples", t.validation?.count ?? 0)
        w.field("input_width", t.model.inputWidth)
        w.field("output_width", t.model.outputWidth)
        w.field("baseline_loss", job.facts.baselineLoss)
        w.beginArray("layers")
        let parameterised = Set(t.model.parameterLayers.map(\.name))
        for (name, layer) in t.model.flattened {
            layerDeclaration(&w, name: name, kind: layer.kind.rawValue, hasParameters: parameterised.contains(name),
                             params: layer.parameters.map { ($0.name, $0.shape) })
        }
        w.endArray()
        histogramEdges(&w, t.config.edges)
        w.endObject()
        return w.text
    }

    /// One entry of a start record's `layers`, engine job or external run alike.
    static func layerDeclaration(_ w: inout JSONWriter, name: String, kind: String, module: String? = nil, hasParameters: Bool,
                                 params: [(name: String, shape: [Int])]) {
        w.beginObject()
        w.field("name", name)
        w.field("kind", kind)
        if let module { w.field("module", module) }
        w.field("has_parameters", hasParameters)
        w.beginArray("params")
        for p in params {
            w.beginObject()
            w.field("name", p.name)
            w.ints("shape", p.shape)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    static func histogramEdges(_ w: inout JSONWriter, _ e: HistogramEdges) {
        w.beginObject("hist_edges")
        w.field("bins", e.bins)
        w.field("min", e.low)
        w.field("max", e.high)
        w.field("scale", "log10")
        w.endObject()
    }

    /// `lossKnown` false (an external run that sent no loss) leaves `loss` out.
    public static func step(_ r: StepRecord, lossKnown: Bool = true) -> String {
        var w = JSONWriter(capacity: 512 + r.layers.count * 900 + r.signals.count * 200)
        w.beginObject()
        w.field("type", "step")
        w.field("step", r.step)
        w.field("epoch", r.epoch)
        if lossKnown { w.field("loss", r.loss) }
        w.field("lr", r.learningRate)
        w.field("grad_norm", r.gradNorm)
        w.field("grad_norm_clipped", r.gradNormClipped)
        w.field("clip_coef", r.clipCoefficient)
        w.field("skipped", r.skipped)
        w.field("nonfinite_grads", r.nonfiniteGradients)
        w.field("accuracy", r.accuracy)
        w.field("batch_size", r.batchSize)
        w.beginArray("layers")
        for l in r.layers {
            w.beginObject()
            w.field("name", l.name)
            w.field("kind", l.kind.rawValue)
            summaryFields(&w, l.summary)
            w.field("update_ratio", l.updateRatio)
            w.beginArray("params")
            for p in l.params {
                w.beginObject()
                w.field("name", p.name)
                summaryFields(&w, p.summary)
                w.endObject()
            }
            w.endArray()
            // Only external runs' records can lack a histogram (see ExternalRecord).
            if !l.histogram.counts.isEmpty { histogram(&w, l.histogram) }
            w.endObject()
        }
        w.endArray()
        signals(&w, r)
        w.endObject()
        return w.text
    }

    static func histogram(_ w: inout JSONWriter, _ h: Histogram) {
        w.beginObject("hist")
        w.ints("counts", h.counts)
        w.field("zero", h.zero)
        w.field("underflow", h.underflow)
        w.field("overflow", h.overflow)
        w.field("nonfinite", h.nonfinite)
        w.endObject()
    }

    static func signals(_ w: inout JSONWriter, _ r: StepRecord) {
        w.beginArray("signals")
        for s in r.signals {
            w.beginObject()
            w.field("name", s.name)
            w.field("kind", s.kind.rawValue)
            w.field("output_rms", s.outputRMS)
            w.field("output_mean", s.outputMean)
            w.field("output_std", s.outputStd)
            w.field("delta_rms", s.deltaRMS)
            if let d = s.deadFraction { w.field("dead_fraction", d) }
            if let f = s.saturatedFraction { w.field("saturated_fraction", f) }
            w.field("output_nonfinite", s.outputNonfinite)
            w.field("delta_nonfinite", s.deltaNonfinite)
            w.endObject()
        }
        w.endArray()
        if !r.recurrent.isEmpty {
            w.beginArray("recurrent")
            for s in r.recurrent {
                w.beginObject()
                w.field("layer", s.layer)
                w.field("sublayer", s.sublayer)
                w.field("spectral_norm", s.spectralNorm)
                w.doubles("hidden_grad_norms", s.hiddenGradNorms)
                w.endObject()
            }
            w.endArray()
        }
    }

    static func summaryFields(_ w: inout JSONWriter, _ s: GradientSummary) {
        w.field("grad_norm", s.gradNorm)
        w.field("max_abs", s.maxAbs)
        w.field("mean_abs", s.meanAbs)
        w.field("zero_fraction", s.zeroFraction)
        w.field("nan", s.nanCount)
        w.field("inf", s.infCount)
        w.field("weight_norm", s.weightNorm)
        w.field("update_norm", s.updateNorm)
    }

    public static func epoch(_ e: EpochRecord) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "epoch")
        w.field("epoch", e.epoch)
        w.field("step", e.step)
        w.field("train_loss", e.trainLoss)
        w.field("train_accuracy", e.trainAccuracy)
        w.field("val_loss", e.validationLoss)
        w.field("val_accuracy", e.validationAccuracy)
        w.endObject()
        return w.text
    }

    /// The start record of an external run: its declared layers and edges.
    public static func start(_ run: ExternalRunSpec) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "start")
        w.field("name", run.name)
        w.field("source", "external")
        w.field("total_steps", run.totalSteps ?? 0)
        w.field("baseline_loss", run.baselineLoss)
        w.beginArray("modules")
        for kind in run.modules.map(\.rawValue).sorted() { w.element(kind) }
        w.endArray()
        w.beginArray("layers")
        for layer in run.layers {
            layerDeclaration(&w, name: layer.name, kind: layer.kind?.rawValue ?? "other", module: layer.module, hasParameters: true,
                             params: layer.params)
        }
        w.endArray()
        histogramEdges(&w, run.edges)
        w.endObject()
        return w.text
    }

    /// The summary of an external run from what its records said.
    /// An external run's summary: `droppedSteps` were measured by the client
    /// but never arrived (its buffer was full, or the server was down).
    public static func summary(externalSteps steps: Int, droppedSteps: Int, lastLoss: Double?, maxGradNorm: Double,
                               nonfiniteSteps: Int) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "summary")
        w.field("source", "external")
        w.field("steps", steps)
        w.field("dropped_steps", droppedSteps)
        w.field("final_loss", lastLoss)
        w.field("max_grad_norm", maxGradNorm)
        w.field("nonfinite_steps", nonfiniteSteps)
        w.endObject()
        return w.text
    }

    public static func summary(_ job: Job) -> String {
        let t = job.trainer
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "summary")
        w.field("steps", t.stepsDone)
        w.field("epochs", t.stepsDone == 0 ? 0 : t.epoch(ofStep: t.stepsDone))
        w.field("final_loss", t.lastLoss)
        w.field("train_loss", t.lastEpoch?.trainLoss)
        w.field("train_accuracy", t.lastEpoch?.trainAccuracy)
        w.field("val_loss", t.lastEpoch?.validationLoss)
        w.field("val_accuracy", t.lastEpoch?.validationAccuracy)
        w.field("max_grad_norm", t.maxGradNorm)
        w.field("nonfinite_steps", t.nonfiniteSteps)
        w.field("skipped_steps", t.skippedSteps)
        w.field("parameters", t.model.parameterCount)
        w.endObject()
        return w.text
    }

    /// `{"type":"alert", "step", "kind", "severity", "layer", "value", "threshold", "message", "samples"}`.
    public static func alert(_ a: Alert) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "alert")
        w.field("step", a.step)
        w.field("kind", a.kind.rawValue)
        w.field("severity", a.severity.rawValue)
        w.field("layer", a.layer)
        w.field("value", a.value)
        w.field("threshold", a.threshold)
        w.field("message", a.message)
        if let samples = a.sampleIndices { w.ints("samples", samples) }
        w.endObject()
        return w.text
    }

    /// `{"type":"report", "verdict", "first_step", "first_layer", "pass", "evidence", "remedies", "alerts"}`.
    public static func report(_ r: Report, job: Job) -> String {
        let facts = job.facts
        return report(r, firstNonfinite: job.trainer.firstNonfinite) { RemedyPatch.change($0, for: job.spec, facts: facts) }
    }

    /// The report of an external run: remedies are suggested with `"change":
    /// null`, as there is no spec to patch and re-run.
    public static func report(_ r: Report, firstNonfinite: NonfiniteOrigin?) -> String {
        report(r, firstNonfinite: firstNonfinite, patch: nil)
    }

    /// `patch`: the spec change of a remedy, nil for a remedy that does not
    /// apply (left out); without `patch` every remedy is listed unpatched.
    private static func report(_ r: Report, firstNonfinite: NonfiniteOrigin?, patch: ((Remedy.Kind) -> JSONValue?)?) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "report")
        w.field("verdict", r.verdict.rawValue)
        if let step = r.firstStep { w.field("first_step", step) } else { w.field("first_step", nil as Double?) }
        w.field("first_layer", r.firstLayer)
        w.field("pass", r.pass)
        if let origin = firstNonfinite {
            w.beginObject("first_nonfinite")
            w.field("step", origin.step)
            w.field("pass", origin.pass.rawValue)
            w.field("layer", origin.layer)
            w.field("quantity", origin.quantity)
            w.endObject()
        }
        w.beginArray("evidence")
        for e in r.evidence {
            w.beginObject()
            w.field("rule", e.rule)
            w.field("step", e.step)
            w.field("layer", e.layer)
            w.field("value", e.value)
            w.field("threshold", e.threshold)
            w.field("message", e.message)
            w.endObject()
        }
        w.endArray()
        w.beginArray("remedies")
        for remedy in r.remedies {
            let change = patch.map { $0(remedy.kind) }
            if change == .some(nil) { continue }
            w.beginObject()
            w.field("name", remedy.kind.rawValue)
            w.field("change", json: change.flatMap { $0 } ?? .null)
            w.field("reason", remedy.reason)
            // A run watched by the client has no spec to patch: the change in PyTorch's terms.
            if patch == nil { w.field("pytorch", remedy.pytorch) }
            w.endObject()
        }
        w.endArray()
        w.beginObject("alerts")
        for (kind, count) in r.alertCounts.sorted(by: { $0.key < $1.key }) { w.field(JSONKey(kind), count) }
        w.endObject()
        w.endObject()
        return w.text
    }
}
