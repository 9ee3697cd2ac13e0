import GradscopeEngine

/// The `mlp` shorthand: `depth` hidden blocks of `width` units, then an
/// output dense layer sized by the data. Each block is
/// dense → [batchnorm] → [layernorm] → activation → [dropout]; with
/// `residual: true` every block after the first (whose input width differs)
/// is wrapped in a residual block x + f(x). `init` and its parameters apply
/// to every dense layer, the output layer included.
///
/// Defaults: activation "relu", init "pytorch_default", batchnorm false,
/// layernorm false, dropout 0, residual false.
package enum MLPSpec {
    static let fields = ["depth", "width", "activation", "slope", "batchnorm", "layernorm", "dropout", "residual"]
        + InitSpec.weightFields + InitSpec.biasFields
    static let activations = ["identity", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softplus"]

    /// Expands the shorthand into the equivalent explicit layer list (less the
    /// output layer's width, which the data decides: `outputUnits`).
    static func read(_ r: inout ObjectReader, outputUnits: Int) throws(SpecError) -> [LayerSpec] {
        guard let depth = try r.integer("depth") else { throw SpecError(r.field("depth"), "is required (hidden layers)") }
        try Check.range(depth, 1, 1000, r.field("depth"))
        guard let width = try r.integer("width") else { throw SpecError(r.field("width"), "is required (units per hidden layer)") }
        try Check.range(width, 1, LayerSpec.maxUnits, r.field("width"))
        let activation = try r.string("activation") ?? "relu"
        try Check.oneOf(activation, activations, r.field("activation"))
        let slope = try r.number("slope")
        if slope != nil && activation != "leaky_relu" {
            throw SpecError(r.field("slope"), "applies to activation \"leaky_relu\" only")
        }
        let batchnorm = try r.bool("batchnorm") ?? false, layernorm = try r.bool("layernorm") ?? false
        let dropout = try r.number("dropout") ?? 0
        try Check.range(dropout, 0, 1, r.field("dropout"), open: true)
        let residual = try r.bool("residual") ?? false
        let weightInit = try InitSpec.read(&r), biasInit = try InitSpec.read(&r, prefix: "bias_")
        try r.finish("mlp", accepted: fields)

        func dense(_ units: Int) -> LayerSpec {
            LayerSpec(body: .dense(units: units, bias: true, weightInit: weightInit, biasInit: biasInit))
        }
        var block = [dense(width)]
        if batchnorm { block.append(LayerSpec(body: .batchnorm(eps: nil, momentum: nil))) }
        if layernorm { block.append(LayerSpec(body: .layernorm(eps: nil))) }
        block.append(LayerSpec(body: .activation(LayerKind(rawValue: activation)!, parameter: slope, threshold: nil)))
        if dropout > 0 { block.append(LayerSpec(body: .dropout(p: dropout))) }

        var layers: [LayerSpec] = []
        for i in 0..<depth {
            if residual && i > 0 { layers.append(LayerSpec(body: .residual(block))) } else { layers += block }
        }
        layers.append(dense(outputUnits))
        return layers
    }

    /// The expansion with its output layer sized for the data.
    package static func settingOutput(_ layers: [LayerSpec], units: Int) -> [LayerSpec] {
        var layers = layers
        if case .dense(_, let bias, let w, let b) = layers[layers.count - 1].body {
            layers[layers.count - 1].body = .dense(units: units, bias: bias, weightInit: w, biasInit: b)
        }
        return layers
    }
}
