import Foundation
import GradscopeEngine

/// Online detectors over a run's events and the verdict at the end.
///
/// Feed every `TrainingEvent` in order to `observe`; it returns the alerts
/// that fire. `report()` gives the verdict, when and where the problem
/// started, the evidence and ranked remedies. State is bounded: a rolling
/// window of norms, running counts and the first hit of each rule.
///
/// Rules (thresholds in `Thresholds`):
/// - diverged: a non-finite loss or gradient, or a loss ≥ 1e5. The first
///   layer is where the first NaN/Inf appeared (`NonfiniteOrigin`).
/// - exploding over time: the global norm, or a layer's (when above the
///   global median), ≥ 100× its rolling median (last 100 non-zero norms) on
///   two consecutive steps; the first layer is the one whose norm grew most
///   against its own median. One such step alone is a spike.
/// - exploding across depth: RMS δ of the first dense layer ≥ 70× the last's;
///   the first layer is the dense layer nearest the output where the ratio
///   first exceeds 70.
/// - vanishing: RMS δ first/last < 1e-3, or AUTOTRAINER's weight-gradient
///   rule (‖∂W_first‖/‖∂W_last‖ < 1e-3 and ‖∂W_first‖ < 1e-4); the first layer
///   is the dense layer nearest the output below 1e-3 of the last.
/// - through time (recurrent layers): ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ ≥ 70 is exploding,
///   < 1e-3 vanishing, in the layer with the most extreme ratio.
/// The depth and time rules alert once they hold on two consecutive recorded steps
/// (dated from the first), and decide the verdict when they hold on at least
/// half the recorded steps; steps whose gradient is exactly zero (a
/// saturated softmax) are left out of both. Spikes (≥ 10× the median, or ZClip's z > 2.5), dead ReLU
/// units, saturated sigmoid/tanh units and update/weight ratios far from 1e-3
/// raise alerts and evidence, not verdicts.
public final class Diagnosis {
    public let facts: ModelFacts

    private struct Hit {
        var step: Int
        var layer: String?
        var value: Double?
        var threshold: Double?
        var message: String
    }

    /// A condition read on recorded steps: it alerts once it holds on
    /// `Thresholds.streak` consecutive ones (dated from the first) and
    /// decides a verdict when it holds on at least half of them.
    private struct PersistentRule {
        var holds = 0
        var streak: (hit: Hit, length: Int)?
        var hit: Hit?
        /// The first step it held on, confirmed or not.
        var first: Hit?

        /// Feeds one recorded step's finding (nil: the condition does not
        /// hold); returns the hit when this step confirms it for the first time.
        mutating func observe(_ finding: Hit?) -> Hit? {
            guard let finding else { streak = nil; return nil }
            holds += 1
            if first == nil { first = finding }
            streak = streak.map { ($0.hit, $0.length + 1) } ?? (finding, 1)
            guard hit == nil, streak!.length >= Thresholds.streak else { return nil }
            hit = streak!.hit
            return hit
        }
    }

    private var recordedSteps = 0, recordedTimeSteps = 0
    private var explodingDepth = PersistentRule(), vanishing = PersistentRule()
    private var explodingThroughTime = PersistentRule(), vanishingThroughTime = PersistentRule()
    private var diverged: Hit?
    /// Exploding over time: two consecutive steps confirm it; one alone is a spike.
    private var explodingOverTime = PersistentRule()
    private var origin: NonfiniteOrigin?
    private var otherEvidence: [Report.Evidence] = []
    private var alerted: Set<String> = []
    private var alertCounts: [String: Int] = [:]
    private var lastSpikeStep = Int.min / 2

    private var norms = RollingWindow(capacity: Thresholds.medianWindow)
    private var layerWindows: [RollingWindow] = []
    private var emaMean = 0.0, emaVariance = 0.0, emaCount = 0
    /// Per layer, in model order: its gradient norm at the first recorded
    /// step and at the latest.
    private var layerNorms: [(name: String, baseline: Double, latest: Double)] = []
    private var latestSamples: [Int]?

    public init(facts: ModelFacts) { self.facts = facts }

