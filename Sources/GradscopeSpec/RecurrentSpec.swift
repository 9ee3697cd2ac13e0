import GradscopeEngine

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
package struct RecurrentSpec: Equatable, Sendable {
    package var cell: Recurrent.Cell
    package var hidden: Int
    package var layers: Int
    package var bias: Bool
    package var returnSequences: Bool
    package var tbptt: Int?
    package var weightInit: InitSpec?
    package var biasInit: InitSpec?
    var recurrentInit: String
    var recurrentStd: Double?
    package var recurrentScale: Double
    package var forgetBias: Double?

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

    package var engineRecurrentInit: RecurrentInit {
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
