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
