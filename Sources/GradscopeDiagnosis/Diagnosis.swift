import Foundation
import GradscopeEngine

/// Online diagnosis of a run: feed every `TrainingEvent` in order to
/// `observe`, which returns the alerts that fire; `report()` gives the
/// verdict, when and where the problem started, the evidence and ranked
/// remedies. State is bounded: rolling windows and each rule's first hits.
///
/// Each rule is a type of its own in `Rules/`, with its formula and source;
/// `VerdictPolicy` turns their findings and the run's `LearningProgress`
/// into the verdict, and `RemedyCatalogue` ranks the cures. The thresholds
/// live in `Thresholds`. docs/diagnosis.md explains the whole for users.
public final class Diagnosis {
    public let facts: ModelFacts

    private var diverged = Diverged()
    private var overTime = ExplodingOverTime()
    private var explodingDepth = ExplodingAcrossDepth(), vanishingDepth = VanishingAcrossDepth()
    private var explodingTime = ExplodingThroughTime(), vanishingTime = VanishingThroughTime()
    private var learning: LearningProgress
    private var origin: NonfiniteOrigin?
    private var warnings: [Report.Evidence] = []
    private var warned: Set<String> = []
    private var alertCounts: [String: Int] = [:]
    /// Per layer, in model order: its gradient norm at the first recorded
    /// step and at the latest.
    private var layerNorms: [(name: String, baseline: Double, latest: Double)] = []
    private var latestSamples: [Int]?
    private var records = 0
    /// The latest epoch's validation accuracy, when the run has a split.
    private var validationAccuracy: Double?

    public init(facts: ModelFacts) {
        self.facts = facts
        learning = LearningProgress(baseline: facts.baselineLoss)
    }

    public func observe(_ event: TrainingEvent) -> [Alert] {
        var alerts: [Alert] = []
        switch event {
        case .nonfinite(let o): origin = o
        case .pulse(let p): observe(pulse: p, into: &alerts)
        case .step(let r): observe(record: r, into: &alerts)
        case .epoch(let e): validationAccuracy = e.validationAccuracy ?? validationAccuracy
        }
        for a in alerts { alertCounts[a.kind.rawValue, default: 0] += 1 }
        return alerts
    }

    private func observe(pulse p: StepPulse, into alerts: inout [Alert]) {
        latestSamples = p.sampleIndices
        learning.observe(p)
        if let blewUp = diverged.observe(p, origin: origin) { raise(.diverged, .critical, blewUp, into: &alerts) }
        switch overTime.observe(p, layerNames: facts.layerNames) {
        case .none: break
        case .spike(let spike, let alert):
            learning.watch(spike: spike)
            if alert { raise(.gradientSpike, .warning, spike, once: false, into: &alerts) }
        case .confirmed(let onset):
            learning.watch(spike: onset)
            raise(.exploding, .critical, onset, into: &alerts)
        }
    }

    private func observe(record r: StepRecord, into alerts: inout [Alert]) {
        records += 1
        if layerNorms.isEmpty { layerNorms = r.layers.map { ($0.name, $0.gradNorm, $0.gradNorm) } }
        for (i, l) in r.layers.enumerated() where i < layerNorms.count && l.gradNorm.isFinite {
            layerNorms[i].latest = l.gradNorm
        }
        // After a divergence the depth and time profiles measure NaN
        // arithmetic and every unit reads as dead or saturated: the rules stop.
        guard diverged.finding == nil else { return }
        if let depth = DepthProfile(r) {
            if let onset = explodingDepth.observe(r, depth) { raise(.exploding, .critical, onset, into: &alerts) }
            if let onset = vanishingDepth.observe(r, depth) { raise(.vanishing, .critical, onset, into: &alerts) }
        }
        if let time = TimeProfile(r) {
            if let onset = explodingTime.observe(r, time) { raise(.exploding, .critical, onset, into: &alerts) }
            if let onset = vanishingTime.observe(r, time) { raise(.vanishing, .critical, onset, into: &alerts) }
        }
        for f in DeadUnits.findings(r) { raise(.deadUnits, .warning, f, into: &alerts) }
        for f in Saturation.findings(r) { raise(.saturation, .warning, f, into: &alerts) }
        if let (direction, f) = UpdateRatio.finding(r) {
            raise(direction == .high ? .updateRatioHigh : .updateRatioLow, .warning, f, into: &alerts)
        }
    }

    /// Raises an alert. Warnings of one kind and layer fire once (spikes,
    /// `once: false`, are rate-limited by their rule instead) and become
    /// evidence; critical findings are kept by their rules.
    private func raise(_ kind: Alert.Kind, _ severity: Alert.Severity, _ f: Finding, once: Bool = true,
                       into alerts: inout [Alert]) {
        if once && severity == .warning {
            guard warned.insert("\(kind.rawValue)|\(f.layer ?? "")").inserted else { return }
        }
        if severity == .warning { warnings.append(evidence(kind.rawValue, f)) }
        alerts.append(Alert(step: f.step, kind: kind, severity: severity, layer: f.layer, value: f.value,
                            threshold: f.threshold, message: f.message, sampleIndices: latestSamples))
    }

    private func evidence(_ rule: String, _ f: Finding, _ suffix: String = "") -> Report.Evidence {
        Report.Evidence(rule: rule, step: f.step, layer: f.layer, value: f.value, threshold: f.threshold, message: f.message + suffix)
    }

    // MARK: Verdict

