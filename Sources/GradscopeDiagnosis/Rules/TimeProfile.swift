import GradscopeEngine

/// How much of the gradient at the last step of a sequence reaches the
/// first, ‖∂L/∂h_first‖ / ‖∂L/∂h_T‖, in each recurrent layer of one
/// recorded step (of the last truncation chunk with `tbptt`: nothing
/// crosses its boundary by design). Records whose last step gets no
/// gradient, or with non-finite norms, are not judged. Time is depth for a
/// recurrent net unrolled over T steps, so the depth rules' thresholds
/// apply (Pascanu et al. 2013; docs/algorithms.md §20).
struct TimeProfile {
    let ratios: [(signal: RecurrentSignal, ratio: Double)]
    let lowest: (signal: RecurrentSignal, ratio: Double)
    let highest: (signal: RecurrentSignal, ratio: Double)

    init?(_ r: StepRecord) {
        ratios = r.recurrent.compactMap { s in
            let span = s.lastChunk, norms = s.hiddenGradNorms
            guard span.count >= 2, norms[span.upperBound - 1] > 0, norms.allSatisfy(\.isFinite) else { return nil }
            return (s, norms[span.lowerBound] / norms[span.upperBound - 1])
        }
        guard let lowest = ratios.min(by: { $0.ratio < $1.ratio }), let highest = ratios.max(by: { $0.ratio < $1.ratio }) else {
            return nil
        }
        self.lowest = lowest
        self.highest = highest
    }

    func describe(_ s: RecurrentSignal, _ ratio: Double) -> String {
        let name = ratios.filter { $0.signal.layer == s.layer }.count > 1 ? "\(s.layer) (layer \(s.sublayer))" : s.layer
        return "‖∂L/∂h_\(s.lastChunk.lowerBound + 1)‖ is \(format(ratio))× ‖∂L/∂h_\(s.hiddenGradNorms.count)‖ in \(name) (σ₁ of weight_hh_l\(s.sublayer) = \(format(s.spectralNorm)))"
    }
}
