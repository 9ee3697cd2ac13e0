import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec

/// The routes of `/api/runs`: runs trained elsewhere that post their records.
extension Service {
    // MARK: External runs

    func createRun(_ request: Request) async throws -> Response {
        let json = try Self.parseBody(request)
        let created: (meta: JobMeta, token: String)
        do { created = try await jobs.createRun(json: json) } catch let error as SubmitError {
            switch error {
            case .invalid(let e): throw HTTPError(400, e.isLimit ? "limit_exceeded" : "invalid_run", e.description, field: e.field.isEmpty ? nil : e.field)
            case .queueFull:
                throw HTTPError(429, "queue_full", "\(JobManager.maxOpenRuns) runs are taking records; finish one or try again shortly",
                                headers: [("Retry-After", "5")])
            case .stopping:
                throw HTTPError(503, "stopping", "the server is stopping; try again shortly", headers: [("Retry-After", "5")])
            case .storage(let message):
                throw Self.storageError("the run", message)
            case .unavailable(let message):
                throw Self.unavailable(StorageFailure(message: message))
            }
        }
        let id = created.meta.id
        var links = Self.links(id)
        if case .object(var o) = links {
            o["ingest"] = .string("/api/runs/\(id)/steps")
            o["finish"] = .string("/api/runs/\(id)/finish")
            o["checkpoint"] = nil
            links = .object(o)
        }
        return .json(encoding: ["id": JSONValue.string(id), "status": .string("running"), "token": .string(created.token), "links": links],
                     status: 201, headers: [("Location", "/api/jobs/\(id)")])
    }

    func ingest(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        do {
            let result = try await jobs.ingest(id, token: Self.bearer(request), body: request.body)
            return .json(encoding: ["accepted": result.accepted, "duplicates": result.duplicates, "last_step": result.lastStep])
        } catch let error as IngestError {
            throw Self.ingestError(error, id: id)
        }
    }

    func finishRun(_ request: Request) async throws -> Response {
        let id = request.parameters["id"] ?? ""
        var status = JobMeta.Status.completed
        var dropped = 0
        if !request.body.isEmpty {
            guard case .object(let o)? = try? JSONValue.parse(request.body) else {
                throw HTTPError(400, "invalid_json", #"the body must be empty or {"status": "completed" | "failed" | "cancelled", "dropped": n}"#)
            }
            if let unknown = o.keys.sorted().first(where: { $0 != "status" && $0 != "dropped" }) {
                throw HTTPError(400, "invalid_parameter", "\(unknown) is not a field (fields: status, dropped)", field: unknown)
            }
            switch o["status"] {
            case nil, .string("completed")?: break
            case .string("failed")?: status = .failed
            case .string("cancelled")?: status = .cancelled
            default: throw HTTPError(400, "invalid_parameter", #"status must be "completed", "failed" or "cancelled""#, field: "status")
            }
            switch o["dropped"] {
            case nil: break
            case .number(let n)? where n >= 0 && n == n.rounded() && n < 9e15: dropped = Int(n)
            default: throw HTTPError(400, "invalid_parameter", "dropped must be a whole number ≥ 0 (steps the client measured but could not send)", field: "dropped")
            }
        }
        do {
            return .json(encoding: Self.summary(try await jobs.finishRun(id, token: Self.bearer(request), status: status, dropped: dropped)))
        } catch let error as IngestError {
            throw Self.ingestError(error, id: id)
        }
    }
}
