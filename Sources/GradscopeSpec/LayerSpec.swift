import GradscopeEngine

/// One entry of the spec's `layers` list: `{"type": …, "name": …, …}`.
/// Unnamed layers are named by type and position (`dense0`, `relu1`); inside
/// a residual block the position counts within the block.
struct LayerSpec: Equatable, Sendable {
    enum Body: Equatable, Sendable {
        case dense(units: Int, bias: Bool, weightInit: InitSpec?, biasInit: InitSpec?)
        case activation(LayerKind, parameter: Double?, threshold: Double?)
        case batchnorm(eps: Double?, momentum: Double?)
        case layernorm(eps: Double?)
        case dropout(p: Double)
        case residual([LayerSpec])
        case recurrent(RecurrentSpec)
    }

    var name: String?
    var body: Body

    static let types = LayerKind.allCases.map(\.rawValue)

    /// "a dense layer", "an rnn layer", "an lstm layer".
    static func describe(_ type: String) -> String { (["rnn", "lstm"].contains(type) ? "an " : "a ") + type + " layer" }
    static let maxUnits = 65_536

    static func read(_ value: JSONValue, path: String) throws(SpecError) -> LayerSpec {
        var r = try ObjectReader(value, path: path)
        guard let type = try r.string("type") else {
            throw SpecError(r.field("type"), "is required (one of \(types.joined(separator: ", ")))")
        }
        try Check.oneOf(type, types, r.field("type"))
        let kind = LayerKind(rawValue: type)!
        let name = try r.string("name")
        if let name, name.isEmpty || name.contains(".") || name.contains(where: \.isWhitespace) {
            throw SpecError(r.field("name"), "must be non-empty, without dots or spaces, got \"\(name)\"")
        }
        let fields = ["type", "name"] + Self.fields(of: kind)
        try r.only(fields, in: Self.describe(type))
        let body: Body
        switch kind {
        case .dense:
            guard let units = try r.integer("units") else { throw SpecError(r.field("units"), "is required for a dense layer") }
            try Check.range(units, 1, maxUnits, r.field("units"))
            body = .dense(units: units, bias: try r.bool("bias") ?? true,
                          weightInit: try InitSpec.read(&r), biasInit: try InitSpec.read(&r, prefix: "bias_"))
        case .leakyRelu:
            let slope = try r.number("slope")
            body = .activation(kind, parameter: slope, threshold: nil)
        case .elu:
            let alpha = try r.number("alpha")
            try Check.positive(alpha, r.field("alpha"))
            body = .activation(kind, parameter: alpha, threshold: nil)
        case .softplus:
            let beta = try r.number("beta"), threshold = try r.number("threshold")
            try Check.positive(beta, r.field("beta"))
            body = .activation(kind, parameter: beta, threshold: threshold)
        case .batchnorm:
            let eps = try r.number("eps"), momentum = try r.number("momentum")
            try Check.positive(eps, r.field("eps"))
            try Check.range(momentum, 0, 1, r.field("momentum"))
            body = .batchnorm(eps: eps, momentum: momentum)
        case .layernorm:
            let eps = try r.number("eps")
            try Check.positive(eps, r.field("eps"))
            body = .layernorm(eps: eps)
        case .dropout:
            let p = try r.number("p") ?? 0.5
            try Check.range(p, 0, 1, r.field("p"))
            body = .dropout(p: p)
        case .residual:
            guard let items = try r.array("layers"), !items.isEmpty else {
                throw SpecError(r.field("layers"), "is required for a residual block and must list at least one layer")
            }
            var inner: [LayerSpec] = []
            for (i, item) in items.enumerated() { inner.append(try read(item, path: "\(r.field("layers"))[\(i)]")) }
            body = .residual(inner)
        case .identity, .relu, .gelu, .sigmoid, .tanh:
            body = .activation(kind, parameter: nil, threshold: nil)
        case .rnn, .lstm, .gru:
            body = .recurrent(try RecurrentSpec.read(kind, &r))
        }
        try r.finish(Self.describe(type), accepted: fields)
        return LayerSpec(name: name, body: body)
    }

