import GradscopeEngine

/// Vanishing across depth: RMS δ first/last < 1e-3 (AUTOTRAINER's β₁
/// applied to δ, which also catches nets whose weight gradients stay flat
/// while δ fades), or AUTOTRAINER's own weight-gradient rule:
/// ‖∂W_first‖/‖∂W_last‖ < β₁ = 1e-3 and ‖∂W_first‖ < β₂ = 1e-4. The layer
/// blamed is the weighted layer nearest the output below 1e-3 of the last.
struct VanishingAcrossDepth: Sendable {
    private(set) var persistence = Persistence()

    mutating func observe(_ r: StepRecord, _ profile: DepthProfile) -> Finding? {
        let weights = profile.weights
        if let ratio = profile.deltaRatio, ratio < Thresholds.vanishingDeltaRatio {
            return persistence.observe(Finding(
                step: r.step, layer: profile.nearestOutput { $0 < Thresholds.vanishingDeltaRatio }, value: ratio,
                threshold: Thresholds.vanishingDeltaRatio,
                message: "the backward signal fades towards the input: " + profile.deltaPhrase(ratio)))
        }
        if let ratio = profile.weightRatio, ratio < Thresholds.vanishingWeightRatio, weights[0].gradNorm < Thresholds.vanishingFirstNorm {
            let last = weights[weights.count - 1]
            return persistence.observe(Finding(
                step: r.step, layer: weights.reversed().first { $0.gradNorm / last.gradNorm < Thresholds.vanishingWeightRatio }?.name,
                value: ratio, threshold: Thresholds.vanishingWeightRatio,
                message: "‖∂W‖ of \(weights[0].name) is \(format(ratio))× that of \(last.name) and below 1e-4"))
        }
        return persistence.observe(nil)
    }
}
