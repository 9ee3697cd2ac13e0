import GradscopeEngine

/// Exploding across depth: RMS δ of the first weighted layer ≥ 70× the
/// last's (AUTOTRAINER's β₃ = 70, there applied to the first/last
/// weight-gradient ratio; applied to δ here, since ‖∂W‖ also scales with a
/// layer's fan-in, docs/algorithms.md §20). The layer blamed is the one
/// nearest the output where the ratio first exceeds 70. Judged only on
/// records with δ.
struct ExplodingAcrossDepth: Sendable {
    private(set) var persistence = Persistence()

    mutating func observe(_ r: StepRecord, _ profile: DepthProfile) -> Finding? {
        guard let ratio = profile.deltaRatio else { return nil }
        guard ratio >= Thresholds.explodingDeltaRatio else { return persistence.observe(nil) }
        return persistence.observe(Finding(
            step: r.step, layer: profile.nearestOutput { $0 >= Thresholds.explodingDeltaRatio }, value: ratio,
            threshold: Thresholds.explodingDeltaRatio,
            message: "the backward signal grows towards the input: " + profile.deltaPhrase(ratio)))
    }
}