    /// The fields each layer type takes besides `type` and `name`.
    static func fields(of kind: LayerKind) -> [String] {
        switch kind {
        case .dense: ["units", "bias"] + InitSpec.weightFields + InitSpec.biasFields
        case .leakyRelu: ["slope"]
        case .elu: ["alpha"]
        case .softplus: ["beta", "threshold"]
        case .batchnorm: ["eps", "momentum"]
        case .layernorm: ["eps"]
        case .dropout: ["p"]
        case .residual: ["layers"]
        case .identity, .relu, .gelu, .sigmoid, .tanh: []
        case .rnn: RecurrentSpec.fields + ["nonlinearity"]
        case .lstm: RecurrentSpec.fields + ["forget_bias"]
        case .gru: RecurrentSpec.fields
        }
    }

    var kind: LayerKind {
        switch body {
        case .dense: .dense
        case .activation(let k, _, _): k
        case .batchnorm: .batchnorm
        case .layernorm: .layernorm
        case .dropout: .dropout
        case .residual: .residual
        case .recurrent(let r): r.kind
        }
    }
}

/// A recurrent layer's settings (`rnn`, `lstm`, `gru`): `hidden` (required),
/// `num_layers` (1), `nonlinearity` (rnn: tanh | relu), `return_sequences`
/// (false), `tbptt` (steps per truncated chunk; full BPTT when absent),
/// `bias` (true), `init` for `weight_ih` (any weight initialiser),
/// `bias_init`, and for `weight_hh` `recurrent_init` (pytorch_default |
/// orthogonal | identity | normal with `recurrent_std`, default 1/√hidden)
/// times `recurrent_scale` (1); lstm: `forget_bias` sets the forget gate's
/// `bias_ih` block to this value and its `bias_hh` block to 0 (Gers et al.
/// 2000; Jozefowicz et al. 2015 recommend 1), so the cell starts by keeping
/// its memory.
struct RecurrentSpec: Equatable, Sendable {
    var cell: Recurrent.Cell
    var hidden: Int
    var layers: Int
    var bias: Bool
    var returnSequences: Bool
    var tbptt: Int?
    var weightInit: InitSpec?
    var biasInit: InitSpec?
    var recurrentInit: String
    var recurrentStd: Double?
    var recurrentScale: Double
    var forgetBias: Double?

    static let recurrentInits = ["pytorch_default", "orthogonal", "identity", "normal"]
    static let fields = ["hidden", "num_layers", "return_sequences", "tbptt", "bias", "recurrent_init", "recurrent_std",
                         "recurrent_scale"] + InitSpec.weightFields.filter { $0 != "nonlinearity" } + InitSpec.biasFields
    static let maxLayers = 16

    var kind: LayerKind { cell.kind }

    static func read(_ kind: LayerKind, _ r: inout ObjectReader) throws(SpecError) -> RecurrentSpec {
        guard let hidden = try r.integer("hidden") else {
            throw SpecError(r.field("hidden"), "is required for \(LayerSpec.describe(kind.rawValue)) (the hidden state's size)")
        }
        try Check.range(hidden, 1, LayerSpec.maxUnits, r.field("hidden"))
        let layers = try r.integer("num_layers") ?? 1
        try Check.range(layers, 1, maxLayers, r.field("num_layers"))
        var cell = Recurrent.Cell.lstm
        switch kind {
        case .rnn:
            let nonlinearity = try r.string("nonlinearity") ?? "tanh"
            try Check.oneOf(nonlinearity, ["tanh", "relu"], r.field("nonlinearity"))
            cell = nonlinearity == "relu" ? .rnnRelu : .rnnTanh
        case .gru: cell = .gru
        default: break
        }
        let tbptt = try r.integer("tbptt")
        try Check.range(tbptt, 1, JobSpec.maxSequenceLength, r.field("tbptt"))
        let recurrentInit = try r.string("recurrent_init") ?? "pytorch_default"
        try Check.oneOf(recurrentInit, recurrentInits, r.field("recurrent_init"))
        let std = try r.number("recurrent_std")
        if std != nil && recurrentInit != "normal" {
            throw SpecError(r.field("recurrent_std"), "applies only to recurrent_init \"normal\"")
        }
        try Check.nonNegative(std, r.field("recurrent_std"))
        let scale = try r.number("recurrent_scale") ?? 1
        try Check.range(scale, 0, 100, r.field("recurrent_scale"))
        let forgetBias = try r.number("forget_bias")
        try Check.range(forgetBias, -100, 100, r.field("forget_bias"))
        let bias = try r.bool("bias") ?? true
        if forgetBias != nil && !bias { throw SpecError(r.field("forget_bias"), "needs bias true") }
        return RecurrentSpec(
            cell: cell, hidden: hidden, layers: layers, bias: bias,
            returnSequences: try r.bool("return_sequences") ?? false, tbptt: tbptt,
            weightInit: try InitSpec.read(&r, layerOwnsNonlinearity: true),
            biasInit: try InitSpec.read(&r, prefix: "bias_"),
            recurrentInit: recurrentInit, recurrentStd: std, recurrentScale: scale, forgetBias: forgetBias)
    }