    public func observe(_ event: TrainingEvent) -> [Alert] {
        var alerts: [Alert] = []
        switch event {
        case .nonfinite(let o): origin = o
        case .pulse(let p): observe(pulse: p, into: &alerts)
        case .step(let r): observe(record: r, into: &alerts)
        case .epoch: break
        }
        for a in alerts { alertCounts[a.kind.rawValue, default: 0] += 1 }
        return alerts
    }

    // MARK: Every step

    private func observe(pulse p: StepPulse, into alerts: inout [Alert]) {
        latestSamples = p.sampleIndices
        let blewUp = !p.loss.isFinite || p.nonfiniteGradients > 0 || p.loss >= Thresholds.divergedLoss
        if blewUp && diverged == nil {
            let what = p.nonfiniteGradients > 0 ? "\(p.nonfiniteGradients) NaN/Inf gradient values"
                : p.loss.isFinite ? "loss \(format(p.loss)) ≥ 1e5" : "the loss is \(p.loss)"
            var message = "training diverged at step \(p.step): \(what)"
            if let o = origin, o.step == p.step {
                message += "; the first non-finite value was the \(o.quantity) of \(o.layer ?? "the loss") in the \(o.pass.rawValue) pass"
            }
            let hit = Hit(step: p.step, layer: origin?.layer, value: p.loss, threshold: Thresholds.divergedLoss, message: message)
            diverged = hit
            raise(.diverged, .critical, hit, into: &alerts)
        }
        guard p.gradNorm.isFinite else { return }

        if norms.count >= Thresholds.medianMinimum {
            let median = norms.median()
            let growth = median > 0 ? p.gradNorm / median : 0
            // Each layer against its own median: a layer can explode while the
            // global norm is ruled by another. A layer counts once its norm is
            // large for the model too (above the global median), so a tiny
            // BatchNorm gradient that jumps does not.
            var worst: (index: Int, growth: Double)?
            for (i, n) in p.layerGradNorms.enumerated() where i < layerWindows.count && n.isFinite && n >= median {
                let m = layerWindows[i].median()
                let g = m > 0 ? n / m : 0
                if g > (worst?.growth ?? 0) { worst = (i, g) }
            }
            let layerGrowth = worst?.growth ?? 0
            if max(growth, layerGrowth) >= Thresholds.explodingGrowth {
                let layer = worst.flatMap { facts.layerNames.indices.contains($0.index) ? facts.layerNames[$0.index] : nil }
                let message = growth >= Thresholds.explodingGrowth
                    ? "the gradient norm \(format(p.gradNorm)) is \(format(growth))× its median of the last \(norms.count) steps"
                        + (layer.map { ", most of all in \($0) (\(format(layerGrowth))×)" } ?? "")
                    : "the gradient norm of \(layer ?? "a layer") is \(format(layerGrowth))× its median of the last \(norms.count) steps"
                let hit = Hit(step: p.step, layer: layer, value: max(growth, layerGrowth),
                              threshold: Thresholds.explodingGrowth, message: message)
                // One step that high is a spike; two in a row an explosion.
                if let confirmed = explodingOverTime.observe(hit) {
                    raise(.exploding, .critical, confirmed, into: &alerts)
                } else if explodingOverTime.streak?.length == 1, p.step - lastSpikeStep >= Thresholds.medianWindow {
                    lastSpikeStep = p.step
                    raise(.gradientSpike, .warning, hit, once: false, into: &alerts)
                }
            } else {
                _ = explodingOverTime.observe(nil)
                if (growth >= Thresholds.spikeGrowth || spikeZ(p.gradNorm) > Thresholds.spikeZ)
                    && p.step - lastSpikeStep >= Thresholds.medianWindow {
                    lastSpikeStep = p.step
                    raise(.gradientSpike, .warning, Hit(
                        step: p.step, layer: nil, value: p.gradNorm, threshold: Thresholds.spikeGrowth * median,
                        message: "gradient norm spike: \(format(p.gradNorm)), \(format(growth))× the rolling median"),
                        once: false, into: &alerts)
                }
            }
        }
        // A step whose gradient is exactly zero (a saturated softmax, a dead
        // net) carries no scale: it would drag the median to 0.
        if p.gradNorm > 0 { norms.append(p.gradNorm) }
        if layerWindows.count != p.layerGradNorms.count {
            layerWindows = p.layerGradNorms.map { _ in RollingWindow(capacity: Thresholds.medianWindow) }
        }
        for (i, n) in p.layerGradNorms.enumerated() where n.isFinite && n > 0 { layerWindows[i].append(n) }
        updateEMA(p.gradNorm)
    }

