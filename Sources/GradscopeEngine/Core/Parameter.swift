/// One trainable tensor with its gradient, named as in a PyTorch state dict
/// (`weight`, `bias`). The layer that owns it prefixes its own name.
public final class Parameter {
    public let name: String
    public let value: Tensor
    public let grad: Tensor

    public init(name: String, shape: [Int]) {
        self.name = name
        value = Tensor(shape: shape)
        grad = Tensor(shape: shape)
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }
}

/// A non-trainable tensor that belongs in the state dict (BatchNorm's running
/// statistics).
public struct Buffer {
    public let name: String
    public let tensor: Tensor
}
