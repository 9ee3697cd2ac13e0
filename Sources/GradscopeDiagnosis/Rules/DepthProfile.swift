import GradscopeEngine

/// What the depth rules read on one recorded step: the layers with
/// weights (every one, conv, attention, embedding and norm layers as well
/// as dense ones, but not recurrent layers, whose depth is time and which
/// the time rules read), first against last.
///
/// - RMS δ = ∂L/∂y, in the order the data flows (the order of the record's
///   signals): judged when at least two weighted layers report a δ, every
///   one finite, and the last one's is not exactly zero (a saturated
///   softmax sends nothing back; such a step neither confirms nor breaks a
///   streak).
/// - ‖∂W‖, in model order: judged when at least two weighted layers have a
///   finite norm and the last one's is not zero.
struct DepthProfile {
    /// Weighted layers' signals, input side first; empty when δ cannot be judged.
    let deltas: [LayerSignal]
    /// Weighted layers' gradient statistics; empty when they cannot be judged.
    let weights: [LayerStats]

    init?(_ r: StepRecord) {
        let weighted = r.layers.filter { !$0.kind.isRecurrent }
        let names = Set(weighted.map(\.name))
        let signals = r.signals.filter { names.contains($0.name) }
        deltas = signals.count >= 2 && signals.allSatisfy(\.deltaRMS.isFinite) && signals.last!.deltaRMS > 0 ? signals : []
        weights = weighted.count >= 2 && weighted.allSatisfy(\.gradNorm.isFinite) && weighted.last!.gradNorm > 0 ? weighted : []
        if deltas.isEmpty && weights.isEmpty { return nil }
    }

    /// RMS δ of the first weighted layer over the last's, when δ is judged.
    var deltaRatio: Double? { deltas.isEmpty ? nil : deltas[0].deltaRMS / deltas[deltas.count - 1].deltaRMS }
    /// ‖∂W_first‖ / ‖∂W_last‖, when weights are judged.
    var weightRatio: Double? { weights.isEmpty ? nil : weights[0].gradNorm / weights[weights.count - 1].gradNorm }

    /// The weighted layer nearest the output whose δ ratio to the last passes `test`.
    func nearestOutput(where test: (Double) -> Bool) -> String? {
        guard let last = deltas.last else { return nil }
        return deltas.reversed().first { test($0.deltaRMS / last.deltaRMS) }?.name
    }

    /// The describing phrase for a δ ratio: "RMS δ of a is 0.01× that of b".
    func deltaPhrase(_ ratio: Double) -> String {
        "RMS δ of \(deltas[0].name) is \(format(ratio))× that of \(deltas[deltas.count - 1].name)"
    }
}
