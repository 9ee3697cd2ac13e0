import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeRun
import GradscopeSpec

/// The routes of `/api/jobs` and `/api/comparisons`: submit, list, show, cancel, delete, stream, page, report,
/// checkpoint, export, remedy experiments.
extension Service {
    // MARK: Jobs

    func submit(_ request: Request) throws -> Response {
        try offThread { [self] in try await admit(request) }
    }

    /// Validates a spec (`JobManager.submit`), stores and queues it.
    private func admit(_ request: Request) async throws -> Response {
        var json = try Self.parseBody(request)
        var checkpoint: Checkpoint?
        if case .object(var spec) = json {
            // Over HTTP a spec may not name server files.
            if case .object(let data)? = spec["data"], data["source"] == .string("csv") {
                throw HTTPError(400, "invalid_spec", #"data.source "csv" reads a server file; upload the CSV to POST /api/datasets and use {"source": "dataset", "id": …}"#, field: "data.path")
            }
            switch spec["init_from"] {
            case nil, .null?: break
            case .object(let o)? where o["job"] != nil:
                guard case .string(let other)? = o["job"], try await jobs.meta(other) != nil, let data = try await jobs.checkpoint(other),
                      let c = try? Checkpoint.decode(data) else {
                    throw HTTPError(400, "invalid_spec", "init_from.job must name a finished job", field: "init_from.job")
                }
                checkpoint = c
            case .object?:
                do { checkpoint = try Checkpoint.decode(json: spec["init_from"]!) } catch {
                    throw HTTPError(400, "invalid_spec", "\(error)", field: "init_from")
                }
            default:
                throw HTTPError(400, "invalid_spec", #"init_from must be a checkpoint object or {"job": "<id>"} over HTTP, not a path"#, field: "init_from")
            }
            spec["init_from"] = nil
            json = .object(spec)
        }
        do {
            let meta = try await jobs.submit(json: json, checkpoint: checkpoint)
            return .json(encoding: Self.created(meta), status: 201, headers: [("Location", "/api/jobs/\(meta.id)")])
        } catch let error as SubmitError {
            switch error {
            case .invalid(let e):
                throw HTTPError(400, e.isLimit ? "limit_exceeded" : "invalid_spec", e.description, field: e.field.isEmpty ? nil : e.field)
            case .queueFull:
                throw HTTPError(429, "queue_full", "the queue is full; try again shortly", headers: [("Retry-After", "5")])
            case .stopping:
                throw HTTPError(503, "stopping", "the server is stopping; try again shortly", headers: [("Retry-After", "5")])
            case .storage(let message):
                throw Self.storageError("the job", message)
            case .unavailable(let message):
                throw Self.unavailable(StorageFailure(message: message))
            }
        }
    }

    func list(_ request: Request) async throws -> Response {
        let status = try request.query["status"].map { value throws(HTTPError) -> JobMeta.Status in
            guard let s = JobMeta.Status(rawValue: value) else {
                throw HTTPError(400, "invalid_parameter", "status must be one of \(JobMeta.Status.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            return s
        }
        let limit = try Self.integer(request, "limit", default: 50, range: 1...500)
        let offset = try Self.integer(request, "offset", default: 0, range: 0...Self.maxWhole)
        let (list, total) = try await jobs.list(status: status, limit: limit, offset: offset)
        return .json(encoding: JSONValue.object([
            "jobs": .array(list.map(Self.summary)), "total": .number(Double(total)), "limit": .number(Double(limit)),
            "offset": .number(Double(offset)),
        ]))
    }

    /// A job with its spec and summary, kept once the job has finished (it
    /// can no longer change): this is the API's most frequent read.
    func show(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        if let cached = rendered.withLock({ $0[meta.id] }) { return .json(cached) }
        guard case .object(var job) = Self.summary(meta) else { throw HTTPError.notFound() }
        job["spec"] = try await jobs.spec(meta.id).flatMap { try? JSONValue.parse($0) } ?? .null
        job["summary"] = try await jobs.summary(meta.id).flatMap { try? JSONValue.parse(Data($0.utf8)) } ?? .null
        job["links"] = Self.links(meta.id)
        guard meta.status.isFinished else { return .json(encoding: JSONValue.object(job)) }
        let body = SharedBody(Response.encode(JSONValue.object(job)))
        rendered.withLock { $0[meta.id] = body }
        return .json(body)
    }

    func cancel(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        do { return .json(encoding: Self.summary(try await jobs.cancel(meta.id)), status: 202) } catch let error as CommandError {
            switch error {
            case .storage(let message): throw Self.unavailable(StorageFailure(message: message))
            case .notFound: throw HTTPError.notFound("no job \(meta.id)")
            case .finished: throw HTTPError(409, "conflict", "job \(meta.id) has already finished (\(meta.status.rawValue))")
            }
        }
    }

    func delete(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        do { try await jobs.delete(meta.id) } catch CommandError.storage(let message) {
            throw Self.unavailable(StorageFailure(message: message))
        } catch is CommandError {
            // Gone already: deleted all the same.
        }
        rendered.withLock { _ = $0.removeValue(forKey: meta.id) }
        return .empty(204)
    }

    func events(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        let from = try request.lastEventID() ?? Self.integer(request, "from", default: 0, range: 0...Self.maxWhole)
        let stream = EventStream()
        jobs.subscribe(meta.id, from: from, stream: stream)
        return .eventStream(stream)
    }

    func steps(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        let from = try Self.integer(request, "from", default: 0, range: 0...Self.maxWhole)
        let limit = try Self.integer(request, "limit", default: 100, range: 1...1000)
        let every = try Self.integer(request, "every", default: 1, range: 1...Self.maxWhole)
        let selected: [String], next: Int?
        if request.query["points"] != nil {
            // A sample of the whole history after `from`: `limit` and `every` do not apply.
            (selected, next) = (try await jobs.chart(meta.id, from: from, points: try Self.integer(request, "points", default: 1000, range: 3...1000)), nil)
        } else {
            (selected, next) = try await jobs.steps(meta.id, from: from, limit: limit, every: every)
        }
        // Stored records go out as they are, through the records' writer.
        var w = JSONWriter(capacity: selected.reduce(64) { $0 + $1.utf8.count + 1 })
        w.beginObject()
        w.beginArray("steps")
        for record in selected { w.rawElement(record) }
        w.endArray()
        w.field("next", next.map(Double.init))
        w.endObject()
        return .json(w.text)
    }

    func report(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        guard let report = try await jobs.report(meta.id) else { throw Self.notYet(meta, "report") }
        return .json(String(report))
    }

    func checkpoint(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        guard let data = try await jobs.checkpoint(meta.id) else { throw Self.notYet(meta, "checkpoint") }
        return Response(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: .data(data))
    }

    /// Reads and re-encodes the whole history: off the I/O threads.
    func export(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        return try offThread { [jobs] in
            let records = try await jobs.records(meta.id)
            return .text(try await Queues.slowWork { CSVExport.csv(records) }, contentType: "text/csv; charset=utf-8")
        }
    }

    func remedies(_ request: Request) async throws -> Response {
        let meta = try await meta(request)
        if meta.isExternal {
            throw HTTPError(409, "conflict", "remedy experiments re-run an engine job's spec; \(meta.id) is an external run (its report still suggests remedies)")
        }
        guard let comparisons, let manager else {
            throw HTTPError(501, "not_supported", "remedy experiments run in one server's job slots, which a server with --database does not have; run them on a single server (docs/deployment.md)")
        }
        var selection = RemedyExperiment.Selection.auto
        if !request.body.isEmpty {
            guard case .object(let o)? = try? JSONValue.parse(request.body) else {
                throw HTTPError(400, "invalid_json", "the body must be {\"remedies\": \"auto\" | [names]}")
            }
            if let unknown = o.keys.first(where: { $0 != "remedies" }) {
                throw HTTPError(400, "invalid_parameter", "\(unknown) is not a field (fields: remedies)", field: unknown)
            }
            switch o["remedies"] {
            case nil, .string("auto")?: break
            case .array(let names)?:
                var kinds: [Remedy.Kind] = []
                for name in names {
                    guard case .string(let s) = name, let kind = Remedy.Kind(rawValue: s) else {
                        throw HTTPError(400, "invalid_parameter", "remedies must be \"auto\" or names among \(Remedy.Kind.allCases.map(\.rawValue).joined(separator: ", "))", field: "remedies")
                    }
                    kinds.append(kind)
                }
                selection = .list(kinds)
            default:
                throw HTTPError(400, "invalid_parameter", "remedies must be \"auto\" or a list of names", field: "remedies")
            }
        }
        guard let specData = try await jobs.spec(meta.id), let json = try? JSONValue.parse(specData) else {
            throw HTTPError.notFound()
        }
        let id: String
        do {
            id = try comparisons.start(job: meta.id, spec: json, selection: selection, limits: manager.limits,
                                       datasets: { manager.datasetPath($0) })
        } catch {
            switch error {
            case .tooMany:
                throw HTTPError(429, "queue_full", "\(comparisons.maxPending) remedy experiments are waiting or running; try again later",
                                headers: [("Retry-After", "30")])
            case .queueFull:
                throw HTTPError(429, "queue_full", "the job queue is full; try again shortly", headers: [("Retry-After", "5")])
            }
        }
        return .json(encoding: ["id": JSONValue.string(id), "links": .object(["self": .string("/api/comparisons/\(id)")])], status: 202,
                     headers: [("Location", "/api/comparisons/\(id)")])
    }

    func comparison(_ request: Request) throws -> Response {
        guard let id = request.parameters["id"], let json = comparisons?.json(id) else { throw HTTPError.notFound() }
        return .json(json)
    }
}