    public func report() -> Report {
        func candidate(_ rule: String, _ verdict: Verdict, _ p: Persistence, overTime: Bool = false) -> VerdictPolicy.Candidate? {
            p.onsetInAStalledRun.map {
                VerdictPolicy.Candidate(rule: rule, verdict: verdict, onset: p.onset, stalledOnset: $0, persistent: p.persistent,
                                        overTime: overTime)
            }
        }
        let rules: [(rule: String, verdict: Verdict, state: Persistence)] = [
            ("exploding_over_time", .exploding, overTime.persistence),
            ("exploding_across_depth", .exploding, explodingDepth.persistence),
            ("exploding_through_time", .exploding, explodingTime.persistence),
            ("vanishing_across_depth", .vanishing, vanishingDepth.persistence),
            ("vanishing_through_time", .vanishing, vanishingTime.persistence),
        ]
        let candidates = rules.compactMap { candidate($0.rule, $0.verdict, $0.state, overTime: $0.rule == "exploding_over_time") }
        let progress = learning.judgement
        let lasting = learning.damageLasted ? learning.damage?.spike : nil
        let decision = VerdictPolicy.decide(diverged: diverged.finding, damage: lasting, candidates: candidates,
                                            learning: progress)

        var found: [Report.Evidence] = []
        if let d = diverged.finding { found.append(evidence("diverged", d)) }
        if let d = learning.damage {
            found.append(evidence("damaging_spike", d.spike, lasting == nil ? ", and recovered by the end of the run" : " and did not recover"))
        }
        for r in rules {
            guard let onset = r.state.onset ?? (r.rule == decision.rule ? decision.onset : nil) else { continue }
            let share = r.rule == "exploding_over_time" ? "" : " (on \(r.state.holds) of \(r.state.judged) recorded steps)"
            found.append(evidence(r.rule, onset, share))
        }
        // Growth through time seen before a divergence explains it even when
        // the run blew up before a second record (the time rules stop at a
        // divergence, so what they saw came before it).
        let growingThroughTime = explodingTime.persistence.first
        if diverged.finding != nil, explodingTime.persistence.onset == nil, let growing = growingThroughTime {
            found.append(evidence("exploding_through_time", growing, " (before the run diverged)"))
        }
        if let i = found.firstIndex(where: { $0.rule == decision.rule }) { found.insert(found.remove(at: i), at: 0) }
        if let progress, decision.verdict != .diverged { found.append(learningEvidence(progress, decision)) }
        found += unjudged(learning: progress == nil)

        var firstLayer = decision.onset?.layer
        if decision.verdict == .diverged {
            // A recurrent net that blows up while its gradient grows backwards
            // through time: the recurrent layer is the cause, whatever layer
            // the first NaN then shows up in.
            if let growing = growingThroughTime {
                firstLayer = growing.layer
            } else if firstLayer == nil {
                // A loss blow-up before any NaN: where the NaN then started, or the fastest-growing layer.
                firstLayer = origin?.layer ?? fastestGrowingLayer()
            }
        }
        let throughTime = decision.rule?.hasSuffix("through_time") ?? false
            || (decision.verdict == .diverged && growingThroughTime != nil)
        return Report(
            verdict: decision.verdict, firstStep: decision.onset?.step, firstLayer: firstLayer,
            pass: decision.verdict == .diverged ? origin?.pass.rawValue : nil, evidence: found + warnings,
            remedies: RemedyCatalogue.remedies(for: decision.verdict, acrossDepth: explodingDepth.persistence.holds > 0,
                                               throughTime: throughTime, facts: facts),
            alertCounts: alertCounts)
    }

    /// The learning gate as evidence: whether the run learns, and what that
    /// meant for the verdict.
    private func learningEvidence(_ p: LearningProgress.Judgement, _ decision: VerdictPolicy.Decision) -> Report.Evidence {
        let baseline = p.baselineSource == "declared" ? "the constant predictor's \(format(p.baseline))"
            : "\(format(p.baseline)) (the first steps' median; no baseline was declared)"
        var message = "the loss ended at \(format(p.recent)) against \(baseline): \(percent(p.progress)) below it, trend \(p.trend.rawValue)"
        if let accuracy = validationAccuracy { message += ", validation accuracy \(percent(accuracy))" }
        if !p.learns {
            message += decision.verdict == .healthy
                ? "; the run did not learn, and no gradient rule explains it: look at the data, the loss and the learning rate"
                : "; the run did not learn, and \(decision.rule!.replacingOccurrences(of: "_", with: " ")) from step \(decision.onset!.step) explains it"
        } else if decision.verdict == .healthy && !alertCounts.isEmpty {
            message += "; the run learns despite its alerts"
        }
        return Report.Evidence(rule: p.learns ? "learning" : "not_learning", step: learning.lastStep, layer: nil, value: p.progress,
                               threshold: Thresholds.learnedProgress, message: message)
    }

    /// What could not be judged on this run, said rather than left silent:
    /// depth rules without δ or weighted layers, time rules on a recurrent
    /// model without its profile, learning without losses.
    private func unjudged(learning: Bool) -> [Report.Evidence] {
        guard records > 0, diverged.finding == nil else { return [] }
        var notes: [String] = []
        if explodingDepth.persistence.judged == 0 && vanishingDepth.persistence.judged == 0 {
            notes.append("the depth rules: no record had two layers with weights and a finite gradient or δ")
        } else if explodingDepth.persistence.judged == 0 {
            notes.append("exploding across depth: no record carried the backward signal δ")
        }
        if !facts.recurrentKinds.isEmpty && explodingTime.persistence.judged == 0 {
            notes.append("the time rules: no record carried ‖∂L/∂h_t‖ through time for the recurrent layers")
        }
        if learning {
            notes.append("learning progress: fewer than 10 finite losses, or no baseline (log the loss each step)")
        }
        return notes.map { Report.Evidence(rule: "not_judged", step: 0, layer: nil, value: nil, threshold: nil,
                                           message: "could not be judged: " + $0) }
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
}
