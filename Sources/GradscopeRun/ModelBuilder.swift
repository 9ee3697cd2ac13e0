import GradscopeEngine
import GradscopeSpec

/// Turns planned layers into engine layers, initialised.
struct ModelBuilder {
    var random: Random

    /// Builds `specs` for `input`; returns the layers and the output width.
    /// `path` prefixes error fields.
    mutating func build(_ specs: [LayerSpec], input: FlowShape, path: String) throws(SpecError) -> ([Layer], Int) {
        let plans = try LayerPlan.walk(specs, input: input, path: path)
        return (try build(plans, path: path), plans.last?.output.width ?? input.width)
    }

    mutating func build(_ plans: [LayerPlan], path: String) throws(SpecError) -> [Layer] {
        try LayerSpec.checkNames(plans.map(\.spec), path: path)
        return list(plans)
    }

    private mutating func list(_ plans: [LayerPlan]) -> [Layer] {
        let specs = plans.map(\.spec)
        return plans.map { plan in
            let name = plan.name, width = plan.input.width
            let following = Self.followingActivation(specs, after: plan.index)
            switch plan.spec.body {
            case .dense(let units, let bias, let weightInit, let biasInit):
                let dense = Dense(name: name, inputWidth: width, outputWidth: units, bias: bias)
                (weightInit ?? InitSpec(name: "pytorch_default")).initializer(following: following)
                    .fill(dense.weight.value, fanIn: width, fanOut: units, random: &random)
                if let b = dense.bias {
                    (biasInit ?? InitSpec(name: "pytorch_default")).initializer(following: nil)
                        .fill(b.value, fanIn: width, fanOut: units, random: &random)
                }
                return dense
            case .activation(let kind, let parameter, let threshold):
                return Activation(name: name, kind: kind, parameter: parameter.map(Float.init), threshold: Float(threshold ?? 20))
            case .batchnorm(let eps, let momentum):
                return BatchNorm(name: name, width: width, eps: Float(eps ?? 1e-5), momentum: Float(momentum ?? 0.1))
            case .layernorm(let eps):
                return LayerNorm(name: name, width: width, eps: Float(eps ?? 1e-5))
            case .dropout(let p):
                return Dropout(name: name, p: Float(p))
            case .residual:
                let body = list(plan.inner), out = plan.output.width
                var projection: Dense?
                if out != width {
                    let proj = Dense(name: "proj", inputWidth: width, outputWidth: out)
                    Initializer.pytorchDefault.fill(proj.weight.value, fanIn: width, fanOut: out, random: &random)
                    Initializer.pytorchDefault.fill(proj.bias!.value, fanIn: width, fanOut: out, random: &random)
                    projection = proj
                }
                return Residual(name: name, body: body, projection: projection)
            case .recurrent(let r):
                let recurrent = Recurrent(
                    name: name, cell: r.cell, inputWidth: width / plan.input.steps!, hidden: r.hidden, layers: r.layers,
                    bias: r.bias, returnSequences: r.returnSequences, tbptt: r.tbptt)
                let cellActivation: (kind: LayerKind, slope: Double) = (r.cell == .rnnRelu ? .relu : .tanh, 0)
                recurrent.initialize(
                    input: r.weightInit?.initializer(following: cellActivation),
                    bias: r.biasInit?.initializer(following: nil), recurrent: r.engineRecurrentInit,
                    scale: r.recurrentScale, random: &random)
                if let forget = r.forgetBias { recurrent.setForgetBias(Float(forget)) }
                return recurrent
            }
        }
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
