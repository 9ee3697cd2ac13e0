import GradscopeEngine

/// Exploding over time: the global gradient norm, or a layer's, at least
/// 100× its rolling median (the last 100 non-zero norms) on two consecutive
/// steps. One such step, or one at ≥ 10× the median, is a spike: evidence
/// whose alerts are rate-limited to one per 100 steps, and which
/// `LearningProgress` watches for damage. Thresholds and their sources are
/// in `Thresholds` (docs/algorithms.md §20).
///
/// Each layer is also judged against its own median, since a layer can
/// explode while the global norm is ruled by another. A layer counts once
/// its norm is large for the model too (above the global median), so that a
/// tiny BatchNorm gradient that jumps does not. The layer named is the one
/// whose norm grew most against its own median.
struct ExplodingOverTime: Sendable {
    enum Outcome {
        case none
        /// `alert`: the first spike in 100 steps.
        case spike(Finding, alert: Bool)
        case confirmed(Finding)
    }

    private(set) var persistence = Persistence()
    private var norms = RollingWindow(capacity: Thresholds.medianWindow)
    private var layerWindows: [RollingWindow] = []
    private var lastSpikeStep = Int.min / 2

    /// The rolling median of the global norm, once it has enough history.
    var median: Double? { mutating get { norms.count >= Thresholds.medianMinimum ? norms.median() : nil } }

    mutating func observe(_ p: StepPulse, layerNames: [String]) -> Outcome {
        guard p.gradNorm.isFinite else { return .none }
        defer { remember(p) }
        guard let median else { return .none }
        let growth = median > 0 ? p.gradNorm / median : 0
        var worst: (index: Int, growth: Double)?
        for (i, n) in p.layerGradNorms.enumerated() where i < layerWindows.count && n.isFinite && n >= median {
            let m = layerWindows[i].median()
            let g = m > 0 ? n / m : 0
            if g > (worst?.growth ?? 0) { worst = (i, g) }
        }
        let layerGrowth = worst?.growth ?? 0
        if max(growth, layerGrowth) >= Thresholds.explodingGrowth {
            let layer = worst.flatMap { layerNames.indices.contains($0.index) ? layerNames[$0.index] : nil }
            let message = growth >= Thresholds.explodingGrowth
                ? "the gradient norm \(format(p.gradNorm)) is \(format(growth))× its median of the last \(norms.count) steps"
                    + (layer.map { ", most of all in \($0) (\(format(layerGrowth))×)" } ?? "")
                : "the gradient norm of \(layer ?? "a layer") is \(format(layerGrowth))× its median of the last \(norms.count) steps"
            let finding = Finding(step: p.step, layer: layer, value: max(growth, layerGrowth),
                                  threshold: Thresholds.explodingGrowth, message: message)
            if let onset = persistence.observe(finding) { return .confirmed(onset) }
            return persistence.streakLength == 1 ? spike(finding) : .none
        }
        _ = persistence.observe(nil)
        guard growth >= Thresholds.spikeGrowth else { return .none }
        return spike(Finding(step: p.step, layer: nil, value: p.gradNorm, threshold: Thresholds.spikeGrowth * median,
                             message: "gradient norm spike: \(format(p.gradNorm)), \(format(growth))× the rolling median"))
    }

    private mutating func spike(_ finding: Finding) -> Outcome {
        let alert = finding.step - lastSpikeStep >= Thresholds.medianWindow
        if alert { lastSpikeStep = finding.step }
        return .spike(finding, alert: alert)
    }

    /// A step whose gradient is exactly zero (a saturated softmax, a dead
    /// net) carries no scale: it would drag the median to 0.
    private mutating func remember(_ p: StepPulse) {
        if p.gradNorm > 0 { norms.append(p.gradNorm) }
        if layerWindows.count != p.layerGradNorms.count {
            layerWindows = p.layerGradNorms.map { _ in RollingWindow(capacity: Thresholds.medianWindow) }
        }
        for (i, n) in p.layerGradNorms.enumerated() where n.isFinite && n > 0 { layerWindows[i].append(n) }
    }
}
