import Foundation
import GradscopeEngine
import GradscopeHTTP
import GradscopeService
import GradscopeSpec
import PostgresNIO

/// A job's row as the record writer reads it (locked) in a flush, and what
/// the flush changes in it.
struct RunRow {
    static let columns = """
        number, id, status, worker, last_seq, last_step, steps, last_loss, max_grad_norm,
        nonfinite_steps, first_nonfinite, cancel_requested, extract(epoch FROM now() - updated_at)::float8
        """

    var number: Int64
    var id: String
    var status: String
    var worker: String?
    var lastSeq: Int64
    var lastStep: Int
    var steps: Int
    var lastLoss: Double?
    var maxGradNorm: Double
    var nonfiniteSteps: Int
    var firstNonfinite: String?
    var cancelRequested: Bool
    /// Seconds since the run last took a batch.
    var idle: Double

    typealias Tuple = (Int64, String, String, String?, Int64, Int, Int, Double?, Double, Int, String?, Bool, Double)

    init(_ t: Tuple) {
        (number, id, status, worker, lastSeq, lastStep, steps, lastLoss, maxGradNorm, nonfiniteSteps, firstNonfinite,
         cancelRequested, idle) = t
    }

    /// The run's totals as a fresh diagnosis state would need them.
    func apply(to state: ExternalRunState) {
        state.lastStep = lastStep
        state.steps = steps
        state.lastLoss = lastLoss
        state.maxGradNorm = maxGradNorm
        state.nonfiniteSteps = nonfiniteSteps
    }

    mutating func take(_ state: ExternalRunState) {
        lastStep = state.lastStep
        steps = state.steps
        lastLoss = state.lastLoss
        maxGradNorm = state.maxGradNorm
        nonfiniteSteps = state.nonfiniteSteps
        firstNonfinite = state.firstNonfinite.map(Self.encode)
    }

    static func encode(_ origin: NonfiniteOrigin) -> String {
        String(decoding: Response.encode([
            "step": JSONValue.number(Double(origin.step)), "pass": .string(origin.pass.rawValue),
            "layer": origin.layer.map(JSONValue.string) ?? .null, "quantity": .string(origin.quantity),
        ]), as: UTF8.self)
    }

    static func decode(_ text: String) -> NonfiniteOrigin? {
        guard case .object(let o)? = try? JSONValue.parse(Data(text.utf8)),
              case .number(let step)? = o["step"], case .string(let p)? = o["pass"], let pass = NonfiniteOrigin.Pass(rawValue: p),
              case .string(let quantity)? = o["quantity"] else { return nil }
        var layer: String?
        if case .string(let l)? = o["layer"] { layer = l }
        return NonfiniteOrigin(step: Int(step), pass: pass, layer: layer, quantity: quantity)
    }
}
