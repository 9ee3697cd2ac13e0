import GradscopeDiagnosis
import GradscopeEngine
import GradscopeSpec

/// Runs a job and variants of it with remedies applied, on the same seed
/// and data, so the evidence that a remedy works is a side-by-side result.
///
/// A remedy works when its variant learns with healthy gradients: its
/// verdict is `healthy`, its final loss (the last epoch's mean training
/// loss) is at least `Thresholds.learnedProgress` (10%) below the best
/// constant prediction's, the learning gate of the verdict, and lower than
/// the original's (any finite loss beats a non-finite one). Being lower
/// than a stalled original's loss is not enough: a 10-class run at 2.17
/// against ln 10 = 2.30 has learned next to nothing.
public enum RemedyExperiment {
    public struct Trial: Sendable {
        /// "original", or the remedy's name.
        public var name: String
        /// The spec change; an array of changes for stacked remedies.
        public var change: JSONValue?
        public var report: Report
        public var finalLoss: Double
        /// Validation accuracy when the job has a split, else training accuracy (last epoch).
        public var accuracy: Double?
        public var maxGradNorm: Double
        public var firstAlertStep: Int?
        /// The mean training loss of each epoch, to draw the trials side by side.
        public var lossCurve: [Double]
        /// Nil for the original.
        public var works: Bool?
        public var verdict: Verdict { report.verdict }
    }

    public enum Selection: Sendable, Equatable {
        /// The original's ranked remedies, one after another, until one works;
        /// if none does, the first two together, the first three, and so on.
        case auto
        /// These remedies, all of them.
        case list([Remedy.Kind])
    }

    public static func run(
        spec json: JSONValue, baseDirectory: String?, selection: Selection, limits: JobLimits = .standard,
        datasets: (@Sendable (String) -> String?)? = nil, stop: () -> Bool = { false }, progress: (Trial) -> Void = { _ in }
    ) throws(SpecError) -> [Trial] {
        if stop() { return [] }
        func trial(_ json: JSONValue, name: String, change: JSONValue?, originalLoss: Double?) throws(SpecError) -> (trial: Trial, job: Job) {
            try Self.trial(json, name: name, change: change, baseDirectory: baseDirectory, originalLoss: originalLoss,
                           limits: limits, datasets: datasets, stop: stop)
        }
        let original = try trial(json, name: "original", change: nil, originalLoss: nil)
        progress(original.trial)
        var trials = [original.trial]
        let ranked = original.trial.report.remedies.map(\.kind)
        var candidates: [[Remedy.Kind]] = switch selection {
        case .auto: ranked.map { [$0] }
        case .list(let list): list.map { [$0] }
        }
        // Auto: when no single remedy works, stack the ranked ones: the first two, the first three, …
        if selection == .auto && ranked.count > 1 { candidates += (2...ranked.count).map { Array(ranked.prefix($0)) } }
        for (index, kinds) in candidates.enumerated() {
            if stop() { break }
            if selection == .auto && index >= ranked.count && trials.contains(where: { $0.works == true }) { break }
            var variant = json
            var changes: [JSONValue] = []
            for kind in kinds {
                guard let change = RemedyPatch.change(kind, for: original.job.spec, facts: original.job.facts) else { continue }
                variant = RemedyPatch.apply(change, to: variant)
                changes.append(change)
            }
            guard !changes.isEmpty else { continue }
            let t = try trial(variant, name: kinds.map(\.rawValue).joined(separator: "+"),
                              change: changes.count == 1 ? changes[0] : .array(changes),
                              originalLoss: original.trial.finalLoss).trial
            progress(t)
            trials.append(t)
            if selection == .auto && t.works == true { break }
        }
        return trials
    }

    private static func trial(_ json: JSONValue, name: String, change: JSONValue?, baseDirectory: String?,
                              originalLoss: Double?, limits: JobLimits, datasets: (@Sendable (String) -> String?)?, stop: () -> Bool)
        throws(SpecError) -> (trial: Trial, job: Job)
    {
        let job = try Job(spec: JobSpec(json: json), baseDirectory: baseDirectory, limits: limits, datasets: datasets)
        let run = JobRun(job: job)
        var lossCurve: [Double] = []
        // `stop`: the server is stopping; the trial ends where it is.
        while !run.isFinished && !stop() {
            _ = run.advanceLines()
            if let e = run.trainer.lastEpoch, e.epoch > lossCurve.count { lossCurve.append(e.trainLoss) }
        }
        let report = run.report()
        let t = job.trainer
        let finalLoss = t.lastEpoch?.trainLoss ?? t.lastLoss
        var works: Bool?
        if let originalLoss {
            let lower = finalLoss.isFinite && (!originalLoss.isFinite || finalLoss < originalLoss)
            let learns = job.facts.baselineLoss.map { finalLoss <= (1 - Thresholds.learnedProgress) * $0 } ?? true
            works = report.verdict == .healthy && lower && learns
        }
        let trial = Trial(
            name: name, change: change, report: report, finalLoss: finalLoss,
            accuracy: t.lastEpoch?.validationAccuracy ?? t.lastEpoch?.trainAccuracy,
            maxGradNorm: t.maxGradNorm, firstAlertStep: run.firstAlertStep, lossCurve: lossCurve, works: works)
        return (trial, job)
    }

    /// `{"type":"trial", "name", "change", "verdict", "first_step", "first_layer", "final_loss", "accuracy",
    /// "max_grad_norm", "first_alert_step", "works"}`.
    public static func json(_ t: Trial) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "trial")
        w.field("name", t.name)
        if let change = t.change { w.field("change", json: change) }
        w.field("verdict", t.verdict.rawValue)
        w.field("first_step", t.report.firstStep.map(Double.init))
        w.field("first_layer", t.report.firstLayer)
        w.field("final_loss", t.finalLoss)
        w.field("accuracy", t.accuracy)
        w.field("max_grad_norm", t.maxGradNorm)
        w.field("first_alert_step", t.firstAlertStep.map(Double.init))
        if let works = t.works { w.field("works", works) }
        w.beginArray("loss_curve")
        for v in t.lossCurve { w.element(v) }
        w.endArray()
        w.endObject()
        return w.text
    }
}
