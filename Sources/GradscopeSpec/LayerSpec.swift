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
    }

    var name: String?
    var body: Body

    static let types = LayerKind.allCases.map(\.rawValue)
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
        try r.only(fields, in: "a \(type) layer")
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
        }
        try r.finish("a \(type) layer", accepted: fields)
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
        }
    }
}

/// Parameters that `specs` would have on `inputWidth` inputs, counted
/// without allocating them, so an absurd model is refused before it takes
/// the memory. Returns the output width too.
func countParameters(_ specs: [LayerSpec], inputWidth: Int) -> (parameters: Int, width: Int) {
    var total = 0, width = inputWidth
    for spec in specs {
        switch spec.body {
        case .dense(let units, let bias, _, _):
            total += units * width + (bias ? units : 0)
            width = units
        case .batchnorm, .layernorm: total += 2 * width
        case .residual(let inner):
            let (p, out) = countParameters(inner, inputWidth: width)
            total += p + (out != width ? out * width + out : 0)
            width = out
        case .activation, .dropout: break
        }
    }
    return (total, width)
}

/// Turns layer specs into engine layers, tracking the width through them.
struct ModelBuilder {
    var random: Random

    /// Builds `specs` for `inputWidth` inputs; returns the layers and the
    /// output width. `path` prefixes error fields.
    mutating func build(_ specs: [LayerSpec], inputWidth: Int, path: String) throws(SpecError) -> ([Layer], Int) {
        var layers: [Layer] = []
        var width = inputWidth
        var usedNames: Set<String> = []
        for (i, spec) in specs.enumerated() {
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
                width = units
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
                let (body, out) = try build(inner, inputWidth: width, path: "\(field).layers")
                var projection: Dense?
                if out != width {
                    let proj = Dense(name: "proj", inputWidth: width, outputWidth: out)
                    Initializer.pytorchDefault.fill(proj.weight.value, fanIn: width, fanOut: out, random: &random)
                    Initializer.pytorchDefault.fill(proj.bias!.value, fanIn: width, fanOut: out, random: &random)
                    projection = proj
                }
                width = out
                layer = Residual(name: name, body: body, projection: projection)
            }
            layers.append(layer)
        }
        return (layers, width)
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
