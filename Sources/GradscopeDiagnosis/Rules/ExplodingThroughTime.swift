import GradscopeEngine

/// Exploding through time: ‖∂L/∂h_first‖ / ‖∂L/∂h_T‖ ≥ 70 (AUTOTRAINER's
/// β₃) in the layer where the ratio is highest.
struct ExplodingThroughTime: Sendable {
    private(set) var persistence = Persistence()

    mutating func observe(_ r: StepRecord, _ profile: TimeProfile) -> Finding? {
        let (signal, ratio) = profile.highest
        guard ratio >= Thresholds.explodingTimeRatio else { return persistence.observe(nil) }
        return persistence.observe(Finding(step: r.step, layer: signal.layer, value: ratio, threshold: Thresholds.explodingTimeRatio,
                                           message: "the gradient grows backwards through time: " + profile.describe(signal, ratio)))
    }
}
