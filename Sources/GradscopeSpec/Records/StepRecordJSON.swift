import GradscopeEngine

/// What a step record's reader holds it to beyond its own schema: an
/// external run's declared layers, in order, and its histogram edges.
/// Records read back from a job's store have none (nil).
public struct RecordLayout: Sendable {
    public var layers: [(name: String, kind: LayerKind?)]
    public var edges: HistogramEdges

    public init(layers: [(name: String, kind: LayerKind?)], edges: HistogramEdges) {
        self.layers = layers
        self.edges = edges
    }
}

/// `{"type":"step",…}`: the one encoder (`json`) and the one checked reader
/// (`init(json:path:layout:)`) of a recorded step. docs/records.md lists the
/// fields; the record fixture test holds both, and every other reader, to
/// `Tests/Fixtures/records/run.ndjson`.
extension StepRecord {
    static let fields = ["type", "step", "epoch", "loss", "lr", "grad_norm", "grad_norm_clipped", "clip_coef", "skipped",
                         "nonfinite_grads", "accuracy", "batch_size", "layers", "signals", "recurrent"]
    static let layerFields = ["name", "kind", "grad_norm", "max_abs", "mean_abs", "zero_fraction", "nan", "inf",
                              "weight_norm", "update_norm", "update_ratio", "params", "hist"]
    static let paramFields = ["name", "grad_norm", "max_abs", "mean_abs", "zero_fraction", "nan", "inf", "weight_norm",
                              "update_norm"]
    static let histFields = ["counts", "zero", "underflow", "overflow", "nonfinite"]
    static let signalFields = ["name", "kind", "output_rms", "output_mean", "output_std", "delta_rms", "dead_fraction",
                               "saturated_fraction", "output_nonfinite", "delta_nonfinite"]
    static let recurrentFields = ["layer", "sublayer", "spectral_norm", "hidden_grad_norms"]

