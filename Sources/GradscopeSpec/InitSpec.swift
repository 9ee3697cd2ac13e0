import GradscopeEngine

/// A weight or bias initialiser as the spec names it, with its own
/// parameters beside it (`"init":"normal","std":0.5`).
///
/// Weights: pytorch_default, xavier_uniform, xavier_normal (gain, default 1),
/// kaiming_uniform, kaiming_normal (mode fan_in|fan_out, nonlinearity
/// linear|relu|leaky_relu|tanh|sigmoid, default: the activation that follows
/// the layer), normal (mean 0, std 1), uniform (a: U(−a, a), default 1),
/// orthogonal (gain, default 1), zeros, constant (value).
/// Biases (`bias_init`, parameters prefixed `bias_`): pytorch_default
/// (U(±1/√fan_in)), zeros, constant (bias_value), normal (bias_mean,
/// bias_std), uniform (bias_a).
package struct InitSpec: Equatable, Sendable {
    var name: String
    var mean: Double?, std: Double?, a: Double?, gain: Double?, value: Double?
    var mode: String?, nonlinearity: String?

    /// An initialiser by name, with its defaults (`pytorch_default` when a layer names none).
    package init(name: String) { self.name = name }

    static let weightNames = [
        "pytorch_default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
        "normal", "uniform", "orthogonal", "zeros", "constant",
    ]
    static let biasNames = ["pytorch_default", "zeros", "constant", "normal", "uniform"]
    static let weightFields = ["init", "mean", "std", "a", "gain", "value", "mode", "nonlinearity"]
    static let biasFields = ["bias_init", "bias_mean", "bias_std", "bias_a", "bias_value"]

    /// Which parameter fields each initialiser takes.
    private static func parameters(of name: String) -> [String] {
        switch name {
        case "xavier_uniform", "xavier_normal", "orthogonal": ["gain"]
        case "kaiming_uniform", "kaiming_normal": ["mode", "nonlinearity"]
        case "normal": ["mean", "std"]
        case "uniform": ["a"]
        case "constant": ["value"]
        default: []
        }
    }

    /// Reads `init` and its parameters (or, with `prefix: "bias_"`, the bias's).
    /// A recurrent layer owns the field `nonlinearity` (its cell's), so
    /// there kaiming takes its gain from the cell: `layerOwnsNonlinearity`.
    static func read(_ r: inout ObjectReader, prefix: String = "", layerOwnsNonlinearity: Bool = false) throws(SpecError) -> InitSpec? {
        let isBias = !prefix.isEmpty
        let key = isBias ? "bias_init" : "init"
        let names = isBias ? biasNames : weightNames
        let given = try r.string(key)
        try Check.oneOf(given, names, r.field(key))
        let name = given ?? "pytorch_default"
        var all = isBias ? ["mean", "std", "a", "value"] : ["mean", "std", "a", "gain", "value", "mode", "nonlinearity"]
        var takes = parameters(of: name)
        if layerOwnsNonlinearity { all.removeAll { $0 == "nonlinearity" }; takes.removeAll { $0 == "nonlinearity" } }
        for p in all where !takes.contains(p) && r.has(prefix + p) {
            throw SpecError(r.field(prefix + p), "does not apply to \(key) \"\(name)\"" +
                (takes.isEmpty ? ", which takes no parameters" : " (it takes \(takes.map { prefix + $0 }.joined(separator: ", ")))"))
        }
        var spec = InitSpec(name: name)
        spec.mean = try r.number(prefix + "mean")
        spec.std = try r.number(prefix + "std")
        spec.a = try r.number(prefix + "a")
        spec.value = try r.number(prefix + "value")
        if !isBias {
            spec.gain = try r.number("gain")
            spec.mode = try r.string("mode")
            spec.nonlinearity = layerOwnsNonlinearity ? nil : try r.string("nonlinearity")
            try Check.oneOf(spec.mode, ["fan_in", "fan_out"], r.field("mode"))
            try Check.oneOf(spec.nonlinearity, ["linear", "relu", "leaky_relu", "tanh", "sigmoid"], r.field("nonlinearity"))
            try Check.positive(spec.gain, r.field("gain"))
        }
        if name == "constant" && spec.value == nil {
            throw SpecError(r.field(prefix + "value"), "is required with \(key) \"constant\"")
        }
        try Check.nonNegative(spec.std, r.field(prefix + "std"))
        try Check.nonNegative(spec.a, r.field(prefix + "a"))
        return given == nil && takes.isEmpty ? nil : spec
    }

    /// The engine initialiser; `following` is the activation after the layer
    /// (for kaiming's default gain).
    package func initializer(following: (kind: LayerKind, slope: Double)?) -> Initializer {
        switch name {
        case "xavier_uniform": return .xavierUniform(gain: gain ?? 1)
        case "xavier_normal": return .xavierNormal(gain: gain ?? 1)
        case "kaiming_uniform", "kaiming_normal":
            let kind: LayerKind? = nonlinearity.map { $0 == "linear" ? .identity : LayerKind(rawValue: $0)! } ?? following?.kind
            let g = Initializer.gain(for: kind, slope: following?.slope ?? 0.01)
            let m: Initializer.FanMode = mode == "fan_out" ? .fanOut : .fanIn
            return name == "kaiming_uniform" ? .kaimingUniform(gain: g, mode: m) : .kaimingNormal(gain: g, mode: m)
        case "normal": return .normal(mean: mean ?? 0, std: std ?? 1)
        case "uniform": return .uniform(low: -(a ?? 1), high: a ?? 1)
        case "orthogonal": return .orthogonal(gain: gain ?? 1)
        case "zeros": return .zeros
        case "constant": return .constant(value ?? 0)
        default: return .pytorchDefault
        }
    }
}
