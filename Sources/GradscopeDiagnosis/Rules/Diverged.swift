import GradscopeEngine

/// Diverged: a non-finite loss or gradient, or a loss ≥ 1e5 (AUTOTRAINER,
/// Zhang et al. ICSE 2021, `monitor.py`: `nan_loss` is NaN/Inf or a loss
/// ≥ 1e+5). The layer is where the first NaN/Inf appeared, as the engine's
/// or the client's `NonfiniteOrigin` found it.
struct Diverged: Sendable {
    private(set) var finding: Finding?

    /// Returns the finding on the first step the run blows up.
    mutating func observe(_ p: StepPulse, origin: NonfiniteOrigin?) -> Finding? {
        let blewUp = !p.loss.isFinite || p.nonfiniteGradients > 0 || p.loss >= Thresholds.divergedLoss
        guard blewUp, finding == nil else { return nil }
        let what = p.nonfiniteGradients > 0 ? "\(p.nonfiniteGradients) NaN/Inf gradient values"
            : p.loss.isFinite ? "loss \(format(p.loss)) ≥ 1e5" : "the loss is \(p.loss)"
        var message = "training diverged at step \(p.step): \(what)"
        if let o = origin, o.step == p.step {
            message += "; the first non-finite value was the \(o.quantity) of \(o.layer ?? "the loss") in the \(o.pass.rawValue) pass"
        }
        finding = Finding(step: p.step, layer: origin?.layer, value: p.loss, threshold: Thresholds.divergedLoss, message: message)
        return finding
    }
}
