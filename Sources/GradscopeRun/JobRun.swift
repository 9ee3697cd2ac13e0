import GradscopeDiagnosis
import GradscopeEngine
import GradscopeSpec

/// A job driven to completion with its diagnosis: each update's records and
/// alerts as JSON lines, then the summary and the report. `gradscope run`
/// prints the lines; `compare` and the service use the same driver.
public final class JobRun {
    public let job: Job
    public let diagnosis: Diagnosis
    /// The first alert's step, for "steps to first alert".
    public private(set) var firstAlertStep: Int?
    public private(set) var alerts: [Alert] = []
    /// The latest step record (the full stream goes out as lines).
    public private(set) var lastRecord: StepRecord?

    public init(job: Job) {
        self.job = job
        diagnosis = Diagnosis(facts: job.facts)
    }

    public var trainer: Trainer { job.trainer }
    public var isFinished: Bool { trainer.isFinished }
    public var startLine: String { StartRecord(job: job).json }

    /// One record as it goes out: its type, the step it belongs to, its JSON.
    public struct Line: Sendable {
        public var type: String
        public var step: Int?
        public var json: String
        /// A step record's gradient norm (nil when not finite) and whether
        /// it saw a NaN/Inf: what a chart's downsampling keeps (`ChartSample`).
        public var gradNorm: Double?
        public var nonfinite = false

        public init(type: String, step: Int?, json: String) {
            self.type = type
            self.step = step
            self.json = json
        }

        /// A record's line; `step` defaults to the step the record itself
        /// names (none for a start record, the last step for a summary).
        public init(_ record: Record, step: Int? = nil) {
            let own: Int? = switch record {
            case .start, .report: nil
            case .step(let r, _): r.step
            case .epoch(let e): e.step
            case .alert(let a): a.step
            case .summary(let s): s.steps
            }
            self.init(type: record.type, step: step ?? own, json: record.json)
            if case .step(let r, let lossKnown) = record {
                gradNorm = r.gradNorm.isFinite ? r.gradNorm : nil
                nonfinite = r.nonfiniteGradients > 0 || !r.gradNorm.isFinite || (lossKnown && !r.loss.isFinite)
            }
        }
    }

    /// One optimizer update; returns its lines: step (on recorded steps),
    /// alerts as they fire, epoch.
    public func advance() -> [String] { advanceLines().map(\.json) }

    public func advanceLines() -> [Line] {
        var lines: [Line] = []
        for event in trainer.advance() {
            switch event {
            case .step(let r):
                lastRecord = r
                lines.append(Line(.step(r, lossKnown: true)))
            case .epoch(let e): lines.append(Line(.epoch(e)))
            case .pulse, .nonfinite: break
            }
            for alert in diagnosis.observe(event) {
                if firstAlertStep == nil { firstAlertStep = alert.step }
                alerts.append(alert)
                lines.append(Line(.alert(alert)))
            }
        }
        return lines
    }

    /// Trains to the end, handing each line to `emit`.
    public func runToEnd(_ emit: (String) -> Void = { _ in }) {
        while !isFinished { for line in advance() { emit(line) } }
    }

    public func report() -> Report { diagnosis.report() }

    /// The summary and report lines.
    public func finishLines() -> [String] { finish().map(\.json) }

    public func finish() -> [Line] {
        [Line(.summary(SummaryRecord(job: job)), step: trainer.stepsDone),
         Line(.report(ReportRecord(report(), job: job)), step: trainer.stepsDone)]
    }
}