    var engineRecurrentInit: RecurrentInit {
        switch recurrentInit {
        case "orthogonal": .orthogonal
        case "identity": .identity
        case "normal": .normal(std: recurrentStd ?? 1 / Double(hidden).squareRoot())
        default: .pytorchDefault
        }
    }

    func parameters(inputWidth: Int) -> Int {
        let gh = cell.gates * hidden
        return (0..<layers).reduce(0) { total, k in
            total + gh * ((k == 0 ? inputWidth : hidden) + hidden) + (bias ? 2 * gh : 0)
        }
    }
}

/// The values between two layers: `width` per row, of which sequence data
/// has `steps` time steps (time-major), flat data none.
struct FlowShape: Equatable {
    var width: Int
    var steps: Int?

    /// The shape after `spec`; throws where a layer cannot take this input.
    /// A dense layer reads a sequence's row as one flat vector (as
    /// `nn.Flatten` then `nn.Linear`); normalisation and residual blocks
    /// need flat features.
    func after(_ spec: LayerSpec, field: String) throws(SpecError) -> FlowShape {
        switch spec.body {
        case .recurrent(let r):
            guard let steps else {
                throw SpecError(field, "\(LayerSpec.describe(r.kind.rawValue)) needs sequence input: a sequence dataset (adding, "
                    + "temporal_order, memory, digits_rows), csv with sequence_length, or a recurrent layer before it "
                    + "with return_sequences true")
            }
            return r.returnSequences ? FlowShape(width: steps * r.hidden, steps: steps) : FlowShape(width: r.hidden)
        case .dense(let units, _, _, _): return FlowShape(width: units)
        case .batchnorm, .layernorm, .residual:
            if steps != nil {
                throw SpecError(field, "\(LayerSpec.describe(spec.kind.rawValue)) needs flat features, not a sequence; put it after the "
                    + "last recurrent layer (return_sequences false) or after a dense layer")
            }
            return self
        case .activation, .dropout: return self
        }
    }
}

/// Parameters that `specs` would have on `inputWidth` inputs, counted
/// without allocating them, so an absurd model is refused before it takes
/// the memory. Returns the output width too.
/// `activations` estimates the values kept per batch row for the backward
/// pass (each layer's output and gradient; for recurrent layers every
/// step's gates and states), so that a batch too large to hold is refused
/// before it is allocated too.
func countParameters(_ specs: [LayerSpec], input: FlowShape, path: String) throws(SpecError)
    -> (parameters: Int, width: Int, activations: Int)
{
    var total = 0, activations = 0, shape = input
    for (i, spec) in specs.enumerated() {
        let width = shape.width
        var next = try shape.after(spec, field: "\(path)[\(i)]")
        switch spec.body {
        case .dense(let units, let bias, _, _): total += units * width + (bias ? units : 0)
        case .batchnorm, .layernorm: total += 2 * width
        case .residual(let inner):
            let (p, out, inner) = try countParameters(inner, input: FlowShape(width: width), path: "\(path)[\(i)].layers")
            total += p + (out != width ? out * width + out : 0)
            activations += inner
            next.width = out
        case .recurrent(let r):
            total += r.parameters(inputWidth: width / shape.steps!)
            // Per stacked layer: gates and their gradients (2·G·H), states, cells and the rest (4·H) per step.
            activations += r.layers * shape.steps! * (2 * r.cell.gates * r.hidden + 4 * r.hidden)
        case .activation, .dropout: break
        }
        activations += 2 * next.width
        shape = next
    }
    return (total, shape.width, activations)
}

