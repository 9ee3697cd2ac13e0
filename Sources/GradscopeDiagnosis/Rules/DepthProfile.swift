import GradscopeEngine

/// The backward signal across depth on one recorded step: RMS δ = ∂L/∂y of
/// the first dense layer against the last's. Both depth rules read it.
/// A record is judged only when it has at least two dense layers, every
/// δ is finite, and the last one's is not exactly zero (a saturated
/// softmax sends nothing back; such a step neither confirms nor breaks a
/// streak).
struct DepthProfile {
    let dense: [LayerSignal]
    let weights: [LayerStats]

    init?(_ r: StepRecord) {
        dense = r.signals.filter { $0.kind == .dense }
        guard dense.count >= 2, dense.allSatisfy(\.deltaRMS.isFinite), dense.last!.deltaRMS > 0 else { return nil }
        weights = r.layers.filter { $0.kind == .dense && $0.gradNorm.isFinite }
    }

    var first: LayerSignal { dense[0] }
    var last: LayerSignal { dense[dense.count - 1] }
    /// RMS δ of the first dense layer over the last's.
    var ratio: Double { first.deltaRMS / last.deltaRMS }

    /// The dense layer nearest the output whose ratio to the last passes `test`.
    func nearestOutput(where test: (Double) -> Bool) -> String? {
        dense.reversed().first { test($0.deltaRMS / last.deltaRMS) }?.name
    }
}