    /// ZClip's statistics: an EMA of the norm and its variance, after 25 steps.
    private func spikeZ(_ norm: Double) -> Double {
        guard emaCount >= 25 else { return 0 }
        return (norm - emaMean) / (emaVariance.squareRoot() + 1e-6)
    }

    private func updateEMA(_ norm: Double) {
        emaCount += 1
        if emaCount == 1 { emaMean = norm; return }
        let a = Thresholds.spikeAlpha
        emaMean = a * emaMean + (1 - a) * norm
        emaVariance = a * emaVariance + (1 - a) * (norm - emaMean) * (norm - emaMean)
    }

    // MARK: Recorded steps

    private func observe(record r: StepRecord, into alerts: inout [Alert]) {
        if layerNorms.isEmpty { layerNorms = r.layers.map { ($0.name, $0.gradNorm, $0.gradNorm) } }
        for (i, l) in r.layers.enumerated() where i < layerNorms.count && l.gradNorm.isFinite {
            layerNorms[i].latest = l.gradNorm
        }

        // Depth rules read records whose output layer gets a gradient; the
        // others (exactly zero loss gradient) neither confirm nor break a streak.
        let dense = r.signals.filter { $0.kind == .dense && $0.deltaRMS.isFinite }
        if dense.count >= 2, let last = dense.last, last.deltaRMS > 0 {
            recordedSteps += 1
            let ratio = dense[0].deltaRMS / last.deltaRMS
            var exploding: Hit?
            if ratio >= Thresholds.explodingDeltaRatio {
                let layer = dense.reversed().first { $0.deltaRMS / last.deltaRMS >= Thresholds.explodingDeltaRatio }
                exploding = Hit(step: r.step, layer: layer?.name, value: ratio, threshold: Thresholds.explodingDeltaRatio,
                                message: "the backward signal grows towards the input: RMS δ of \(dense[0].name) is \(format(ratio))× that of \(last.name)")
            }
            if let confirmed = explodingDepth.observe(exploding) { raise(.exploding, .critical, confirmed, into: &alerts) }

            let weights = r.layers.filter { $0.kind == .dense && $0.gradNorm.isFinite }
            let weightRatio = weights.count >= 2 && weights.last!.gradNorm > 0 ? weights[0].gradNorm / weights.last!.gradNorm : 1
            let autotrainer = weightRatio < Thresholds.vanishingWeightRatio && (weights.first?.gradNorm ?? 1) < Thresholds.vanishingFirstNorm
            var fading: Hit?
            if ratio < Thresholds.vanishingDeltaRatio || autotrainer {
                let byDelta = ratio < Thresholds.vanishingDeltaRatio
                let layer = byDelta
                    ? dense.reversed().first { $0.deltaRMS / last.deltaRMS < Thresholds.vanishingDeltaRatio }?.name
                    : weights.reversed().first { $0.gradNorm / weights.last!.gradNorm < Thresholds.vanishingWeightRatio }?.name
                let message = byDelta
                    ? "the backward signal fades towards the input: RMS δ of \(dense[0].name) is \(format(ratio))× that of \(last.name)"
                    : "‖∂W‖ of \(weights[0].name) is \(format(weightRatio))× that of \(weights.last!.name) and below 1e-4"
                fading = Hit(step: r.step, layer: layer, value: min(ratio, weightRatio),
                             threshold: Thresholds.vanishingDeltaRatio, message: message)
            }
            if let confirmed = vanishing.observe(fading) { raise(.vanishing, .critical, confirmed, into: &alerts) }
        }
        observeThroughTime(r, into: &alerts)

        // After a divergence every unit reads as dead or saturated: say nothing more.
        guard diverged == nil else { return }
        for s in r.signals {
            if let dead = s.deadFraction, dead >= Thresholds.deadFraction {
                let hit = Hit(step: r.step, layer: s.name, value: dead, threshold: Thresholds.deadFraction,
                              message: "\(percent(dead)) of the units of \(s.name) output 0 for the whole batch (dead ReLU)")
                raise(.deadUnits, .warning, hit, into: &alerts)
            }
            if let saturated = s.saturatedFraction, saturated >= Thresholds.saturatedFraction {
                let hit = Hit(step: r.step, layer: s.name, value: saturated, threshold: Thresholds.saturatedFraction,
                              message: "\(percent(saturated)) of the outputs of \(s.name) are saturated, where its derivative is near 0")
                raise(.saturation, .warning, hit, into: &alerts)
            }
        }
        // The update/weight ratio from the second update on (Adam's first steps are lr-sized by design).
        let ratios = r.layers.compactMap { $0.summary.updateRatio }.filter { $0.isFinite && $0 > 0 }.sorted()
        if r.step > 1, !r.skipped, !ratios.isEmpty {
            let median = ratios[ratios.count / 2]
            if median > Thresholds.updateRatioHigh {
                raise(.updateRatioHigh, .warning, Hit(
                    step: r.step, layer: nil, value: median, threshold: Thresholds.updateRatioHigh,
                    message: "updates are \(format(median)) of the weights' size (median over layers; ~1e-3 is healthy): the learning rate is too large"), into: &alerts)
            } else if median < Thresholds.updateRatioLow {
                raise(.updateRatioLow, .warning, Hit(
                    step: r.step, layer: nil, value: median, threshold: Thresholds.updateRatioLow,
                    message: "updates are \(format(median)) of the weights' size (median over layers; ~1e-3 is healthy): the learning rate is too small or the gradients vanish"), into: &alerts)
            }
        }
    }

