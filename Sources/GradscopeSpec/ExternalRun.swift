import GradscopeDiagnosis
import GradscopeEngine

/// A run that trains elsewhere (a PyTorch script with the Python client) and
/// posts its step records: what it declares when it is created.
///
///     {"name": "my net", "layers": [{"name": "fc1", "kind": "dense", "module": "Linear",
///      "params": [{"name": "weight", "shape": [64, 2]}]}, …],
///      "modules": ["relu", "batchnorm"], "clipping": false, "total_steps": 500,
///      "baseline_loss": 2.302585, "hist_edges": {"bins": 64, "min": 1e-12, "max": 1e4}}
///
/// `layers` are the modules with parameters, in model order: every step
/// record names the same layers in the same order. A layer's `module` is
/// its class as PyTorch names it (`Conv2d`), shown beside its name in the
/// report. `modules` lists the parameter-free kinds the model uses
/// (activations), so that remedies are ranked as for an engine job.
/// `baseline_loss` is the loss of the best constant prediction (ln C for C
/// balanced classes), the yardstick for learning progress; without it the
/// first steps' losses stand in.
public struct ExternalRunSpec: Sendable {
    public struct Layer: Sendable {
        public var name: String
        /// nil for a kind the engine does not have ("other": conv, embedding…).
        public var kind: LayerKind?
        /// The module's class as PyTorch names it (`Conv2d`), if declared.
        public var module: String?
        public var params: [(name: String, shape: [Int])]
    }

    public var name: String?
    public var layers: [Layer]
    public var modules: Set<LayerKind>
    public var clipping: Bool
    public var totalSteps: Int?
    public var baselineLoss: Double?
    public var edges: HistogramEdges

    public static let maxLayers = 10_000
    public static let fields = ["name", "layers", "modules", "clipping", "total_steps", "baseline_loss", "hist_edges"]

    public init(json: JSONValue) throws(SpecError) {
        var r = try ObjectReader(json, path: "")
        try r.only(Self.fields, in: "a run")
        name = try r.string("name")
        totalSteps = try r.integer("total_steps")
        try Check.range(totalSteps, 0, JobSpec.maxSteps, "total_steps")
        clipping = try r.bool("clipping") ?? false
        baselineLoss = try r.number("baseline_loss")
        if let b = baselineLoss { try Check.positive(b, "baseline_loss") }
        let kinds = LayerKind.allCases.map(\.rawValue)
        modules = []
        for (i, m) in (try r.array("modules") ?? []).enumerated() {
            guard case .string(let s) = m, let kind = LayerKind(rawValue: s) else {
                throw SpecError("modules[\(i)]", "must be one of \(kinds.joined(separator: ", "))")
            }
            modules.insert(kind)
        }
        guard let list = try r.array("layers"), !list.isEmpty else { throw SpecError("layers", "must list the layers with parameters") }
        guard list.count <= Self.maxLayers else { throw SpecError("layers", "has \(list.count) entries; at most \(Self.maxLayers)", isLimit: true) }
        layers = []
        var names = Set<String>()
        for (i, item) in list.enumerated() {
            var l = try ObjectReader(item, path: "layers[\(i)]")
            try l.only(["name", "kind", "module", "params"], in: "a layer")
            guard let name = try l.string("name"), !name.isEmpty, name.utf8.count <= 200 else {
                throw SpecError(l.field("name"), "must be a name of 1 to 200 bytes")
            }
            guard names.insert(name).inserted else { throw SpecError(l.field("name"), "\"\(name)\" is declared twice") }
            var kind: LayerKind?
            if let k = try l.string("kind"), k != "other" {
                guard let known = LayerKind(rawValue: k) else {
                    throw SpecError(l.field("kind"), "must be \"other\" or one of \(kinds.joined(separator: ", "))")
                }
                kind = known
            }
            let module = try l.string("module")
            if let module, module.isEmpty || module.utf8.count > 200 {
                throw SpecError(l.field("module"), "must be a class name of 1 to 200 bytes")
            }
            var params: [(String, [Int])] = []
            for (j, p) in (try l.array("params") ?? []).enumerated() {
                var pr = try ObjectReader(p, path: l.field("params[\(j)]"))
                try pr.only(["name", "shape"], in: "a parameter")
                guard let pname = try pr.string("name") else { throw SpecError(pr.field("name"), "is required") }
                var shape: [Int] = []
                for (k, d) in (try pr.array("shape") ?? []).enumerated() {
                    guard case .number(let v) = d, v >= 0, v == v.rounded(), v < 1e12 else {
                        throw SpecError(pr.field("shape[\(k)]"), "must be a whole number ≥ 0")
                    }
                    shape.append(Int(v))
                }
                params.append((pname, shape))
            }
            layers.append(Layer(name: name, kind: kind, module: module, params: params))
        }
        if var e = try r.object("hist_edges") {
            try e.only(["bins", "min", "max", "scale"], in: "hist_edges")
            let bins = try e.integer("bins") ?? HistogramEdges.defaultBins, low = try e.number("min") ?? HistogramEdges.defaultLow
            let high = try e.number("max") ?? HistogramEdges.defaultHigh
            try Check.range(bins, 1, 1024, e.field("bins"))
            try Check.positive(low, e.field("min"))
            guard high > low else { throw SpecError(e.field("max"), "must be greater than min") }
            try Check.oneOf(try e.string("scale"), ["log10"], e.field("scale"))
            edges = HistogramEdges(bins: bins, low: low, high: high)
        } else {
            edges = HistogramEdges()
        }
    }

