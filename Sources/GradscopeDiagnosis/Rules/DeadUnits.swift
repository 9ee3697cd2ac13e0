import GradscopeEngine

/// Dead ReLU units: a ReLU-family layer with ≥ 70% of its units outputting
/// 0 for the whole batch (AUTOTRAINER's γ = 0.7, there applied to the share
/// of zero gradients). A warning, never a verdict.
enum DeadUnits {
    static func findings(_ r: StepRecord) -> [Finding] {
        r.signals.compactMap { s in
            guard let dead = s.deadFraction, dead >= Thresholds.deadFraction else { return nil }
            return Finding(step: r.step, layer: s.name, value: dead, threshold: Thresholds.deadFraction,
                           message: "\(percent(dead)) of the units of \(s.name) output 0 for the whole batch (dead ReLU)")
        }
    }
}
