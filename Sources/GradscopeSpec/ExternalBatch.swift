import Foundation
import GradscopeEngine

extension ExternalRecord {
    /// Why a batch was refused: a record that is not JSON (`record` is its
    /// index in NDJSON, nil for the JSON-array form), or one that is not a
    /// valid record for the run.
    public enum BatchError: Error, Sendable {
        case syntax(record: Int?, JSONSyntaxError)
        case invalid(SpecError)
    }

    /// Reads a batch posted to `run`: NDJSON (one record a line, blank lines
    /// skipped) or a JSON array of records, at most `limit` of them.
    ///
    /// NDJSON lines are first read by `ExternalRecordScanner`, straight from
    /// the bytes; if it declines any line the whole batch is read the checked
    /// way (`JSONValue` then `init(json:)`), which either accepts it or names
    /// the record and field at fault.
    public static func batch(_ body: Data, run: ExternalRunSpec, limit: Int) throws(BatchError) -> [ExternalRecord] {
        let first = body.first { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }
        if first != UInt8(ascii: "["), let records = body.withUnsafeBytes({ ExternalRecordScanner.lines($0, run: run, limit: limit) }) {
            return records
        }
        let values: [JSONValue]
        if first == UInt8(ascii: "[") {
            do {
                guard case .array(let a) = try JSONValue.parse(body) else { return [] }
                values = a
            } catch {
                throw .syntax(record: nil, error)
            }
        } else {
            do { values = try JSONValue.parseLines(body, limit: limit + 1) } catch {
                throw .syntax(record: error.index, error.syntax)
            }
        }
        guard values.count <= limit else {
            throw .invalid(SpecError("records", "has \(values.count) records; at most \(limit) a batch", isLimit: true))
        }
        do throws(SpecError) {
            return try values.enumerated().map { (i, json) throws(SpecError) in
                try ExternalRecord(json: json, path: "records[\(i)]", run: run)
            }
        } catch {
            throw .invalid(error)
        }
    }
}