    /// The recurrent rules: how much of the gradient at the last step reaches
    /// the first (of the last truncation chunk, with `tbptt`: nothing crosses
    /// its boundary by design), in the layer where that ratio is most
    /// extreme. Records whose last step gets no gradient are left out.
    private func observeThroughTime(_ r: StepRecord, into alerts: inout [Alert]) {
        let ratios = r.recurrent.compactMap { s -> (signal: RecurrentSignal, ratio: Double)? in
            let span = s.lastChunk, norms = s.hiddenGradNorms
            guard span.count >= 2, norms[span.upperBound - 1] > 0, norms.allSatisfy(\.isFinite) else { return nil }
            return (s, norms[span.lowerBound] / norms[span.upperBound - 1])
        }
        // After a divergence the profile measures NaN arithmetic, not the net.
        guard diverged == nil, let lowest = ratios.min(by: { $0.ratio < $1.ratio }),
              let highest = ratios.max(by: { $0.ratio < $1.ratio }) else { return }
        recordedTimeSteps += 1
        func name(_ s: RecurrentSignal) -> String {
            ratios.filter { $0.signal.layer == s.layer }.count > 1 ? "\(s.layer) (layer \(s.sublayer))" : s.layer
        }
        func describe(_ s: RecurrentSignal, _ ratio: Double) -> String {
            "‖∂L/∂h_\(s.lastChunk.lowerBound + 1)‖ is \(format(ratio))× ‖∂L/∂h_\(s.hiddenGradNorms.count)‖ in \(name(s)) (σ₁ of weight_hh_l\(s.sublayer) = \(format(s.spectralNorm)))"
        }
        var exploding: Hit?, fading: Hit?
        if highest.ratio >= Thresholds.explodingTimeRatio {
            exploding = Hit(step: r.step, layer: highest.signal.layer, value: highest.ratio, threshold: Thresholds.explodingTimeRatio,
                            message: "the gradient grows backwards through time: " + describe(highest.signal, highest.ratio))
        }
        if lowest.ratio < Thresholds.vanishingTimeRatio {
            fading = Hit(step: r.step, layer: lowest.signal.layer, value: lowest.ratio, threshold: Thresholds.vanishingTimeRatio,
                         message: "the gradient fades backwards through time: " + describe(lowest.signal, lowest.ratio))
        }
        if let confirmed = explodingThroughTime.observe(exploding) { raise(.exploding, .critical, confirmed, into: &alerts) }
        if let confirmed = vanishingThroughTime.observe(fading) { raise(.vanishing, .critical, confirmed, into: &alerts) }
    }

    /// The layer whose gradient norm grew most since the first record; the
    /// earliest in model order on a tie.
    private func fastestGrowingLayer() -> String? {
        var best: (name: String, growth: Double)?
        for l in layerNorms where l.baseline > 0 && l.baseline.isFinite {
            let growth = l.latest / l.baseline
            if growth > (best?.growth ?? -1) { best = (l.name, growth) }
        }
        return best?.name
    }

