import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec
import Synchronization

/// The gradscope service: the API of docs/API.md on an `HTTPServer`, over a
/// `JobManager`. Handlers answer on the server's I/O threads and never wait
/// for training: jobs run on the manager's Dispatch queues.
public final class Service: Sendable {
    public struct Configuration: Sendable {
        public var http = HTTPServer.Configuration()
        public var jobs = JobManager.Configuration()
        public var dataDirectory = URL(fileURLWithPath: "data")
        public var publicDirectory: URL?
        /// Required as `Authorization: Bearer …` on POST and DELETE when set.
        public var token: String?
        /// Origin allowed to call the API from a browser page served elsewhere (CORS); none by default.
        public var corsOrigin: String?
        /// Called with one line per answered request ("GET /api/jobs 200 0.4 ms").
        public var log: (@Sendable (String) -> Void)?
        public var maxSpecBytes = 1 << 20
        public var maxDatasetBytes = 16 << 20
        /// Requests whose work runs off the I/O threads at once (reading a
        /// CSV upload, building a submitted job to validate it); each holds
        /// its body and what it builds. More get 429.
        public var maxSlowRequests = 4
        public init() {}
    }

    public let configuration: Configuration
    public let jobs: JobManager
    let metrics = Metrics()
    let comparisons = Comparisons()
    /// Finished jobs' `GET /api/jobs/{id}` bodies.
    private let rendered = Mutex<[String: SharedBody]>([:])
    /// One per server: a prebuilt response keeps the headers (CORS) of the server that first sent it.
    private let presets = SharedBody(Service.presetsJSON)
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    /// The timer that sends heartbeats on open streams (Dispatch sources are
    /// thread-safe but not marked Sendable; the lock guards the handle).
    private struct Timer: @unchecked Sendable { let source: DispatchSourceTimer }
    private let heartbeat: Mutex<Timer?> = Mutex(nil)
    /// Where requests' slow work runs (`Response.later`), off the I/O threads.
    private let work = DispatchQueue(label: "gradscope.requests", qos: .userInitiated, attributes: .concurrent)
    private let slowRequests = Mutex(0)

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        jobs = JobManager(store: try JobStore(root: configuration.dataDirectory), configuration: configuration.jobs)
    }

    /// Starts listening; returns the port (useful with port 0).
    @discardableResult
    public func start() throws -> UInt16 {
        let maxSpec = configuration.maxSpecBytes, maxDataset = configuration.maxDatasetBytes
        let http = HTTPServer(
            configuration: configuration.http, router: router(),
            bodyLimit: { _, path in path.hasPrefix("/api/datasets") || path.hasPrefix("/api/runs/") ? maxDataset : maxSpec },
            onCompleted: { [metrics, log = configuration.log] method, path, status, seconds, streaming in
                metrics.request(method: method, status: status, seconds: streaming ? nil : seconds)
                // Tenths of a millisecond by hand: String(format:) costs more than answering a small GET.
                let tenths = Int((seconds * 10_000).rounded())
                log?("\(method) \(path) \(status) \(tenths / 10).\(tenths % 10) ms")
            })
        try http.start()
        server.withLock { $0 = http }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "gradscope.heartbeat"))
        timer.schedule(deadline: .now() + 15, repeating: 15)
        timer.setEventHandler { [jobs] in jobs.heartbeat() }
        timer.resume()
        heartbeat.withLock { $0 = Timer(source: timer) }
        return http.port
    }

    /// Stops accepting, stops running jobs (they are marked cancelled), ends
    /// every stream, then stops the server.
    public func stop() {
        heartbeat.withLock { $0?.source.cancel(); $0 = nil }
        jobs.shutdown()
        server.withLock { $0?.stop(); $0 = nil }
    }

    // MARK: Routes

    func router() -> Router {
        var r = Router()
        r.corsOrigin = configuration.corsOrigin
        // Tokens are checked from the headers, before any body is read.
        let serverToken: Router.Check = { [self] in try authorize($0) }
        let runToken: Router.Check = { [self] in try authorizeRun($0) }
        r.add("POST", "/api/jobs", before: serverToken) { [self] in try submit($0) }
        r.add("GET", "/api/jobs") { [self] in try list($0) }
        r.add("GET", "/api/jobs/{id}") { [self] in try show($0) }
        r.add("DELETE", "/api/jobs/{id}", before: serverToken) { [self] in try delete($0) }
        r.add("POST", "/api/jobs/{id}/cancel", before: serverToken) { [self] in try cancel($0) }
        r.add("GET", "/api/jobs/{id}/events") { [self] in try events($0) }
        r.add("GET", "/api/jobs/{id}/steps") { [self] in try steps($0) }
        r.add("GET", "/api/jobs/{id}/report") { [self] in try report($0) }
        r.add("GET", "/api/jobs/{id}/checkpoint") { [self] in try checkpoint($0) }
        r.add("GET", "/api/jobs/{id}/export.csv") { [self] in try export($0) }
        r.add("POST", "/api/jobs/{id}/remedies", before: serverToken) { [self] in try remedies($0) }
        r.add("GET", "/api/comparisons/{id}") { [self] in try comparison($0) }
        r.add("POST", "/api/runs", before: serverToken) { [self] in try createRun($0) }
        r.add("POST", "/api/runs/{id}/steps", before: runToken) { [self] in try ingest($0) }
        r.add("POST", "/api/runs/{id}/finish", before: runToken) { [self] in try finishRun($0) }
        r.add("POST", "/api/datasets", before: serverToken) { [self] in try upload($0) }
        r.add("GET", "/api/datasets") { [self] _ in datasets() }
        r.add("GET", "/api/presets") { [presets] _ in .json(presets) }
        r.add("GET", "/healthz") { [self] _ in health() }
        r.add("GET", "/metrics") { [self] _ in .text(metrics.exposition(jobs: jobs, streams: openStreams, connections: openConnections), contentType: "text/plain; version=0.0.4") }
        r.add("GET", "/api/openapi.json") { _ in .json(OpenAPI.document) }
        if let root = configuration.publicDirectory {
            let files = StaticFiles(root: root)
            r.fallback = { request in request.method == "GET" || request.method == "HEAD" ? files.response(for: request.path) : nil }
        }
        return r
    }

    var openStreams: Int { server.withLock { $0?.openStreams ?? 0 } }
    var openConnections: Int { server.withLock { $0?.openConnections ?? 0 } }

    private func authorize(_ request: Request) throws(HTTPError) {
        guard let token = configuration.token, !token.isEmpty else { return }
        guard Self.bearer(request) == token else {
            throw HTTPError(401, "unauthorized", "this server needs Authorization: Bearer <token> on POST and DELETE",
                            headers: [("WWW-Authenticate", "Bearer")])
        }
    }

    /// An external run's own ingest token.
    private func authorizeRun(_ request: Request) throws(HTTPError) {
        let id = request.parameters["id"] ?? ""
        do { try jobs.authorizeIngest(id, token: Self.bearer(request)) } catch { throw Self.ingestError(error, id: id) }
    }

    private func meta(_ request: Request) throws(HTTPError) -> JobMeta {
        guard let id = request.parameters["id"], let meta = jobs.meta(id) else {
            throw HTTPError.notFound("no job \(request.parameters["id"] ?? "")")
        }
        return meta
    }

    /// Work too slow for an I/O thread (parsing 16 MiB of CSV, building a
    /// large job's data and model, exporting a long history take seconds),
    /// run on `work` while the connection waits, at most `maxSlowRequests`
    /// at once; more get 429.
    private func offThread(_ task: @escaping @Sendable () throws -> Response) throws(HTTPError) -> Response {
        let limit = configuration.maxSlowRequests
        let admitted = slowRequests.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
        guard admitted else {
            throw HTTPError(429, "busy", "\(limit) slow requests (uploads, submissions, exports) are being worked on; try again shortly", headers: [("Retry-After", "2")])
        }
        return .later(on: work) { [self] in
            defer { slowRequests.withLock { $0 -= 1 } }
            return try task()
        }
    }

    // MARK: Jobs

    func submit(_ request: Request) throws -> Response {
        try offThread { [self] in try admit(request) }
    }

    /// Validates a spec by building its job (data, model), stores and queues it.
    private func admit(_ request: Request) throws -> Response {
        guard var json = try? JSONValue.parse(request.body) else {
            throw HTTPError(400, "invalid_json", "the body is not valid JSON: \(JobSpec.jsonSyntaxProblem(request.body) ?? "empty")")
        }
        var checkpoint: Checkpoint?
        if case .object(var spec) = json {
            // Over HTTP a spec may not name server files.
            if case .object(let data)? = spec["data"], data["source"] == .string("csv") {
                throw HTTPError(400, "invalid_spec", #"data.source "csv" reads a server file; upload the CSV to POST /api/datasets and use {"source": "dataset", "id": …}"#, field: "data.path")
            }
            switch spec["init_from"] {
            case nil, .null?: break
            case .object(let o)? where o["job"] != nil:
                guard case .string(let other)? = o["job"], jobs.meta(other) != nil, let data = jobs.checkpoint(other),
                      let c = try? Checkpoint.decode(data) else {
                    throw HTTPError(400, "invalid_spec", "init_from.job must name a finished job", field: "init_from.job")
                }
                checkpoint = c
            case .object?:
                do { checkpoint = try Checkpoint.decode(JSONEncoder().encode(spec["init_from"]!)) } catch {
                    throw HTTPError(400, "invalid_spec", "\(error)", field: "init_from")
                }
            default:
                throw HTTPError(400, "invalid_spec", #"init_from must be a checkpoint object or {"job": "<id>"} over HTTP, not a path"#, field: "init_from")
            }
            spec["init_from"] = nil
            json = .object(spec)
        }
        do {
            let meta = try jobs.submit(json: json, checkpoint: checkpoint)
            return .json(Self.created(meta), status: 201, headers: [("Location", "/api/jobs/\(meta.id)")])
        } catch {
            switch error {
            case .invalid(let e):
                throw HTTPError(400, e.isLimit ? "limit_exceeded" : "invalid_spec", e.description, field: e.field.isEmpty ? nil : e.field)
            case .queueFull:
                throw HTTPError(429, "queue_full", "the queue is full; try again shortly", headers: [("Retry-After", "5")])
            case .storage(let message):
                throw Self.storageError("the job", message)
            }
        }
    }

    func list(_ request: Request) throws -> Response {
        let status = try request.query["status"].map { value throws(HTTPError) -> JobMeta.Status in
            guard let s = JobMeta.Status(rawValue: value) else {
                throw HTTPError(400, "invalid_parameter", "status must be one of \(JobMeta.Status.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            return s
        }
        let limit = try Self.integer(request, "limit", default: 50, range: 1...500)
        let offset = try Self.integer(request, "offset", default: 0, range: 0...Self.maxWhole)
        let (list, total) = jobs.list(status: status, limit: limit, offset: offset)
        var w = JSONWriter()
        w.beginObject()
        w.beginArray("jobs")
        for meta in list { w.element(json: Self.summary(meta)) }
        w.endArray()
        w.field("total", total)
        w.field("limit", limit)
        w.field("offset", offset)
        w.endObject()
        return .json(w.text)
    }

    /// A job with its spec and summary. The text is assembled from stored
    /// JSON without re-parsing it, and kept once the job has finished (it
    /// can no longer change): this is the API's most frequent read.
    func show(_ request: Request) throws -> Response {
        let meta = try meta(request)
        if let cached = rendered.withLock({ $0[meta.id] }) { return .json(cached) }
        var text = JSONWriter.encode(Self.summary(meta))
        text.removeLast()
        text += #","spec":"# + (jobs.specText(meta.id) ?? "null")
        text += #","summary":"# + (jobs.summary(meta.id) ?? "null")
        text += #","links":"# + JSONWriter.encode(Self.links(meta.id)) + "}"
        guard meta.status.isFinished else { return .json(text) }
        let body = SharedBody(text)
        rendered.withLock { $0[meta.id] = body }
        return .json(body)
    }

    func cancel(_ request: Request) throws -> Response {
        let meta = try meta(request)
        do { return .json(JSONWriter.encode(Self.summary(try jobs.cancel(meta.id))), status: 202) } catch {
            throw HTTPError(409, "conflict", "job \(meta.id) has already finished (\(meta.status.rawValue))")
        }
    }

    func delete(_ request: Request) throws -> Response {
        let meta = try meta(request)
        try? jobs.delete(meta.id)
        rendered.withLock { _ = $0.removeValue(forKey: meta.id) }
        return .empty(204)
    }

    func events(_ request: Request) throws -> Response {
        let meta = try meta(request)
        var from = 0
        if let last = request.header("last-event-id") {
            guard let n = Int(last) else { throw HTTPError(400, "invalid_parameter", "Last-Event-ID must be a step number", field: "Last-Event-ID") }
            from = n
        } else {
            from = try Self.integer(request, "from", default: 0, range: 0...Self.maxWhole)
        }
        let stream = EventStream()
        jobs.subscribe(meta.id, from: from, stream: stream)
        return .eventStream(stream)
    }

    func steps(_ request: Request) throws -> Response {
        let meta = try meta(request)
        let from = try Self.integer(request, "from", default: 0, range: 0...Self.maxWhole)
        let limit = try Self.integer(request, "limit", default: 100, range: 1...1000)
        let every = try Self.integer(request, "every", default: 1, range: 1...Self.maxWhole)
        // Every `every`-th stored step record after `from` (counting records,
        // not step numbers: records may be every few steps).
        var selected: [String] = [], next: Int?, index = 0
        jobs.store.forEachLine(meta.id, afterStep: from) { text in
            let line = RecordLine(text)
            guard line.type == "step", let step = line.step, step > from else { return true }
            defer { index += 1 }
            guard index % every == 0 else { return true }
            if selected.count == limit { next = RecordLine(selected.last![...]).step; return false }
            selected.append(String(line.json))
            return true
        }
        let text: String = #"{"steps":["# + selected.joined(separator: ",") + #"],"next":"# + (next.map(String.init) ?? "null") + "}"
        return .json(text)
    }

    func report(_ request: Request) throws -> Response {
        let meta = try meta(request)
        guard let report = jobs.report(meta.id) else { throw Self.notYet(meta, "report") }
        return .json(String(report))
    }

    func checkpoint(_ request: Request) throws -> Response {
        let meta = try meta(request)
        guard let data = jobs.checkpoint(meta.id) else { throw Self.notYet(meta, "checkpoint") }
        return Response(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: .data(data))
    }

    /// Reads and re-encodes the whole history: off the I/O threads.
    func export(_ request: Request) throws -> Response {
        let meta = try meta(request)
        return try offThread { [jobs] in .text(CSVExport.csv(jobs.records(meta.id)), contentType: "text/csv; charset=utf-8") }
    }

    func remedies(_ request: Request) throws -> Response {
        let meta = try meta(request)
        if meta.isExternal {
            throw HTTPError(409, "conflict", "remedy experiments re-run an engine job's spec; \(meta.id) is an external run (its report still suggests remedies)")
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
        guard let specData = jobs.spec(meta.id), let json = try? JSONValue.parse(specData) else {
            throw HTTPError.notFound()
        }
        guard let id = comparisons.start(job: meta.id, spec: json, selection: selection, limits: jobs.configuration.limits,
                                         datasets: { [jobs] in jobs.datasetPath($0) }) else {
            throw HTTPError(429, "queue_full", "\(comparisons.maxPending) remedy experiments are waiting or running; try again later",
                            headers: [("Retry-After", "30")])
        }
        return .json(#"{"id":""# + id + #"","links":{"self":"/api/comparisons/"# + id + #""}}"#, status: 202,
                     headers: [("Location", "/api/comparisons/\(id)")])
    }

    func comparison(_ request: Request) throws -> Response {
        guard let id = request.parameters["id"], let json = comparisons.json(id) else { throw HTTPError.notFound() }
        return .json(json)
    }

    // MARK: External runs

    func createRun(_ request: Request) throws -> Response {
        guard let json = try? JSONValue.parse(request.body) else {
            throw HTTPError(400, "invalid_json", "the body is not valid JSON: \(JobSpec.jsonSyntaxProblem(request.body) ?? "empty")")
        }
        let created: (meta: JobMeta, token: String)
        do { created = try jobs.createRun(json: json) } catch {
            switch error {
            case .invalid(let e): throw HTTPError(400, e.isLimit ? "limit_exceeded" : "invalid_run", e.description, field: e.field.isEmpty ? nil : e.field)
            case .queueFull:
                throw HTTPError(429, "queue_full", "\(JobManager.maxOpenRuns) runs are taking records; finish one or try again shortly",
                                headers: [("Retry-After", "5")])
            case .storage(let message):
                throw Self.storageError("the run", message)
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
        let body = JSONWriter.encode(.object(["id": .string(id), "status": .string("running"), "token": .string(created.token), "links": links]))
        return .json(body, status: 201, headers: [("Location", "/api/jobs/\(id)")])
    }

    /// The records of an ingest batch: a JSON array, or NDJSON (one record a line).
    static func ingestError(_ error: JobManager.IngestError, id: String) -> HTTPError {
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
        }
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

    /// The token of an `Authorization: Bearer <token>` header; the scheme's
    /// name is case-insensitive (RFC 9110 §11.1).
    static func bearer(_ request: Request) -> String? {
        guard let value = request.header("authorization"), value.count > 7,
              value.prefix(7).lowercased() == "bearer " else { return nil }
        return String(value.dropFirst(7))
    }

    func ingest(_ request: Request) throws -> Response {
        let id = request.parameters["id"] ?? ""
        do {
            let (accepted, duplicates, last) = try jobs.ingest(id, token: Self.bearer(request), body: request.body)
            return .json(#"{"accepted":\#(accepted),"duplicates":\#(duplicates),"last_step":\#(last)}"#)
        } catch {
            throw Self.ingestError(error, id: id)
        }
    }

    func finishRun(_ request: Request) throws -> Response {
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
            return .json(JSONWriter.encode(Self.summary(try jobs.finishRun(id, token: Self.bearer(request), status: status, dropped: dropped))))
        } catch {
            throw Self.ingestError(error, id: id)
        }
    }

    // MARK: Datasets, presets, health

    func upload(_ request: Request) throws -> Response {
        try offThread { [self] in try readUpload(request) }
    }

    private func readUpload(_ request: Request) throws -> Response {
        // Rows are counted before anything is parsed, so an oversized file is refused at once.
        let maxRows = jobs.configuration.limits.maxRows
        let lines = request.body.withUnsafeBytes { $0.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
        if lines > maxRows + 1 {
            throw HTTPError(400, "limit_exceeded", "the CSV has more than \(maxRows) rows, the limit", field: "body")
        }
        let text = String(decoding: request.body, as: UTF8.self)
        let header = text.prefix { $0 != "\n" && $0 != "\r" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = header.first, !first.isEmpty else {
            throw HTTPError(400, "invalid_parameter", "the body must be a CSV file with a header row", field: "body")
        }
        let parsed: Dataset
        do { parsed = try CSVData.parse(text, target: first, source: "the upload") } catch {
            throw HTTPError(400, "invalid_parameter", "\(error)", field: "body")
        }
        if parsed.count > jobs.configuration.limits.maxRows {
            throw HTTPError(400, "limit_exceeded", "the CSV has \(parsed.count) rows, more than the limit of \(jobs.configuration.limits.maxRows)", field: "body")
        }
        let name = request.query["name"] ?? "dataset"
        let id: String
        do { id = try jobs.storeDataset(csv: request.body, name: name, rows: parsed.count, columns: header) } catch {
            throw Self.storageError("the dataset", error.message)
        }
        return .json(JSONWriter.encode(.object(["id": .string(id), "name": .string(name), "rows": .number(Double(parsed.count)),
                                                "columns": .array(header.map { .string($0) })])), status: 201)
    }

    func datasets() -> Response {
        .json(#"{"datasets":["# + jobs.datasetDescriptions().joined(separator: ",") + "]}")
    }



    /// Encoded once: the presets never change while the server runs.
    static let presetsJSON: String = {
        var w = JSONWriter()
        w.beginObject()
        w.beginArray("presets")
        for p in Presets.all {
            w.beginObject()
            w.field("name", p.name)
            w.field("title", p.title)
            w.field("description", p.description)
            w.field("spec", json: (try? JSONValue.parse(Data(p.spec.utf8))) ?? .null)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }()

    func health() -> Response {
        let c = jobs.counts
        return .json(#"{"status":"ok","jobs_running":\#(c[.running] ?? 0),"jobs_queued":\#(c[.queued] ?? 0)}"#)
    }

    // MARK: JSON helpers

    static func integer(_ r: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let text = r.query[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw HTTPError(400, "invalid_parameter", "\(name) must be a whole number from \(range.lowerBound)\(range.upperBound == Int.max ? " up" : " to \(range.upperBound)"), got \"\(text)\"", field: name)
        }
        return n
    }

    static func date(_ d: Date?) -> JSONValue { d.map { .string($0.formatted(.iso8601)) } ?? .null }

    static func summary(_ m: JobMeta) -> JSONValue {
        .object([
            "id": .string(m.id), "name": m.name.map { .string($0) } ?? .null, "status": .string(m.status.rawValue),
            "created_at": date(m.createdAt), "started_at": date(m.startedAt), "finished_at": date(m.finishedAt),
            "step": .number(Double(m.step)), "total_steps": .number(Double(m.totalSteps)),
            "verdict": m.verdict.map { .string($0) } ?? .null, "error": m.error.map { .string($0) } ?? .null,
            "source": .string(m.source ?? "engine"),
        ])
    }

    static func links(_ id: String) -> JSONValue {
        let base = "/api/jobs/\(id)"
        return .object([
            "self": .string(base), "events": .string(base + "/events"), "steps": .string(base + "/steps"),
            "report": .string(base + "/report"), "checkpoint": .string(base + "/checkpoint"),
            "export": .string(base + "/export.csv"), "cancel": .string(base + "/cancel"),
        ])
    }

    static func created(_ m: JobMeta) -> String {
        JSONWriter.encode(.object(["id": .string(m.id), "status": .string(m.status.rawValue), "links": links(m.id)]))
    }
}
