import GradscopeEngine

/// The size of an update against the weights': the median over layers of
/// ‖Δθ‖/‖θ‖. About 1e-3 is healthy (CS231n, "Neural Networks Part 3");
/// two orders of magnitude either way means the learning rate is far off.
/// Judged from the second update on (Adam's first steps are lr-sized by
/// design) and on updates that were not skipped. A warning, never a verdict.
enum UpdateRatio {
    enum Direction { case high, low }

    static func finding(_ r: StepRecord) -> (Direction, Finding)? {
        let ratios = r.layers.compactMap { $0.summary.updateRatio }.filter { $0.isFinite && $0 > 0 }.sorted()
        guard r.step > 1, !r.skipped, !ratios.isEmpty else { return nil }
        let median = ratios[ratios.count / 2]
        let size = "updates are \(format(median)) of the weights' size (median over layers; ~1e-3 is healthy)"
        if median > Thresholds.updateRatioHigh {
            return (.high, Finding(step: r.step, layer: nil, value: median, threshold: Thresholds.updateRatioHigh,
                                   message: size + ": the learning rate is too large"))
        }
        if median < Thresholds.updateRatioLow {
            return (.low, Finding(step: r.step, layer: nil, value: median, threshold: Thresholds.updateRatioLow,
                                  message: size + ": the learning rate is too small or the gradients vanish"))
        }
        return nil
    }
}