    /// Raises an alert for `hit`. Warnings of one kind and layer fire once
    /// (spikes, `once: false`, are rate-limited by the caller instead), and
    /// become evidence; critical hits are kept as the rules' first hits.
    private func raise(_ kind: Alert.Kind, _ severity: Alert.Severity, _ hit: Hit, once: Bool = true,
                       into alerts: inout [Alert]) {
        if once && severity == .warning {
            guard alerted.insert("\(kind.rawValue)|\(hit.layer ?? "")").inserted else { return }
        }
        if severity == .warning {
            otherEvidence.append(Report.Evidence(rule: kind.rawValue, step: hit.step, layer: hit.layer, value: hit.value,
                                                 threshold: hit.threshold, message: hit.message))
        }
        alerts.append(Alert(step: hit.step, kind: kind, severity: severity, layer: hit.layer, value: hit.value,
                            threshold: hit.threshold, message: hit.message, sampleIndices: latestSamples))
    }

    // MARK: Verdict

    public func report() -> Report {
        // The persistent rules in order of precedence, each with the steps it is judged on.
        let persistent: [(rule: String, verdict: Verdict, state: PersistentRule, of: Int)] = [
            ("exploding_across_depth", .exploding, explodingDepth, recordedSteps),
            ("exploding_through_time", .exploding, explodingThroughTime, recordedTimeSteps),
            ("vanishing", .vanishing, vanishing, recordedSteps),
            ("vanishing_through_time", .vanishing, vanishingThroughTime, recordedTimeSteps),
        ]
        var verdict = Verdict.healthy
        var decisive: (rule: String, hit: Hit)?
        if let d = diverged {
            verdict = .diverged
            decisive = ("diverged", d)
        } else if let e = explodingOverTime.hit {
            verdict = .exploding
            decisive = ("exploding_over_time", e)
        } else if let p = persistent.first(where: { p in
            p.state.hit != nil && Double(p.state.holds) >= Thresholds.persistentShare * Double(p.of)
        }) {
            verdict = p.verdict
            decisive = (p.rule, p.state.hit!)
        }
        var evidence: [Report.Evidence] = []
        var found: [(String, Hit, String)] = [diverged.map { ("diverged", $0, "") }, explodingOverTime.hit.map { ("exploding_over_time", $0, "") }]
            .compactMap { $0 }
        for p in persistent {
            if let hit = p.state.hit { found.append((p.rule, hit, " (on \(p.state.holds) of \(p.of) recorded steps)")) }
        }
        // Growth through time seen before a divergence explains it even when the run blew up before a second record.
        // (The time rules stop at a divergence, so what they saw came before it.)
        if diverged != nil, explodingThroughTime.hit == nil, let growing = explodingThroughTime.first {
            found.append(("exploding_through_time", growing, " (before the run diverged)"))
        }
        for (rule, hit, suffix) in found {
            let e = Report.Evidence(rule: rule, step: hit.step, layer: hit.layer, value: hit.value, threshold: hit.threshold,
                                    message: hit.message + suffix)
            if rule == decisive?.rule { evidence.insert(e, at: 0) } else { evidence.append(e) }
        }
        evidence += otherEvidence
        var firstLayer = decisive?.hit.layer
        if verdict == .diverged {
            // A recurrent net that blows up while its gradient grows backwards
            // through time: the recurrent layer is the cause, whatever layer
            // the first NaN then shows up in.
            if let growing = explodingThroughTime.first {
                firstLayer = growing.layer
            } else if firstLayer == nil {
                // A loss blow-up before any NaN: where the NaN then started, or the fastest-growing layer.
                firstLayer = origin?.layer ?? fastestGrowingLayer()
            }
        }
        let throughTime = decisive?.rule.hasSuffix("through_time") ?? false
            || (verdict == .diverged && explodingThroughTime.first != nil)
        return Report(
            verdict: verdict, firstStep: decisive?.hit.step, firstLayer: firstLayer,
            pass: verdict == .diverged ? origin?.pass.rawValue : nil, evidence: evidence,
            remedies: remedies(for: verdict, acrossDepth: explodingDepth.holds > 0, throughTime: throughTime),
            alertCounts: alertCounts)
    }

