import Foundation
import GradscopeDiagnosis
import GradscopeEngine

/// One line of a run's NDJSON: what `gradscope run` prints and the service
/// stores and streams. Each case's type has the one encoder of its record
/// (`json`) and its one checked reader; this enum dispatches on `type`.
public enum Record: Sendable {
    case start(StartRecord)
    /// `lossKnown` false: an external run sent no loss (absent, not null).
    case step(StepRecord, lossKnown: Bool)
    case epoch(EpochRecord)
    case alert(Alert)
    case summary(SummaryRecord)
    case report(ReportRecord)

    public static let types = ["start", "step", "epoch", "alert", "summary", "report"]

    public var type: String {
        switch self {
        case .start: "start"
        case .step: "step"
        case .epoch: "epoch"
        case .alert: "alert"
        case .summary: "summary"
        case .report: "report"
        }
    }

    public var json: String {
        switch self {
        case .start(let r): r.json
        case .step(let r, let lossKnown): r.json(lossKnown: lossKnown)
        case .epoch(let r): r.json
        case .alert(let r): r.json
        case .summary(let r): r.json
        case .report(let r): r.json
        }
    }

    /// The checked reader of any record; `layout` holds step records to an
    /// external run's declaration.
    public init(json: JSONValue, path: String = "", layout: RecordLayout? = nil) throws(SpecError) {
        guard case .string(let type)? = json["type"] else {
            throw SpecError(path.isEmpty ? "type" : "\(path).type", "must be one of \(Self.types.joined(separator: ", "))")
        }
        switch type {
        case "start": self = .start(try StartRecord(json: json, path: path))
        case "step":
            let (record, lossKnown) = try StepRecord.read(json, path: path, layout: layout)
            self = .step(record, lossKnown: lossKnown)
        case "epoch": self = .epoch(try EpochRecord(json: json, path: path))
        case "alert": self = .alert(try Alert(json: json, path: path))
        case "summary": self = .summary(try SummaryRecord(json: json, path: path))
        case "report": self = .report(try ReportRecord(json: json, path: path))
        default:
            throw SpecError(path.isEmpty ? "type" : "\(path).type", "must be one of \(Self.types.joined(separator: ", ")), got \"\(type)\"")
        }
    }

    /// Reads one stored line.
    public init(line: some StringProtocol) throws(SpecError) {
        let json: JSONValue
        do { json = try JSONValue.parse(Data(line.utf8)) } catch { throw SpecError("", "not a JSON record: \(error)") }
        try self.init(json: json)
    }
}
