import GradscopeEngine

/// `{"type":"start",…}`, first in every run: its shape, so that a consumer
/// can lay out its charts before the first step (layer names, histogram
/// edges). An engine job fills every field; an external run declares
/// `source`, its name, length, layers (with their PyTorch `module`) and
/// `modules`, and leaves the rest out.
public struct StartRecord: Sendable, Equatable {
    /// One entry of `layers`: every layer of an engine job (those without
    /// parameters too), the declared layers of an external run.
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// A `LayerKind` name, or "other" for a kind the engine does not have.
        public var kind: String
        public var module: String?
        public var hasParameters: Bool
        public var params: [Param]

        public init(name: String, kind: String, module: String? = nil, hasParameters: Bool, params: [Param]) {
            self.name = name
            self.kind = kind
            self.module = module
            self.hasParameters = hasParameters
            self.params = params
        }
    }

    public struct Param: Sendable, Equatable {
        public var name: String
        public var shape: [Int]

        public init(name: String, shape: [Int]) {
            self.name = name
            self.shape = shape
        }
    }

    /// The shape of an engine job, absent from an external run's record.
    public struct Training: Sendable, Equatable {
        public var seed: Int
        public var loss: String
        public var parameters: Int
        public var stepsPerEpoch: Int
        public var trainSamples: Int
        public var validationSamples: Int
        public var inputWidth: Int
        public var outputWidth: Int

        public init(seed: Int, loss: String, parameters: Int, stepsPerEpoch: Int, trainSamples: Int, validationSamples: Int,
                    inputWidth: Int, outputWidth: Int) {
            self.seed = seed
            self.loss = loss
            self.parameters = parameters
            self.stepsPerEpoch = stepsPerEpoch
            self.trainSamples = trainSamples
            self.validationSamples = validationSamples
            self.inputWidth = inputWidth
            self.outputWidth = outputWidth
        }
    }

    public var name: String?
    /// Set for an engine job; nil for an external run, whose record says `"source": "external"`.
    public var training: Training?
    public var totalSteps: Int
    public var baselineLoss: Double?
    /// The parameter-free kinds an external run declared (activations).
    public var modules: [String]
    public var layers: [Layer]
    public var edges: HistogramEdges

    public init(name: String?, training: Training?, totalSteps: Int, baselineLoss: Double?, modules: [String] = [],
                layers: [Layer], edges: HistogramEdges) {
        self.name = name
        self.training = training
        self.totalSteps = totalSteps
        self.baselineLoss = baselineLoss
        self.modules = modules
        self.layers = layers
        self.edges = edges
    }

    public var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "start")
        w.field("name", name)
        if let t = training {
            w.field("seed", t.seed)
            w.field("loss", t.loss)
            w.field("parameters", t.parameters)
        } else {
            w.field("source", "external")
        }
        w.field("total_steps", totalSteps)
        if let t = training {
            w.field("steps_per_epoch", t.stepsPerEpoch)
            w.field("train_samples", t.trainSamples)
            w.field("validation_samples", t.validationSamples)
            w.field("input_width", t.inputWidth)
            w.field("output_width", t.outputWidth)
        }
        w.field("baseline_loss", baselineLoss)
        if training == nil {
            w.beginArray("modules")
            for m in modules { w.element(m) }
            w.endArray()
        }
        w.beginArray("layers")
        for layer in layers {
            w.beginObject()
            w.field("name", layer.name)
            w.field("kind", layer.kind)
            if let module = layer.module { w.field("module", module) }
            w.field("has_parameters", layer.hasParameters)
            w.beginArray("params")
            for p in layer.params {
                w.beginObject()
                w.field("name", p.name)
                w.ints("shape", p.shape)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.beginObject("hist_edges")
        w.field("bins", edges.bins)
        w.field("min", edges.low)
        w.field("max", edges.high)
        w.field("scale", "log10")
        w.endObject()
        w.endObject()
        return w.text
    }

    static let fields = ["type", "name", "seed", "loss", "parameters", "source", "total_steps", "steps_per_epoch",
                         "train_samples", "validation_samples", "input_width", "output_width", "baseline_loss", "modules",
                         "layers", "hist_edges"]
    static let trainingFields = ["seed", "loss", "parameters", "steps_per_epoch", "train_samples", "validation_samples",
                                 "input_width", "output_width"]

    /// The checked reader of a start record written by `json`.
    public init(json: JSONValue, path: String = "") throws(SpecError) {
        var r = try ObjectReader(json, path: path)
        try r.only(Self.fields, in: "a start record")
        _ = try r.string("type")
        name = try r.string("name")
        if try r.string("source") == "external" {
            try r.forbid(Self.trainingFields, because: "is not a field of an external run's start record")
            training = nil
        } else {
            func required(_ key: String) throws(SpecError) -> Int {
                guard let v = try r.integer(key) else { throw SpecError(r.field(key), "is required") }
                return v
            }
            guard let loss = try r.string("loss") else { throw SpecError(r.field("loss"), "is required") }
            training = Training(
                seed: try required("seed"), loss: loss, parameters: try required("parameters"),
                stepsPerEpoch: try required("steps_per_epoch"), trainSamples: try required("train_samples"),
                validationSamples: try required("validation_samples"), inputWidth: try required("input_width"),
                outputWidth: try required("output_width"))
        }
        totalSteps = try r.integer("total_steps") ?? 0
        baselineLoss = try r.number("baseline_loss")
        modules = []
        for (i, m) in (try r.array("modules") ?? []).enumerated() {
            guard case .string(let s) = m else { throw SpecError(r.field("modules[\(i)]"), "must be a string") }
            modules.append(s)
        }
        layers = []
        for (i, item) in (try r.array("layers") ?? []).enumerated() {
            var l = try ObjectReader(item, path: r.field("layers[\(i)]"))
            try l.only(["name", "kind", "module", "has_parameters", "params"], in: "a layer declaration")
            guard let name = try l.string("name"), let kind = try l.string("kind") else {
                throw SpecError(l.path, "needs a name and a kind")
            }
            var params: [Param] = []
            for (j, p) in (try l.array("params") ?? []).enumerated() {
                var pr = try ObjectReader(p, path: l.field("params[\(j)]"))
                try pr.only(["name", "shape"], in: "a parameter declaration")
                guard let pname = try pr.string("name") else { throw SpecError(pr.field("name"), "is required") }
                params.append(Param(name: pname, shape: try pr.integers("shape")))
            }
            layers.append(Layer(name: name, kind: kind, module: try l.string("module"),
                                hasParameters: try l.bool("has_parameters") ?? true, params: params))
        }
        guard var e = try r.object("hist_edges") else { throw SpecError(r.field("hist_edges"), "is required") }
        try e.only(["bins", "min", "max", "scale"], in: "hist_edges")
        edges = try HistogramEdges.read(&e)
    }
}

extension HistogramEdges {
    /// `hist_edges` as a run's declaration and a start record write it:
    /// defaults for what is absent, bounds checked.
    static func read(_ e: inout ObjectReader) throws(SpecError) -> HistogramEdges {
        let bins = try e.integer("bins") ?? defaultBins, low = try e.number("min") ?? defaultLow
        let high = try e.number("max") ?? defaultHigh
        try Check.range(bins, 1, 1024, e.field("bins"))
        try Check.positive(low, e.field("min"))
        guard high > low else { throw SpecError(e.field("max"), "must be greater than min") }
        try Check.oneOf(try e.string("scale"), ["log10"], e.field("scale"))
        return HistogramEdges(bins: bins, low: low, high: high)
    }
}

extension ObjectReader {
    /// An array of whole numbers ≥ 0 (a shape, counts), empty when absent.
    mutating func integers(_ key: String) throws(SpecError) -> [Int] {
        try (array(key) ?? []).enumerated().map { (k, d) throws(SpecError) in
            guard case .number(let v) = d, v >= 0, v == v.rounded(), v < 9e15 else {
                throw SpecError(field("\(key)[\(k)]"), "must be a whole number ≥ 0")
            }
            return Int(v)
        }
    }
}
