import GradscopeEngine

/// One entry of the spec's `layers` list: `{"type": …, "name": …, …}`.
/// Unnamed layers are named by type and position (`dense0`, `relu1`); inside
/// a residual block the position counts within the block.
package struct LayerSpec: Equatable, Sendable {
    package enum Body: Equatable, Sendable {
        case dense(units: Int, bias: Bool, weightInit: InitSpec?, biasInit: InitSpec?)
        case activation(LayerKind, parameter: Double?, threshold: Double?)
        case batchnorm(eps: Double?, momentum: Double?)
        case layernorm(eps: Double?)
        case dropout(p: Double)
        case residual([LayerSpec])
        case recurrent(RecurrentSpec)
    }

    var name: String?
    package var body: Body

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

extension LayerSpec {
    /// The layer's name in the model: its own, or its type and its position in its list.
    package func resolvedName(at i: Int) -> String { name ?? "\(kind.rawValue)\(i)" }

    /// Refuses a name used twice in one list (a residual block's list is
    /// its own): the model's names address its parameters and records.
    package static func checkNames(_ specs: [LayerSpec], path: String) throws(SpecError) {
        var used: Set<String> = []
        for (i, spec) in specs.enumerated() {
            let name = spec.resolvedName(at: i)
            guard used.insert(name).inserted else {
                throw SpecError("\(path)[\(i)].name", "\"\(name)\" is used twice; layer names must be unique")
            }
            if case .residual(let inner) = spec.body { try checkNames(inner, path: "\(path)[\(i)].layers") }
        }
    }

    /// Whether a batchnorm layer is anywhere in `specs`, residual blocks included.
    package static func containBatchNorm(_ specs: [LayerSpec]) -> Bool {
        specs.contains { spec in
            switch spec.body {
            case .batchnorm: true
            case .residual(let inner): containBatchNorm(inner)
            default: false
            }
        }
    }
}