/// Turns layer specs into engine layers, tracking the width through them.
struct ModelBuilder {
    var random: Random

    /// Builds `specs` for `input`; returns the layers and the output width.
    /// `path` prefixes error fields.
    mutating func build(_ specs: [LayerSpec], input: FlowShape, path: String) throws(SpecError) -> ([Layer], Int) {
        var layers: [Layer] = []
        var shape = input
        var usedNames: Set<String> = []
        for (i, spec) in specs.enumerated() {
            let width = shape.width
            var next = try shape.after(spec, field: "\(path)[\(i)]")
            let name = spec.name ?? "\(spec.kind.rawValue)\(i)"
            let field = "\(path)[\(i)]"
            guard usedNames.insert(name).inserted else {
                throw SpecError("\(field).name", "\"\(name)\" is used twice; layer names must be unique")
            }
            let following = Self.followingActivation(specs, after: i)
            let layer: Layer
            switch spec.body {
            case .dense(let units, let bias, let weightInit, let biasInit):
                let dense = Dense(name: name, inputWidth: width, outputWidth: units, bias: bias)
                (weightInit ?? InitSpec(name: "pytorch_default")).initializer(following: following)
                    .fill(dense.weight.value, fanIn: width, fanOut: units, random: &random)
                if let b = dense.bias {
                    (biasInit ?? InitSpec(name: "pytorch_default")).initializer(following: nil)
                        .fill(b.value, fanIn: width, fanOut: units, random: &random)
                }
                layer = dense
            case .activation(let kind, let parameter, let threshold):
                layer = Activation(name: name, kind: kind, parameter: parameter.map(Float.init),
                                   threshold: Float(threshold ?? 20))
            case .batchnorm(let eps, let momentum):
                layer = BatchNorm(name: name, width: width, eps: Float(eps ?? 1e-5), momentum: Float(momentum ?? 0.1))
            case .layernorm(let eps):
                layer = LayerNorm(name: name, width: width, eps: Float(eps ?? 1e-5))
            case .dropout(let p):
                layer = Dropout(name: name, p: Float(p))
            case .residual(let inner):
                let (body, out) = try build(inner, input: FlowShape(width: width), path: "\(field).layers")
                var projection: Dense?
                if out != width {
                    let proj = Dense(name: "proj", inputWidth: width, outputWidth: out)
                    Initializer.pytorchDefault.fill(proj.weight.value, fanIn: width, fanOut: out, random: &random)
                    Initializer.pytorchDefault.fill(proj.bias!.value, fanIn: width, fanOut: out, random: &random)
                    projection = proj
                }
                next.width = out
                layer = Residual(name: name, body: body, projection: projection)
            case .recurrent(let r):
                let recurrent = Recurrent(
                    name: name, cell: r.cell, inputWidth: width / shape.steps!, hidden: r.hidden, layers: r.layers,
                    bias: r.bias, returnSequences: r.returnSequences, tbptt: r.tbptt)
                let cellActivation: (kind: LayerKind, slope: Double) = (r.cell == .rnnRelu ? .relu : .tanh, 0)
                recurrent.initialize(
                    input: r.weightInit?.initializer(following: cellActivation),
                    bias: r.biasInit?.initializer(following: nil), recurrent: r.engineRecurrentInit,
                    scale: r.recurrentScale, random: &random)
                if let forget = r.forgetBias { recurrent.setForgetBias(Float(forget)) }
                layer = recurrent
            }
            layers.append(layer)
            shape = next
        }
        return (layers, shape.width)
    }

    /// The first activation after layer `i`, skipping normalisation and
    /// dropout, whose gain kaiming init uses by default; none (linear) when
    /// another dense layer or the end comes first.
    static func followingActivation(_ specs: [LayerSpec], after i: Int) -> (kind: LayerKind, slope: Double)? {
        for spec in specs[(i + 1)...] {
            switch spec.body {
            case .activation(let kind, let parameter, _): return (kind, kind == .leakyRelu ? parameter ?? 0.01 : 0)
            case .batchnorm, .layernorm, .dropout: continue
            default: return nil
            }
        }
        return nil
    }
}