    /// Ranked cures, leaving out what the run already does.
    func remedies(for verdict: Verdict, acrossDepth: Bool, throughTime: Bool = false) -> [Remedy] {
        let initReason = facts.matchedInit == "kaiming_normal"
            ? "He (kaiming_normal) init keeps each ReLU layer's gain at 1, so signals neither grow nor fade with depth"
            : "Xavier init with the activation's gain keeps each layer's gain near 1, so signals neither grow nor fade with depth"
        let candidates: [Remedy]
        let gated = Remedy(kind: .lstm, reason: "an LSTM's cell state carries the gradient through time additively, gated by a forget gate that starts open (bias ln T, at least 1), instead of through a product of T Jacobians (Hochreiter & Schmidhuber 1997)")
        let orthogonal = Remedy(kind: .orthogonalRecurrent, reason: "an orthogonal weight_hh at scale 1 has every singular value 1, so to start with the gradient neither grows nor decays through time (Saxe et al. 2014)")
        switch verdict {
        case .healthy: return []
        case .exploding where throughTime, .diverged where throughTime:
            let clip = Remedy(kind: .clipNorm, reason: "clipping the global norm at 1.0 is the cure Pascanu et al. (2013) introduced for exploding gradients in recurrent nets: it keeps the direction and bounds the step")
            let lr = Remedy(kind: .lowerLearningRate, reason: "a 10× smaller learning rate keeps updates inside the region where the loss is stable")
            candidates = [clip, orthogonal, lr, gated]
        case .vanishing where throughTime:
            candidates = [gated, orthogonal]
        case .exploding, .diverged:
            let clip = Remedy(kind: .clipNorm, reason: "clipping the global norm at 1.0 bounds every update, the standard cure for exploding gradients (Pascanu et al. 2013)")
            let lr = Remedy(kind: .lowerLearningRate, reason: "a 10× smaller learning rate keeps updates inside the region where the loss is stable")
            let initialise = Remedy(kind: .matchedInit, reason: initReason)
            let bn = Remedy(kind: .batchnorm, reason: "batch normalisation rescales every layer's input, so scale cannot compound across depth")
            let res = Remedy(kind: .residual, reason: "residual links give the gradient an identity path around each block")
            // Growth across depth is the initialisation's doing; growth over time the step size's.
            candidates = acrossDepth ? [initialise, bn, clip, lr, res] : [clip, lr, initialise, bn, res]
        case .vanishing:
            let usesSaturating = !facts.activations.isDisjoint(with: [.sigmoid, .tanh, .softplus])
            var list: [Remedy] = []
            if usesSaturating {
                list.append(Remedy(kind: .relu, reason: "ReLU's derivative is 1 wherever a unit is active (sigmoid's is at most 1/4), and with He init the gradient keeps its size through depth"))
            }
            list.append(Remedy(kind: .matchedInit, reason: initReason))
            list.append(Remedy(kind: .batchnorm, reason: "batch normalisation keeps each layer's pre-activations in the range where the derivative is large"))
            list.append(Remedy(kind: .residual, reason: "residual links carry the gradient past the layers that shrink it"))
            candidates = list
        }
        return candidates.filter { r in
            switch r.kind {
            case .clipNorm: !facts.clipping
            case .matchedInit: facts.initializer != facts.matchedInit
            case .relu: !facts.activations.isSubset(of: [.relu])
            case .batchnorm: !facts.hasBatchNorm
            case .residual: !facts.hasResidual && facts.denseLayers > 2
            case .lowerLearningRate: true
            case .lstm: facts.recurrentKinds.contains(.rnn)
            case .orthogonalRecurrent: !facts.recurrentKinds.isEmpty && facts.recurrentInit != "orthogonal"
            }
        }
    }
}

func format(_ v: Double) -> String {
    guard v.isFinite else { return "\(v)" }
    let a = abs(v)
    if a != 0 && (a < 1e-3 || a >= 1e4) {
        var exponent = Int((log10(a)).rounded(.down))
        var mantissa = ((v / pow(10, Double(exponent))) * 10).rounded() / 10
        if abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }  // 9.96e-11 → 1.0e-10, not 10.0e-11
        return "\(mantissa)e\(exponent)"
    }
    return "\((v * 1000).rounded() / 1000)"
}

func percent(_ v: Double) -> String { "\(Int((v * 100).rounded()))%" }