    /// What the diagnosis knows of the model: dense layers, norms and
    /// recurrent kinds from the layers, activations from `modules`.
    public var facts: ModelFacts {
        let kinds = Set(layers.compactMap(\.kind)).union(modules)
        var f = ModelFacts(activations: Set(kinds.filter(\.isActivation)).subtracting([.identity]),
                           hasBatchNorm: kinds.contains(.batchnorm) || kinds.contains(.layernorm),
                           hasResidual: kinds.contains(.residual), denseLayers: layers.filter { $0.kind == .dense }.count,
                           clipping: clipping, initializer: nil, layerNames: layers.map(\.name))
        f.recurrentKinds = Set(kinds.filter(\.isRecurrent))
        f.baselineLoss = baselineLoss
        return f
    }

    /// A layer as the report names it: `features.4 (Conv2d)` when its
    /// class was declared, else its name.
    public func label(_ layer: String?) -> String? {
        guard let layer, let module = layers.first(where: { $0.name == layer })?.module else { return layer }
        return "\(layer) (\(module))"
    }
}

/// One record posted to an external run: a step record in the engine's
/// schema (`RecordJSON.step`), or where the first NaN/Inf appeared.
public enum ExternalRecord: Sendable {
    /// `lossKnown`: the client sent a loss (a `null` loss is a NaN one; an
    /// absent loss is unknown and stays absent).
    case step(StepRecord, lossKnown: Bool)
    case nonfinite(NonfiniteOrigin)

    public var step: Int {
        switch self {
        case .step(let r, _): r.step
        case .nonfinite(let o): o.step
        }
    }

    static let stepFields = ["type", "step", "epoch", "loss", "lr", "grad_norm", "grad_norm_clipped", "clip_coef", "skipped",
                             "nonfinite_grads", "accuracy", "batch_size", "layers", "signals", "recurrent"]
    static let layerFields = ["name", "kind", "grad_norm", "max_abs", "mean_abs", "zero_fraction", "nan", "inf",
                              "weight_norm", "update_norm", "update_ratio", "params", "hist"]

