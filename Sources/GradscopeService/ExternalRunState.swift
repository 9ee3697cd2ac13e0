import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeRun
import GradscopeSpec

/// An external run's diagnosis and running totals, and what a batch does to
/// them: the one place that decides which posted records are new, what
/// alerts they raise, and what the run's summary and report say. Both
/// backends use it; the database backend rebuilds it on any replica from the
/// stored step records, since a diagnosis is a function of the records in order.
///
/// `@unchecked Sendable`: it is a diagnosis (a class) and counters, used
/// under one lock at a time: the local run's mutex, or the database record
/// writer's single flush.
public final class ExternalRunState: @unchecked Sendable {
    public var diagnosis: Diagnosis
    public var lastStep = 0
    public var steps = 0
    public var firstNonfinite: NonfiniteOrigin?
    public var lastLoss: Double?
    public var maxGradNorm = 0.0
    public var nonfiniteSteps = 0

    public init(spec: ExternalRunSpec) {
        diagnosis = Diagnosis(facts: spec.facts)
    }

    /// A batch in the order it is applied: by step, a step's NaN origin
    /// before the step itself, else as posted.
    public static func ordered(_ records: [ExternalRecord]) -> [ExternalRecord] {
        records.enumerated().sorted { a, b in
            let ka = (a.element.step, isStep(a.element) ? 1 : 0, a.offset)
            let kb = (b.element.step, isStep(b.element) ? 1 : 0, b.offset)
            return ka < kb
        }.map(\.element)
    }

    private static func isStep(_ r: ExternalRecord) -> Bool {
        if case .step = r { return true }
        return false
    }

    /// Feeds an `ordered` batch to the diagnosis. A step number at or below
    /// the last accepted one is a retry and is skipped, as is any NaN origin
    /// after the first. Returns the lines to store: the new step records and
    /// the alerts they raised.
    public func apply(_ records: [ExternalRecord]) -> (lines: [JobRun.Line], accepted: Int, duplicates: Int) {
        var lines: [JobRun.Line] = []
        var accepted = 0, duplicates = 0
        for record in records {
            switch record {
            case .nonfinite(let origin):
                guard firstNonfinite == nil, origin.step > lastStep else { duplicates += 1; continue }
                firstNonfinite = origin
                _ = diagnosis.observe(.nonfinite(origin))
                accepted += 1
            case .step(let r, let lossKnown):
                guard r.step > lastStep else { duplicates += 1; continue }
                lastStep = r.step
                steps += 1
                accepted += 1
                if lossKnown { lastLoss = r.loss }
                if r.gradNorm.isFinite { maxGradNorm = max(maxGradNorm, r.gradNorm) }
                if r.nonfiniteGradients > 0 || (lossKnown && !r.loss.isFinite) { nonfiniteSteps += 1 }
                lines.append(JobRun.Line(.step(r, lossKnown: lossKnown)))
                for alert in diagnosis.observe(.pulse(r.pulse)) + diagnosis.observe(.step(r)) {
                    lines.append(JobRun.Line(.alert(alert)))
                }
            }
        }
        return (lines, accepted, duplicates)
    }

    /// Why a run that posted nothing for `timeout` was ended.
    public static func idleError(_ timeout: Duration) -> String {
        let seconds = timeout.components.seconds
        return "no records for \(seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) s"): the client stopped without finishing the run"
    }

    /// The run's last two records, its summary and report (the verdict, with
    /// remedies suggested but no spec to patch), and the verdict.
    public func finalLines(spec: ExternalRunSpec, dropped: Int) -> (lines: [JobRun.Line], verdict: String) {
        var report = diagnosis.report()
        report.firstLayer = spec.label(report.firstLayer)
        let lines = [
            JobRun.Line(.summary(SummaryRecord(steps: steps, finalLoss: lastLoss, maxGradNorm: maxGradNorm,
                                               nonfiniteSteps: nonfiniteSteps, training: nil, droppedSteps: dropped)),
                        step: lastStep),
            JobRun.Line(.report(ReportRecord(report, firstNonfinite: firstNonfinite, patch: nil)), step: lastStep),
        ]
        return (lines, report.verdict.rawValue)
    }
}
