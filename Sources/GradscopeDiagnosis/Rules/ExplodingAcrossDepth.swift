import GradscopeEngine

/// Exploding across depth: RMS δ of the first dense layer ≥ 70× the last's
/// (AUTOTRAINER's β₃ = 70, there applied to the first/last weight-gradient
/// ratio; applied to δ here, docs/algorithms.md §20). The layer blamed is
/// the dense layer nearest the output where the ratio first exceeds 70.
struct ExplodingAcrossDepth: Sendable {
    private(set) var persistence = Persistence()

    mutating func observe(_ r: StepRecord, _ profile: DepthProfile) -> Finding? {
        let ratio = profile.ratio
        guard ratio >= Thresholds.explodingDeltaRatio else { return persistence.observe(nil) }
        return persistence.observe(Finding(
            step: r.step, layer: profile.nearestOutput { $0 >= Thresholds.explodingDeltaRatio }, value: ratio,
            threshold: Thresholds.explodingDeltaRatio,
            message: "the backward signal grows towards the input: RMS δ of \(profile.first.name) is \(format(ratio))× that of \(profile.last.name)"))
    }
}
