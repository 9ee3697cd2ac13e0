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
        /// CSV upload, validating a submitted job against an uploaded
        /// dataset, an export); each holds its body and what it reads. More get 429.
        public var maxSlowRequests = 4
        public init() {}
    }

    public let configuration: Configuration
    public let jobs: JobManager
    let metrics = Metrics()
    let comparisons: Comparisons
    /// Finished jobs' `GET /api/jobs/{id}` bodies.
    let rendered = Mutex<[String: SharedBody]>([:])
    /// One per server: a prebuilt response keeps the headers (CORS) of the server that first sent it.
    let presets = SharedBody(Service.presetsBody)
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    /// The timer that sends heartbeats on open streams (Dispatch sources are
    /// thread-safe but not marked Sendable; the lock guards the handle).
    private struct Timer: @unchecked Sendable { let source: DispatchSourceTimer }
    private let heartbeat: Mutex<Timer?> = Mutex(nil)
    private let slowRequests = Mutex(0)

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        jobs = JobManager(store: try JobStore(root: configuration.dataDirectory), configuration: configuration.jobs)
        comparisons = Comparisons(jobs: jobs)
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
        let timer = DispatchSource.makeTimerSource(queue: Queues.timers)
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

    func meta(_ request: Request) throws(HTTPError) -> JobMeta {
        guard let id = request.parameters["id"], let meta = jobs.meta(id) else {
            throw HTTPError.notFound("no job \(request.parameters["id"] ?? "")")
        }
        return meta
    }

    /// Work too slow for an I/O thread (parsing 16 MiB of CSV, reading an
    /// uploaded dataset to validate a job against it, exporting a long
    /// history take seconds),
    /// run on `Queues.requests` while the connection waits, at most `maxSlowRequests`
    /// at once; more get 429.
    func offThread(_ task: @escaping @Sendable () throws -> Response) throws(HTTPError) -> Response {
        let limit = configuration.maxSlowRequests
        let admitted = slowRequests.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
        guard admitted else {
            throw HTTPError(429, "busy", "\(limit) slow requests (uploads, submissions, exports) are being worked on; try again shortly", headers: [("Retry-After", "2")])
        }
        return .later(on: Queues.requests) { [self] in
            defer { slowRequests.withLock { $0 -= 1 } }
            return try task()
        }
    }

    /// The token of an `Authorization: Bearer <token>` header; the scheme's
    /// name is case-insensitive (RFC 9110 §11.1).
    static func bearer(_ request: Request) -> String? {
        guard let value = request.header("authorization"), value.count > 7,
              value.prefix(7).lowercased() == "bearer " else { return nil }
        return String(value.dropFirst(7))
    }
}