    /// Reads and checks one record against the run's declaration; errors name
    /// the field from `path` (e.g. `records[3].layers[1].hist.counts`).
    public init(json: JSONValue, path: String, run: ExternalRunSpec) throws(SpecError) {
        var r = try ObjectReader(json, path: path, tracksSeen: false)
        let type = try r.string("type") ?? "step"
        if type == "nonfinite" {
            try r.only(["type", "step", "pass", "layer", "quantity"], in: "a nonfinite record")
            let step = try Self.stepNumber(&r)
            guard let pass = NonfiniteOrigin.Pass(rawValue: try r.string("pass") ?? "") else {
                throw SpecError(r.field("pass"), "must be \"forward\", \"loss\" or \"backward\"")
            }
            self = .nonfinite(NonfiniteOrigin(step: step, pass: pass, layer: try r.string("layer"),
                                              quantity: try r.string("quantity") ?? (pass == .forward ? "output" : "parameter gradient")))
            return
        }
        guard type == "step" else { throw SpecError(r.field("type"), "must be \"step\" or \"nonfinite\", got \"\(type)\"") }
        try r.only(Self.stepFields, in: "a step record")
        let step = try Self.stepNumber(&r)
        let epoch = try r.integer("epoch") ?? 1
        try Check.range(epoch, 1, Int(Int32.max), r.field("epoch"))
        let lossKnown = r.present("loss")
        let loss = try r.statistic("loss", signed: true) ?? 0
        let lr = try r.statistic("lr") ?? .nan  // unknown: written as null

        guard let list = try r.array("layers") else { throw SpecError(r.field("layers"), "is required") }
        guard list.count == run.layers.count else {
            throw SpecError(r.field("layers"), "has \(list.count) entries; the run declared \(run.layers.count)")
        }
        var layers: [LayerStats] = []
        for (i, item) in list.enumerated() {
            // Paths are relative inside a layer and prefixed only on error: a
            // batch has thousands of layers and their path strings cost.
            do { layers.append(try Self.layer(item, path: "", declared: run.layers[i], edges: run.edges)) } catch {
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
        // null: no accuracy (a regression), as the engine's records write it.
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
            record.signals.append(try Self.signal(item, path: r.field("signals[\(i)]")))
        }
        for (i, item) in (try r.array("recurrent") ?? []).enumerated() {
            record.recurrent.append(try Self.recurrent(item, path: r.field("recurrent[\(i)]")))
        }
        self = .step(record, lossKnown: lossKnown)
    }

    private static func stepNumber(_ r: inout ObjectReader) throws(SpecError) -> Int {
        guard let step = try r.integer("step") else { throw SpecError(r.field("step"), "is required") }
        try Check.range(step, 1, JobSpec.maxSteps, r.field("step"))
        return step
    }

    private static func layer(_ json: JSONValue, path: String, declared: ExternalRunSpec.Layer, edges: HistogramEdges) throws(SpecError) -> LayerStats {
        var l = try ObjectReader(json, path: path, tracksSeen: false)
        try l.only(layerFields, in: "a layer record")
        let name = try l.string("name")
        guard name == declared.name else {
            throw SpecError(l.field("name"), "must be \"\(declared.name)\" (the run's layers, in order), got \(name.map { "\"\($0)\"" } ?? "none")")
        }
        _ = try l.string("kind")
        _ = try l.statistic("update_ratio")
        let summary = try Self.summary(&l)
        var params: [TensorStats] = []
        for (j, item) in (try l.array("params") ?? []).enumerated() {
            do throws(SpecError) {
                var p = try ObjectReader(item, path: "", tracksSeen: false)
                try p.only(["name", "grad_norm", "max_abs", "mean_abs", "zero_fraction", "nan", "inf", "weight_norm", "update_norm"],
                           in: "a parameter record")
                guard let pname = try p.string("name") else { throw SpecError("name", "is required") }
                params.append(TensorStats(name: pname, summary: try Self.summary(&p)))
            } catch {
                throw error.under(l.field("params[\(j)]"))
            }
        }
        // No histogram this step: an empty one (no bins), which the record leaves out.
        var histogram = Histogram(bins: 0)
        if var h = try l.object("hist") {
            histogram = Histogram(bins: edges.bins)
            try h.only(["counts", "zero", "underflow", "overflow", "nonfinite"], in: "a histogram")
            let counts = try h.array("counts") ?? []
            guard counts.count == edges.bins else {
                throw SpecError(h.field("counts"), "has \(counts.count) bins; the run's hist_edges have \(edges.bins)")
            }
            for (k, c) in counts.enumerated() {
                guard case .number(let v) = c, v >= 0, v == v.rounded(), v < 9e15 else {
                    throw SpecError(h.field("counts[\(k)]"), "must be a whole number ≥ 0")
                }
                histogram.counts[k] = Int(v)
            }
            histogram.zero = try h.count("zero")
            histogram.underflow = try h.count("underflow")
            histogram.overflow = try h.count("overflow")
            histogram.nonfinite = try h.count("nonfinite")
        }
        return LayerStats(name: declared.name, kind: declared.kind ?? .identity, summary: summary, params: params, histogram: histogram)
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
        try r.only(["name", "kind", "output_rms", "output_mean", "output_std", "delta_rms", "dead_fraction",
                    "saturated_fraction", "output_nonfinite", "delta_nonfinite"], in: "a signal")
        guard let name = try r.string("name") else { throw SpecError(r.field("name"), "is required") }
        let kind = try r.string("kind").flatMap(LayerKind.init(rawValue:)) ?? .identity
        var s = LayerSignal(name: name, kind: kind)
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
        try r.only(["layer", "sublayer", "spectral_norm", "hidden_grad_norms"], in: "a recurrent record")
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
