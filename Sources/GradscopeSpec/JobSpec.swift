import Foundation
import GradscopeEngine

/// A training job as JSON (snake_case), read strictly: unknown fields,
/// wrong types and out-of-range values are rejected with a `SpecError`
/// that names the field. Every field is documented in the README's
/// "Job spec" section.
///
/// It is read from a `JSONValue` field by field (`JobSpec.parse` for
/// bytes), because per-type field sets (an sgd optimizer takes `momentum`,
/// adam does not) and field-naming messages are beyond synthesized
/// `Codable`.
public struct JobSpec: Sendable {
    public var name: String?
    public var seed: UInt64
    package var data: DataSpec
    /// Explicit layers, or the expansion of the `mlp` shorthand (whose
    /// output width is set from the data at build time).
    package var layers: [LayerSpec]
    package var isShorthand: Bool
    package var loss: Loss?
    package var optimizer: OptimizerSpec
    package var schedule: Schedule
    public var training: TrainingSpec
    public var diagnostics: DiagnosticsSpec
    package var clip: ClipConfig
    package var skipNonfinite: Bool
    /// A checkpoint to start from (path, relative to the spec's folder).
    public var initFrom: String?
    /// The document as given, for echoing back.
    public let json: JSONValue

    public struct TrainingSpec: Sendable, Equatable {
        public var epochs: Int?
        public var steps: Int?
        public var batchSize: Int
        public var shuffle: Bool
        public var validationSplit: Double
    }

    public struct DiagnosticsSpec: Sendable, Equatable {
        public var every: Int
        public var edges: HistogramEdges
    }

    static let fields = ["name", "seed", "data", "mlp", "layers", "loss", "optimizer", "schedule", "clip", "training",
                         "diagnostics", "init_from"]
    public static let maxSteps = 10_000_000
    public static let maxBatchSize = 65_536
    public static let maxSequenceLength = 10_000
    public static let maxParameters = 50_000_000

    /// Parses a spec from JSON bytes; invalid JSON is a `SpecError` too.
    public static func parse(_ data: Data) throws(SpecError) -> JobSpec {
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw SpecError("", "the spec is not valid JSON: \(error)")
        }
        return try JobSpec(json: json)
    }

    public init(json: JSONValue) throws(SpecError) {
        self.json = json
        var r = try ObjectReader(json, path: "")
        name = try r.string("name")
        let seed = try r.integer("seed") ?? 0
        if seed < 0 || seed > 1 << 53 { throw SpecError("seed", "must be a whole number from 0 to 2^53, got \(seed)") }
        self.seed = UInt64(seed)

        guard var d = try r.object("data") else { throw SpecError("data", "is required, e.g. {\"source\": \"spirals\"}") }
        data = try DataSpec.read(&d)

        let lossName = try r.string("loss")
        try Check.oneOf(lossName, Loss.allCases.map(\.rawValue), "loss")
        loss = lossName.flatMap(Loss.init(rawValue:))

        switch (r.has("mlp"), r.has("layers")) {
        case (true, true): throw SpecError("layers", "cannot be given together with mlp; use one of them")
        case (false, false): throw SpecError("mlp", "or layers is required to describe the model")
        case (true, false):
            var m = try r.object("mlp")!
            layers = try MLPSpec.read(&m, outputUnits: 1)
            isShorthand = true
        case (false, true):
            let items = try r.array("layers")!
            if items.isEmpty { throw SpecError("layers", "must list at least one layer") }
            var list: [LayerSpec] = []
            for (i, item) in items.enumerated() { list.append(try LayerSpec.read(item, path: "layers[\(i)]")) }
            layers = list
            isShorthand = false
        }

        guard var o = try r.object("optimizer") else {
            throw SpecError("optimizer", "is required, e.g. {\"type\": \"sgd\", \"lr\": 0.1}")
        }
        optimizer = try OptimizerSpec.read(&o)
        if var s = try r.object("schedule") {
            schedule = try ScheduleSpec.read(&s, lr: optimizer.lr)
        } else {
            schedule = Schedule(baseLR: optimizer.lr)
        }

        var c = try r.object("clip") ?? ObjectReader.empty("clip")
        (clip, skipNonfinite) = try ClipSpec.read(&c)

        var t = try r.object("training") ?? ObjectReader.empty("training")
        let epochs = try t.integer("epochs"), steps = try t.integer("steps")
        if epochs != nil && steps != nil { throw SpecError("training.steps", "cannot be given together with training.epochs") }
        try Check.range(epochs, 1, 1_000_000, "training.epochs")
        try Check.range(steps, 1, Self.maxSteps, "training.steps")
        let batchSize = try t.integer("batch_size") ?? 32
        try Check.range(batchSize, 1, Self.maxBatchSize, "training.batch_size")
        let split = try t.number("validation_split") ?? 0
        try Check.range(split, 0, 1, "training.validation_split", open: true)
        training = TrainingSpec(epochs: steps == nil ? (epochs ?? 10) : nil, steps: steps, batchSize: batchSize,
                                shuffle: try t.bool("shuffle") ?? true, validationSplit: split)
        try t.finish("training", accepted: ["epochs", "steps", "batch_size", "shuffle", "validation_split"])

        var g = try r.object("diagnostics") ?? ObjectReader.empty("diagnostics")
        let every = try g.integer("every") ?? 1
        try Check.range(every, 1, Self.maxSteps, "diagnostics.every")
        let bins = try g.integer("bins") ?? HistogramEdges.defaultBins
        try Check.range(bins, 1, 1024, "diagnostics.bins")
        let low = try g.number("hist_min") ?? HistogramEdges.defaultLow, high = try g.number("hist_max") ?? HistogramEdges.defaultHigh
        try Check.positive(low, "diagnostics.hist_min")
        if !(high > low) { throw SpecError("diagnostics.hist_max", "must be greater than diagnostics.hist_min, got \(Check.show(high))") }
        diagnostics = DiagnosticsSpec(every: every, edges: HistogramEdges(bins: bins, low: low, high: high))
        try g.finish("diagnostics", accepted: ["every", "bins", "hist_min", "hist_max"])

        initFrom = try r.string("init_from")
        try r.finish("the spec", accepted: Self.fields)
    }

    /// "orthogonal" when every recurrent layer starts orthogonal at scale 1,
    /// else the shared `recurrent_init`, else nil.
    package var recurrentInitializer: String? {
        let all = Set(layers.compactMap { spec -> String? in
            guard case .recurrent(let r) = spec.body else { return nil }
            return r.recurrentInit == "orthogonal" && r.recurrentScale != 1 ? "orthogonal_scaled" : r.recurrentInit
        })
        return all.count == 1 ? all.first : nil
    }

    /// The weight initialiser when every dense layer uses the same one.
    package var weightInitializer: String? {
        func names(_ list: [LayerSpec]) -> [String] {
            list.flatMap { spec -> [String] in
                switch spec.body {
                case .dense(_, _, let w, _): [w?.name ?? "pytorch_default"]
                case .residual(let inner): names(inner)
                default: []
                }
            }
        }
        let all = Set(names(layers))
        return all.count == 1 ? all.first : nil
    }

}
