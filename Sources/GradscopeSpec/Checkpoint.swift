import Foundation
import GradscopeEngine

/// A model's state dict as JSON, with PyTorch's names and row-major layouts:
///
///     {"format": "gradscope-checkpoint", "version": 1, "step": 200,
///      "tensors": {"fc1.weight": {"shape": [64, 2], "data": [...]}, ...}}
///
/// Floats are written in their shortest round-trip form, so a save and load
/// is exact. In Python: `{k: torch.tensor(v["data"]).reshape(v["shape"])
/// for k, v in ckpt["tensors"].items()}` is a `state_dict`.
public struct Checkpoint: Sendable {
    public static let format = "gradscope-checkpoint"
    public static let version = 1

    public var step: Int?
    public var tensors: [String: (shape: [Int], data: [Float])]
    /// Tensor names in the order they were saved.
    public var order: [String]

    public init(model: Model, step: Int? = nil) {
        self.step = step
        var tensors: [String: (shape: [Int], data: [Float])] = [:]
        var order: [String] = []
        for (name, t) in model.stateDict {
            tensors[name] = (t.shape, t.array)
            order.append(name)
        }
        self.tensors = tensors
        self.order = order
    }

    public enum ReadError: Error, CustomStringConvertible {
        case unreadable(String), invalid(String)
        public var description: String {
            switch self {
            case .unreadable(let s): "cannot read the checkpoint: \(s)"
            case .invalid(let s): "not a gradscope checkpoint: \(s)"
            }
        }
    }

    public static func read(path: String) throws(ReadError) -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable("\(path): \(fileReadProblem(path, error))")
        }
        return try decode(data)
    }

    public static func decode(_ data: Data) throws(ReadError) -> Checkpoint {
        struct Wire: Decodable {
            var format: String
            var version: Int
            var step: Int?
            var tensors: [String: TensorWire]
        }
        struct TensorWire: Decodable {
            var shape: [Int]
            var data: [Double]
        }
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: data) } catch {
            throw .invalid("expected {\"format\": \"\(format)\", \"version\": 1, \"tensors\": {name: {\"shape\": [...], \"data\": [...]}}} (\(JobSpec.describe(error)))")
        }
        guard wire.format == format else { throw .invalid("format is \"\(wire.format)\", expected \"\(format)\"") }
        guard wire.version == version else { throw .invalid("version \(wire.version) is not supported (this gradscope reads version \(version))") }
        var tensors: [String: (shape: [Int], data: [Float])] = [:]
        for (name, t) in wire.tensors {
            // The product is taken with overflow checked: a shape such as [4e15, 4e15] must be an error, not a trap.
            let count = t.shape.reduce(Optional(1)) { n, d in
                n.flatMap { d < 0 ? nil : { $0.overflow ? nil : $0.partialValue }($0.multipliedReportingOverflow(by: d)) }
            }
            guard count == t.data.count else {
                throw .invalid("tensor \"\(name)\" has shape \(t.shape) but \(t.data.count) values")
            }
            tensors[name] = (t.shape, t.data.map { Float($0) })
        }
        var c = Checkpoint(step: wire.step, tensors: tensors, order: tensors.keys.sorted())
        c.step = wire.step
        return c
    }

    init(step: Int?, tensors: [String: (shape: [Int], data: [Float])], order: [String]) {
        self.step = step
        self.tensors = tensors
        self.order = order
    }

    public func encoded() -> String {
        var w = JSONWriter(capacity: tensors.values.reduce(64) { $0 + $1.data.count * 12 })
        w.beginObject()
        w.field("format", Self.format)
        w.field("version", Self.version)
        if let step { w.field("step", step) }
        w.beginObject("tensors")
        for name in order {
            let t = tensors[name]!
            w.beginObject(JSONKey(name))
            w.ints("shape", t.shape)
            w.rawField("data", "[" + t.data.map { $0.isFinite ? $0.description : "null" }.joined(separator: ",") + "]")
            w.endObject()
        }
        w.endObject()
        w.endObject()
        return w.text
    }
}
