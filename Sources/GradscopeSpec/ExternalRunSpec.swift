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
            edges = try HistogramEdges.read(&e)
        } else {
            edges = HistogramEdges()
        }
    }

    /// What its step records are held to: these layers, in order, and these edges.
    public var layout: RecordLayout { RecordLayout(layers: layers.map { ($0.name, $0.kind) }, edges: edges) }

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
