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
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw .invalid("not JSON: \(error)") }
        return try decode(json: json)
    }

    /// Reads a checkpoint from parsed JSON (a spec's inline `init_from` arrives so).
    public static func decode(json: JSONValue) throws(ReadError) -> Checkpoint {
        let expected = "expected {\"format\": \"\(format)\", \"version\": 1, \"tensors\": {name: {\"shape\": [...], \"data\": [...]}}}"
        guard case .object(let o) = json, case .string(let f)? = o["format"], case .number(let v)? = o["version"],
              case .object(let wire)? = o["tensors"] else { throw .invalid(expected) }
        guard f == format else { throw .invalid("format is \"\(f)\", expected \"\(format)\"") }
        guard v == Double(version) else { throw .invalid("version \(Check.show(v)) is not supported (this gradscope reads version \(version))") }
        var step: Int?
        switch o["step"] {
        case nil, .null?: break
        case .number(let n)? where n >= 0 && n == n.rounded() && n < 9e15: step = Int(n)
        default: throw .invalid("step must be a whole number ≥ 0")
        }
        var tensors: [String: (shape: [Int], data: [Float])] = [:]
        for (name, t) in wire {
            guard case .array(let dims)? = t["shape"], case .array(let values)? = t["data"] else {
                throw .invalid("tensor \"\(name)\": \(expected)")
            }
            var shape: [Int] = []
            for d in dims {
                guard case .number(let n) = d, n >= 0, n == n.rounded(), n < 9e15 else {
                    throw .invalid("tensor \"\(name)\" has a shape that is not a list of whole numbers ≥ 0")
                }
                shape.append(Int(n))
            }
            // The product is taken with overflow checked: a shape such as [4e15, 4e15] must be an error, not a trap.
            let count = shape.reduce(Optional(1)) { n, d in
                n.flatMap { { $0.overflow ? nil : $0.partialValue }($0.multipliedReportingOverflow(by: d)) }
            }
            guard count == values.count else {
                throw .invalid("tensor \"\(name)\" has shape \(shape) but \(values.count) values")
            }
            var data: [Float] = []
            data.reserveCapacity(values.count)
            for value in values {
                // A non-finite weight (written as null) is refused: a job must not start from one.
                guard case .number(let x) = value else { throw .invalid("tensor \"\(name)\" has a value that is not a finite number") }
                data.append(Float(x))
            }
            tensors[name] = (shape, data)
        }
        return Checkpoint(step: step, tensors: tensors, order: tensors.keys.sorted())
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
