/// A feed-forward network: a sequence of layers, some of them residual blocks.
public final class Model {
    public let layers: [Layer]
    public let inputWidth: Int
    public let outputWidth: Int
    /// Every layer in model order, residual bodies expanded after their
    /// block, with dotted names (`res2.fc`): the names of statistics and of
    /// state-dict keys.
    public let flattened: [(name: String, layer: Layer)]
    /// The layers that own parameters, in model order.
    public let parameterLayers: [(name: String, layer: Layer)]
    /// Every parameter with its state-dict name (`fc1.weight`), in model order.
    public let namedParameters: [(name: String, parameter: Parameter)]

    public init(layers: [Layer], inputWidth: Int, outputWidth: Int) {
        self.layers = layers
        self.inputWidth = inputWidth
        self.outputWidth = outputWidth
        var flat: [(String, Layer)] = []
        func visit(_ layer: Layer, prefix: String) {
            let name = prefix + layer.name
            flat.append((name, layer))
            for child in layer.children { visit(child, prefix: name + ".") }
        }
        for layer in layers { visit(layer, prefix: "") }
        flattened = flat
        parameterLayers = flat.filter { !$0.1.parameters.isEmpty }
        namedParameters = parameterLayers.flatMap { entry in
            entry.layer.parameters.map { (entry.name + "." + $0.name, $0) }
        }
    }

    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.count } }

    public func forward(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        Sequential.forward(layers, x, &context)
    }

    /// Back-propagates `dy = ∂L/∂output`, filling every parameter's gradient.
    /// The input's own gradient is never needed, so the first layer skips it.
    public func backward(_ dy: Tensor, recorder: SignalRecorder?) {
        _ = Sequential.backward(layers, dy, needInputGradient: false, recorder: recorder)
    }

    // MARK: State dict

    /// Parameters and buffers (BatchNorm running statistics) under PyTorch's
    /// state-dict names, in model order.
    public var stateDict: [(name: String, tensor: Tensor)] {
        flattened.flatMap { entry in
            entry.layer.parameters.map { (entry.name + "." + $0.name, $0.value) }
                + entry.layer.buffers.map { (entry.name + "." + $0.name, $0.tensor) }
        }
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case missing(String), unexpected(String), shape(String, expected: [Int], got: [Int])
        public var description: String {
            switch self {
            case .missing(let n): "the checkpoint has no tensor \"\(n)\", which this model needs"
            case .unexpected(let n): "the checkpoint's tensor \"\(n)\" does not belong to this model"
            case .shape(let n, let e, let g): "the checkpoint's tensor \"\(n)\" has shape \(g), the model needs \(e)"
            }
        }
    }

    /// Loads every parameter and buffer, strictly (as `load_state_dict` with
    /// `strict=True`): missing, extra or mis-shaped tensors are errors and
    /// nothing is changed.
    public func load(_ tensors: [String: (shape: [Int], data: [Float])]) throws(LoadError) {
        let own = stateDict
        let names = Set(own.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) { throw .unexpected(extra) }
        for (name, tensor) in own {
            guard let t = tensors[name] else { throw .missing(name) }
            // A scalar may come as [] or [1].
            let expected = tensor.shape
            guard t.shape == expected || (expected.isEmpty && t.data.count == 1), t.data.count == tensor.count else {
                throw .shape(name, expected: expected, got: t.shape)
            }
        }
        for (name, tensor) in own { tensor.copy(from: tensors[name]!.data) }
    }
}
