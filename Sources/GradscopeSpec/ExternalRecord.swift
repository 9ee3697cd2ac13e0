import GradscopeEngine

/// One record posted to an external run: a step record in the engine's
/// schema (`StepRecord.read`, held to the run's declaration), or where the
/// first NaN/Inf appeared.
public enum ExternalRecord: Sendable {
    /// `lossKnown`: the client sent a loss (a `null` loss is a NaN one; an
    /// absent loss is unknown and stays absent).
    case step(StepRecord, lossKnown: Bool)
    case nonfinite(NonfiniteOrigin)

    public var step: Int {
        switch self {
        case .step(let r, _): r.step
        case .nonfinite(let o): o.step
        }
    }

    /// Reads and checks one record against the run's declaration; errors name
    /// the field from `path` (e.g. `records[3].layers[1].hist.counts`).
    public init(json: JSONValue, path: String, run: ExternalRunSpec) throws(SpecError) {
        var r = try ObjectReader(json, path: path, tracksSeen: false)
        let type = try r.string("type") ?? "step"
        switch type {
        case "step":
            let (record, lossKnown) = try StepRecord.read(json, path: path, layout: run.layout)
            self = .step(record, lossKnown: lossKnown)
        case "nonfinite":
            try r.only(["type", "step", "pass", "layer", "quantity"], in: "a nonfinite record")
            let step = try StepRecord.stepNumber(&r)
            guard let pass = NonfiniteOrigin.Pass(rawValue: try r.string("pass") ?? "") else {
                throw SpecError(r.field("pass"), "must be \"forward\", \"loss\" or \"backward\"")
            }
            self = .nonfinite(NonfiniteOrigin(step: step, pass: pass, layer: try r.string("layer"),
                                              quantity: try r.string("quantity") ?? (pass == .forward ? "output" : "parameter gradient")))
        default:
            throw SpecError(r.field("type"), "must be \"step\" or \"nonfinite\", got \"\(type)\"")
        }
    }
}
