import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec

/// The API's error mapping and query parsing, shared by its routes.
extension Service {
    /// A request's JSON body; 400 `invalid_json` saying where its syntax broke.
    static func parseBody(_ request: Request) throws(HTTPError) -> JSONValue {
        do { return try JSONValue.parse(request.body) } catch {
            throw HTTPError(400, "invalid_json", "the body is not valid JSON: \(request.body.isEmpty ? "empty" : error.description)")
        }
    }

    /// What a refused post to an external run answers.
    static func ingestError(_ error: IngestError, id: String) -> HTTPError {
        switch error {
        case .notFound: HTTPError.notFound("no run \(id)")
        case .unauthorized:
            HTTPError(401, "unauthorized", "posting to a run needs Authorization: Bearer <the token POST /api/runs returned>",
                      headers: [("WWW-Authenticate", "Bearer")])
        case .finished(let status): HTTPError(409, "conflict", "run \(id) takes no more records (\(status.rawValue))")
        case .invalid(let e): HTTPError(400, e.isLimit ? "limit_exceeded" : "invalid_record", e.description, field: e.field)
        case .syntax(let record?, let e):
            HTTPError(400, "invalid_json", "record \(record) is not valid JSON: \(e)", field: "records[\(record)]")
        case .syntax(nil, let e): HTTPError(400, "invalid_json", "the body is not a valid JSON array: \(e)", field: "records")
        case .storage(let message): HTTPError(500, "storage", "the records could not be stored: \(message)")
        case .unavailable(let message): unavailable(StorageFailure(message: message))
        case .busy(let seconds):
            HTTPError(429, "busy", "the store is behind on records; send this batch again in \(seconds) s", headers: [("Retry-After", "\(seconds)")])
        }
    }

    /// 503: the store (the database) cannot be reached; nothing was changed.
    static func unavailable(_ failure: StorageFailure) -> HTTPError {
        HTTPError(503, "storage_unavailable", "the store cannot be reached; try again shortly: \(failure.message)", headers: [("Retry-After", "2")])
    }

    /// The largest whole number a query takes, 10^15: far beyond any step
    /// or offset, exact as a JSON number, and short in the OpenAPI document,
    /// which states the same bound.
    static let maxWhole = 1_000_000_000_000_000

    /// What a job without a report or checkpoint answers: 409 while it may
    /// still write one, 404 once it has ended without (interrupted, failed,
    /// cancelled before its end), so a client knows to stop asking.
    static func notYet(_ meta: JobMeta, _ what: String) -> HTTPError {
        meta.status.isFinished
            ? HTTPError(404, "not_found", "job \(meta.id) ended \(meta.status.rawValue) without a \(what)")
            : HTTPError(409, "conflict", "job \(meta.id) has no \(what) until it has finished (\(meta.status.rawValue))")
    }

    /// 500 `storage`: the data directory could not be written, so nothing was kept.
    static func storageError(_ what: String, _ message: String) -> HTTPError {
        HTTPError(500, "storage", "\(what) could not be stored, so nothing was kept (is the disk full?): \(message)")
    }

    // MARK: JSON helpers

    static func integer(_ r: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let text = r.query[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw HTTPError(400, "invalid_parameter", "\(name) must be a whole number from \(range.lowerBound)\(range.upperBound == Int.max ? " up" : " to \(range.upperBound)"), got \"\(text)\"", field: name)
        }
        return n
    }
}
