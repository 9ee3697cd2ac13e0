import GradscopeEngine

/// The values between two layers: `width` per row, of which sequence data
/// has `steps` time steps (time-major), flat data none.
package struct FlowShape: Equatable {
    package var width: Int
    package var steps: Int?

    package init(width: Int, steps: Int? = nil) {
        self.width = width
        self.steps = steps
    }

    /// The shape after `spec`; throws where a layer cannot take this input.
    /// A dense layer reads a sequence's row as one flat vector (as
    /// `nn.Flatten` then `nn.Linear`); normalisation and residual blocks
    /// need flat features.
    package func after(_ spec: LayerSpec, field: String) throws(SpecError) -> FlowShape {
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
package func countParameters(_ specs: [LayerSpec], input: FlowShape, path: String) throws(SpecError)
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
