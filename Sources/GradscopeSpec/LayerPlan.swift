import GradscopeEngine

/// A layer as it will be built: the shapes it reads and writes, and a
/// residual block's own layers. `LayerPlan.walk` follows the shape through
/// the specs once; the size checks (parameters and activations, counted
/// without allocating anything) and the model builder read its result.
package struct LayerPlan: Sendable {
    package let spec: LayerSpec
    /// Its position in its list, which names an unnamed layer.
    package let index: Int
    package let input: FlowShape
    package let output: FlowShape
    /// A residual block's layers.
    package let inner: [LayerPlan]

    package var name: String { spec.resolvedName(at: index) }

    /// Follows the shape through `specs` from `input`; throws where a layer
    /// cannot take what it is given. `path` prefixes error fields.
    package static func walk(_ specs: [LayerSpec], input: FlowShape, path: String) throws(SpecError) -> [LayerPlan] {
        var plans: [LayerPlan] = [], shape = input
        for (i, spec) in specs.enumerated() {
            var next = try shape.after(spec, field: "\(path)[\(i)]")
            var inner: [LayerPlan] = []
            if case .residual(let list) = spec.body {
                inner = try walk(list, input: FlowShape(width: shape.width), path: "\(path)[\(i)].layers")
                next.width = inner.last?.output.width ?? shape.width
            }
            plans.append(LayerPlan(spec: spec, index: i, input: shape, output: next, inner: inner))
            shape = next
        }
        return plans
    }

    /// Its parameters, a residual block's projection included.
    package var parameters: Int {
        switch spec.body {
        case .dense(let units, let bias, _, _): units * input.width + (bias ? units : 0)
        case .batchnorm, .layernorm: 2 * input.width
        case .residual:
            inner.reduce(0) { $0 + $1.parameters } + (output.width != input.width ? output.width * input.width + output.width : 0)
        case .recurrent(let r): r.parameters(inputWidth: input.width / input.steps!)
        case .activation, .dropout: 0
        }
    }

    /// An estimate of the values kept per batch row for the backward pass
    /// (its output and gradient; for a recurrent layer every step's gates
    /// and states), so that a batch too large to hold is refused before it
    /// is allocated.
    package var activations: Int {
        switch spec.body {
        case .residual: 2 * output.width + inner.reduce(0) { $0 + $1.activations }
        // Per stacked layer: gates and their gradients (2·G·H), states, cells and the rest (4·H) per step.
        case .recurrent(let r): 2 * output.width + r.layers * input.steps! * (2 * r.cell.gates * r.hidden + 4 * r.hidden)
        default: 2 * output.width
        }
    }
}
