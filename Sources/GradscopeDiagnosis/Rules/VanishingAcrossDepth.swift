import GradscopeEngine

/// Vanishing across depth: RMS δ first/last < 1e-3 (AUTOTRAINER's β₁
/// applied to δ, which also catches nets whose weight gradients stay flat
/// while δ fades), or AUTOTRAINER's own weight-gradient rule:
/// ‖∂W_first‖/‖∂W_last‖ < β₁ = 1e-3 and ‖∂W_first‖ < β₂ = 1e-4. The layer
/// blamed is the dense layer nearest the output below 1e-3 of the last.
struct VanishingAcrossDepth: Sendable {
    private(set) var persistence = Persistence()

    mutating func observe(_ r: StepRecord, _ profile: DepthProfile) -> Finding? {
        let ratio = profile.ratio, weights = profile.weights
        let weightRatio = weights.count >= 2 && weights.last!.gradNorm > 0 ? weights[0].gradNorm / weights.last!.gradNorm : 1
        let byWeights = weightRatio < Thresholds.vanishingWeightRatio && (weights.first?.gradNorm ?? 1) < Thresholds.vanishingFirstNorm
        let byDelta = ratio < Thresholds.vanishingDeltaRatio
        guard byDelta || byWeights else { return persistence.observe(nil) }
        let layer = byDelta
            ? profile.nearestOutput { $0 < Thresholds.vanishingDeltaRatio }
            : weights.reversed().first { $0.gradNorm / weights.last!.gradNorm < Thresholds.vanishingWeightRatio }?.name
        let message = byDelta
            ? "the backward signal fades towards the input: RMS δ of \(profile.first.name) is \(format(ratio))× that of \(profile.last.name)"
            : "‖∂W‖ of \(weights[0].name) is \(format(weightRatio))× that of \(weights.last!.name) and below 1e-4"
        return persistence.observe(Finding(step: r.step, layer: layer, value: min(ratio, weightRatio),
                                           threshold: Thresholds.vanishingDeltaRatio, message: message))
    }
}
