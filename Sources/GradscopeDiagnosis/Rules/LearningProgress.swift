import GradscopeEngine

/// Whether the run learns: its loss against the baseline, the loss of the
/// best constant prediction (ln C for C balanced classes with
/// cross-entropy, the target's variance with MSE; `Loss.constantPredictorLoss`).
/// Without a declared baseline (an external run whose client gave none)
/// the median of the first 5 finite losses stands in: a net that has not
/// yet learned scores about the constant predictor's loss.
///
/// - progress = 1 − recent / baseline, with `recent` the median loss of the
///   last k steps, k = a fifth of the run, between 5 and 50. For
///   cross-entropy, baseline − loss is a lower bound on the information
///   about the label the model has extracted (in nats); for MSE, progress
///   is the share of the target's variance explained (R²).
/// - The run **learns** when progress ≥ 0.1 (`Thresholds.learnedProgress`).
/// - The trend compares `recent` with the median of the k steps before:
///   a change of more than three standard errors of that median
///   (1.4826·MAD/√k · 1.25, the median's standard error for normal noise)
///   is improving or worsening, anything less is flat (stalled, in a run
///   that has not learned). It is oscillating when the last k losses'
///   interquartile range is at least 0.1 of the baseline, the learning
///   gate's margin: swings that wide hide any trend (AUTOTRAINER's
///   `unstable_loss` judges swings of accuracy the same way).
/// - A spike **damages** the run when the median loss of the 10 steps after
///   it is higher than that of the 10 steps up to it by at least 0.1 of the
///   baseline: it undid at least as much as the learning gate asks for, and
///   a one-step jump that recovers at once does not move a median. The
///   damage is **lasting** when the run's recent loss at the end is still
///   above what it was before the spike.
///
/// AUTOTRAINER (Zhang et al. 2021) gates its gradient rules the same way:
/// a vanishing or exploding symptom counts only when training has not
/// converged (`not_converge`, or accuracy improving by less than δ = 0.01).
struct LearningProgress: Sendable {
    enum Trend: String, Sendable { case improving, flat, worsening, oscillating }

    struct Judgement: Sendable {
        var baseline: Double
        /// "declared" (from the model and data, or the client) or "first steps".
        var baselineSource: String
        var recent: Double
        var progress: Double
        var trend: Trend
        var learns: Bool { progress >= Thresholds.learnedProgress }
    }

    private let declaredBaseline: Double?
    private var firstLosses: [Double] = []
    private var losses = RollingWindow(capacity: 2 * Thresholds.progressWindowMax)
    private var finiteLosses = 0
    /// The step of the latest finite loss.
    private(set) var lastStep = 0
    private var watched: [(spike: Finding, before: Double, after: [Double])] = []
    /// The first spike that damaged the run, and the median loss before it.
    private(set) var damage: (spike: Finding, before: Double)?

    init(baseline: Double?) {
        declaredBaseline = baseline.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
    }

    var baseline: Double? {
        if let declaredBaseline { return declaredBaseline }
        guard !firstLosses.isEmpty else { return nil }
        let m = median(firstLosses)
        return m > 0 ? m : nil
    }

    mutating func observe(_ p: StepPulse) {
        guard p.loss.isFinite else { return }
        finiteLosses += 1
        lastStep = p.step
        if firstLosses.count < Thresholds.baselineSteps { firstLosses.append(p.loss) }
        losses.append(p.loss)
        for i in watched.indices { watched[i].after.append(p.loss) }
        while let done = watched.first, done.after.count >= Thresholds.damageWindow {
            watched.removeFirst()
            if damage == nil, let baseline, median(done.after) - done.before >= Thresholds.learnedProgress * baseline {
                var spike = done.spike
                spike.message += "; the loss then rose from \(format(done.before)) to \(format(median(done.after))) "
                    + "(medians of \(Thresholds.damageWindow) steps before and after)"
                damage = (spike, done.before)
            }
        }
    }

    /// Whether a damaging spike's setback lasted to the end of the run: the
    /// recent loss is still above the loss before the spike (true when the
    /// run is too short to tell).
    var damageLasted: Bool {
        guard let damage, let recent = judgement?.recent else { return true }
        return recent > damage.before
    }

    /// Starts watching the loss after a spike seen on the step just observed.
    mutating func watch(spike: Finding) {
        guard watched.count < 4 else { return }
        watched.append((spike, median(losses.last(Thresholds.damageWindow)), []))
    }

    /// Nil while the run is too short to judge (fewer than two windows of
    /// 5 finite losses) or has no positive baseline.
    var judgement: Judgement? {
        guard finiteLosses >= 2 * Thresholds.progressWindowMin, let baseline else { return nil }
        let k = min(max(finiteLosses / 5, Thresholds.progressWindowMin), Thresholds.progressWindowMax)
        let both = losses.last(2 * k)
        let previous = both.prefix(both.count - k), latest = both.suffix(k)
        let recent = median(latest), before = median(previous)
        let mad = median(previous.map { abs($0 - before) })
        let noise = 3 * 1.25 * 1.4826 * mad / Double(k).squareRoot()
        // Swings wider than the learning gate's margin drown any trend.
        let sorted = latest.sorted(), spread = sorted[sorted.count * 3 / 4] - sorted[sorted.count / 4]
        let trend: Trend = spread >= Thresholds.learnedProgress * baseline ? .oscillating
            : before - recent > noise ? .improving : recent - before > noise ? .worsening : .flat
        return Judgement(baseline: baseline, baselineSource: declaredBaseline == nil ? "first steps" : "declared",
                         recent: recent, progress: 1 - recent / baseline, trend: trend)
    }
}