    /// `lossKnown` false (an external run that sent no loss) leaves `loss` out.
    public func json(lossKnown: Bool = true) -> String {
        var w = JSONWriter(capacity: 512 + layers.count * 900 + signals.count * 200)
        w.beginObject()
        w.field("type", "step")
        w.field("step", pulse.step)
        w.field("epoch", pulse.epoch)
        if lossKnown { w.field("loss", pulse.loss) }
        w.field("lr", pulse.learningRate)
        w.field("grad_norm", pulse.gradNorm)
        w.field("grad_norm_clipped", pulse.gradNormClipped)
        w.field("clip_coef", pulse.clipCoefficient)
        w.field("skipped", pulse.skipped)
        w.field("nonfinite_grads", pulse.nonfiniteGradients)
        w.field("accuracy", pulse.accuracy)
        w.field("batch_size", batchSize)
        w.beginArray("layers")
        for l in layers {
            w.beginObject()
            w.field("name", l.name)
            w.field("kind", l.kind.rawValue)
            Self.write(&w, l.summary)
            // From the norms as written, so that a reader dividing them gets this number.
            w.field("update_ratio", l.weightNorm > 0 && l.updateNorm.isFinite
                    ? JSONWriter.asWritten(l.updateNorm) / JSONWriter.asWritten(l.weightNorm) : nil)
            w.beginArray("params")
            for p in l.params {
                w.beginObject()
                w.field("name", p.name)
                Self.write(&w, p.summary)
                w.endObject()
            }
            w.endArray()
            // Only external runs' records can lack a histogram: they send one every few steps.
            if !l.histogram.counts.isEmpty {
                let h = l.histogram
                w.beginObject("hist")
                w.ints("counts", h.counts)
                w.field("zero", h.zero)
                w.field("underflow", h.underflow)
                w.field("overflow", h.overflow)
                w.field("nonfinite", h.nonfinite)
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
        w.beginArray("signals")
        for s in signals {
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
        if !recurrent.isEmpty {
            w.beginArray("recurrent")
            for s in recurrent {
                w.beginObject()
                w.field("layer", s.layer)
                w.field("sublayer", s.sublayer)
                w.field("spectral_norm", s.spectralNorm)
                w.doubles("hidden_grad_norms", s.hiddenGradNorms)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return w.text
    }

    private static func write(_ w: inout JSONWriter, _ s: GradientSummary) {
        w.field("grad_norm", s.gradNorm)
        w.field("max_abs", s.maxAbs)
        w.field("mean_abs", s.meanAbs)
        w.field("zero_fraction", s.zeroFraction)
        w.field("nan", s.nanCount)
        w.field("inf", s.infCount)
        w.field("weight_norm", s.weightNorm)
        w.field("update_norm", s.updateNorm)
    }

    /// Reads and checks one step record; errors name the field from `path`
    /// (e.g. `records[3].layers[1].hist.counts`). With a `layout` the layers
    /// must be the declared ones, in order, and histograms must have its
    /// bins. `lossKnown` is false when the record has no `loss` at all (a
    /// `null` loss is a NaN one).
    public static func read(_ json: JSONValue, path: String, layout: RecordLayout?) throws(SpecError)
        -> (record: StepRecord, lossKnown: Bool)
    {
        var r = try ObjectReader(json, path: path, tracksSeen: false)
        try r.only(fields, in: "a step record")
        let type = try r.string("type") ?? "step"
        guard type == "step" else { throw SpecError(r.field("type"), "must be \"step\", got \"\(type)\"") }
        let step = try stepNumber(&r)
        let epoch = try r.integer("epoch") ?? 1
        try Check.range(epoch, 1, Int(Int32.max), r.field("epoch"))
        let lossKnown = r.present("loss")
        let loss = try r.statistic("loss", signed: true) ?? 0
        let lr = try r.statistic("lr") ?? .nan  // unknown: written as null

        guard let list = try r.array("layers") else { throw SpecError(r.field("layers"), "is required") }
        if let layout, list.count != layout.layers.count {
            throw SpecError(r.field("layers"), "has \(list.count) entries; the run declared \(layout.layers.count)")
        }
        var layers: [LayerStats] = []
        for (i, item) in list.enumerated() {
            // Paths are relative inside a layer and prefixed only on error: a
            // batch has thousands of layers and their path strings cost.
            do { layers.append(try layer(item, declared: layout.map { $0.layers[i] }, bins: layout?.edges.bins)) } catch {
                throw error.under(r.field("layers[\(i)]"))
            }
        }
        let squares = layers.reduce(0.0) { $0 + ($1.gradNorm.isFinite ? $1.gradNorm * $1.gradNorm : 0) }
        let gradNorm = try r.statistic("grad_norm") ?? squares.squareRoot()
        // Saturating: each count may be up to 9e15 and a run may have 10,000 layers.
        let nonfinite = try r.integer("nonfinite_grads") ?? layers.reduce(0) { total, l in
            [l.nanCount, l.infCount].reduce(total) { a, b in
                let (sum, overflow) = a.addingReportingOverflow(b)
                return overflow ? Int.max : sum
            }
        }
        try Check.range(nonfinite, 0, Int.max, r.field("nonfinite_grads"))
        // null: no accuracy (a regression).
        let accuracy = try r.statistic("accuracy").flatMap { $0.isNaN ? nil : $0 }
        try Check.range(accuracy, 0, 1, r.field("accuracy"))
        let batchSize = try r.integer("batch_size") ?? 0
        try Check.range(batchSize, 0, Int.max, r.field("batch_size"))
        let pulse = StepPulse(
            step: step, epoch: epoch, loss: loss, learningRate: lr, gradNorm: gradNorm,
            layerGradNorms: layers.map { $0.summary.gradNorm }, gradNormClipped: try r.statistic("grad_norm_clipped") ?? gradNorm,
            clipCoefficient: try r.statistic("clip_coef") ?? 1, nonfiniteGradients: nonfinite,
            skipped: try r.bool("skipped") ?? false, accuracy: accuracy, sampleIndices: [])
        var record = StepRecord(pulse: pulse, batchSize: batchSize, layers: layers, signals: [])
        for (i, item) in (try r.array("signals") ?? []).enumerated() {
            record.signals.append(try signal(item, path: r.field("signals[\(i)]")))
        }
        for (i, item) in (try r.array("recurrent") ?? []).enumerated() {
            record.recurrent.append(try recurrent(item, path: r.field("recurrent[\(i)]")))
        }
        return (record, lossKnown)
    }

    static func stepNumber(_ r: inout ObjectReader) throws(SpecError) -> Int {
        guard let step = try r.integer("step") else { throw SpecError(r.field("step"), "is required") }
        try Check.range(step, 1, JobSpec.maxSteps, r.field("step"))
        return step
    }

    private static func kind(_ r: inout ObjectReader) throws(SpecError) -> LayerKind? {
        guard let name = try r.string("kind") else { return nil }
        guard let kind = LayerKind(rawValue: name) else {
            throw SpecError(r.field("kind"), "must be one of \(LayerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    private static func layer(_ json: JSONValue, declared: (name: String, kind: LayerKind?)?, bins: Int?) throws(SpecError)
        -> LayerStats
    {
        var l = try ObjectReader(json, path: "", tracksSeen: false)
        try l.only(layerFields, in: "a layer record")
        let name = try l.string("name")
        var kind: LayerKind?
        if let declared {
            guard name == declared.name else {
                throw SpecError(l.field("name"), "must be \"\(declared.name)\" (the run's layers, in order), got \(name.map { "\"\($0)\"" } ?? "none")")
            }
            // The declaration decides; what a client sends here is not checked.
            _ = try l.string("kind")
            kind = declared.kind
        } else {
            kind = try Self.kind(&l)
        }
        guard let name else { throw SpecError(l.field("name"), "is required") }
        // Derived from update_norm and weight_norm; read only to check its type.
        _ = try l.statistic("update_ratio")
        let summary = try Self.summary(&l)
        var params: [TensorStats] = []
        for (j, item) in (try l.array("params") ?? []).enumerated() {
            do throws(SpecError) {
                var p = try ObjectReader(item, path: "", tracksSeen: false)
                try p.only(paramFields, in: "a parameter record")
                guard let pname = try p.string("name") else { throw SpecError("name", "is required") }
                params.append(TensorStats(name: pname, summary: try Self.summary(&p)))
            } catch {
                throw error.under(l.field("params[\(j)]"))
            }
        }
        // No histogram this step: an empty one (no bins), which the record leaves out.
        var histogram = Histogram(bins: 0)
        if var h = try l.object("hist") {
            try h.only(histFields, in: "a histogram")
            let counts = try h.integers("counts")
            if let bins, counts.count != bins {
                throw SpecError(h.field("counts"), "has \(counts.count) bins; the run's hist_edges have \(bins)")
            }
            histogram = Histogram(bins: counts.count)
            histogram.counts = counts
            histogram.zero = try h.count("zero")
            histogram.underflow = try h.count("underflow")
            histogram.overflow = try h.count("overflow")
            histogram.nonfinite = try h.count("nonfinite")
        }
        return LayerStats(name: name, kind: kind ?? .identity, summary: summary, params: params, histogram: histogram)
    }

    private static func summary(_ r: inout ObjectReader) throws(SpecError) -> GradientSummary {
        guard let gradNorm = try r.statistic("grad_norm") else { throw SpecError(r.field("grad_norm"), "is required") }
        var s = GradientSummary.unmeasured
        s.gradNorm = gradNorm
        s.maxAbs = try r.statistic("max_abs") ?? s.maxAbs
        s.meanAbs = try r.statistic("mean_abs") ?? s.meanAbs
        s.zeroFraction = try r.statistic("zero_fraction") ?? s.zeroFraction
        if s.zeroFraction.isFinite { try Check.range(s.zeroFraction, 0, 1, r.field("zero_fraction")) }
        s.nanCount = try r.count("nan")
        s.infCount = try r.count("inf")
        s.weightNorm = try r.statistic("weight_norm") ?? s.weightNorm
        s.updateNorm = try r.statistic("update_norm") ?? s.updateNorm
        return s
    }

    private static func signal(_ json: JSONValue, path: String) throws(SpecError) -> LayerSignal {
        var r = try ObjectReader(json, path: path, tracksSeen: false)
        try r.only(signalFields, in: "a signal")
        guard let name = try r.string("name") else { throw SpecError(r.field("name"), "is required") }
        var s = LayerSignal(name: name, kind: try kind(&r) ?? .identity)
        s.outputRMS = try r.statistic("output_rms") ?? 0
        s.outputMean = try r.statistic("output_mean", signed: true) ?? 0
        s.outputStd = try r.statistic("output_std") ?? 0
        s.deltaRMS = try r.statistic("delta_rms") ?? 0
        s.deadFraction = try r.statistic("dead_fraction")
        s.saturatedFraction = try r.statistic("saturated_fraction")
        s.outputNonfinite = try r.count("output_nonfinite")
        s.deltaNonfinite = try r.count("delta_nonfinite")
        return s
    }

    private static func recurrent(_ json: JSONValue, path: String) throws(SpecError) -> RecurrentSignal {
        var r = try ObjectReader(json, path: path, tracksSeen: false)
        try r.only(recurrentFields, in: "a recurrent record")
        guard let layer = try r.string("layer") else { throw SpecError(r.field("layer"), "is required") }
        var norms: [Double] = []
        for (i, v) in (try r.array("hidden_grad_norms") ?? []).enumerated() {
            switch v {
            case .null: norms.append(.nan)
            case .number(let d) where d >= 0: norms.append(d)
            default: throw SpecError(r.field("hidden_grad_norms[\(i)]"), "must be a number ≥ 0 or null")
            }
        }
        return RecurrentSignal(layer: layer, sublayer: try r.count("sublayer"), hiddenGradNorms: norms,
                               spectralNorm: try r.statistic("spectral_norm") ?? 0)
    }
}

extension ObjectReader {
    /// Whether `key` is in the object at all (null included).
    func present(_ key: String) -> Bool { object[key] != nil }

    /// A measured value: a number (≥ 0 unless `signed`), or null for one that
    /// was NaN or ±Inf (how records write them), read as NaN.
    mutating func statistic(_ key: String, signed: Bool = false) throws(SpecError) -> Double? {
        guard let v = object[key] else { return nil }
        if tracksSeen { seen.insert(key) }
        switch v {
        case .null: return .nan
        case .number(let d) where d.isFinite && (signed || d >= 0): return d
        case .number(let d): throw SpecError(field(key), "must be \(signed ? "a finite number" : "≥ 0") or null, got \(Check.show(d))")
        default: throw SpecError(field(key), "must be a number or null, got \(v.typeName)")
        }
    }

    /// A count: a whole number ≥ 0, 0 when absent.
    mutating func count(_ key: String) throws(SpecError) -> Int {
        let v = try integer(key) ?? 0
        guard v >= 0 else { throw SpecError(field(key), "must be a whole number ≥ 0, got \(v)") }
        return v
    }
}

extension SpecError {
    /// The error of a part read with a relative path, placed under `prefix`
    /// ("" and "the spec" name the part itself).
    func under(_ prefix: String) -> SpecError {
        var e = self
        e.field = field.isEmpty || field == "the spec" ? prefix : "\(prefix).\(field)"
        return e
    }
}
