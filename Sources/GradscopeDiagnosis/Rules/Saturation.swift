import GradscopeEngine

/// Saturated units: a sigmoid or tanh layer with ≥ 70% of its outputs in
/// the flat region where the derivative is below ~0.04 (γ = 0.7 again,
/// docs/algorithms.md §19–20). A warning, never a verdict.
enum Saturation {
    static func findings(_ r: StepRecord) -> [Finding] {
        r.signals.compactMap { s in
            guard let saturated = s.saturatedFraction, saturated >= Thresholds.saturatedFraction else { return nil }
            return Finding(step: r.step, layer: s.name, value: saturated, threshold: Thresholds.saturatedFraction,
                           message: "\(percent(saturated)) of the outputs of \(s.name) are saturated, where its derivative is near 0")
        }
    }
}
