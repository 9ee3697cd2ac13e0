import GradscopeEngine

/// Vanishing through time: ‖∂L/∂h_first‖ / ‖∂L/∂h_T‖ < 1e-3 (AUTOTRAINER's
/// β₁) in the layer where the ratio is lowest.
struct VanishingThroughTime: Sendable {
    private(set) var persistence = Persistence()

    mutating func observe(_ r: StepRecord, _ profile: TimeProfile) -> Finding? {
        let (signal, ratio) = profile.lowest
        guard ratio < Thresholds.vanishingTimeRatio else { return persistence.observe(nil) }
        return persistence.observe(Finding(step: r.step, layer: signal.layer, value: ratio, threshold: Thresholds.vanishingTimeRatio,
                                           message: "the gradient fades backwards through time: " + profile.describe(signal, ratio)))
    }
}
