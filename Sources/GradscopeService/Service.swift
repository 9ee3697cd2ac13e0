import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeSpec
import Synchronization

/// The gradscope service: the API of docs/API.md on an `HTTPServer`, over a
/// `JobBackend`: a local `JobManager` (the default) or a database. Handlers
/// never wait for training, and never hold an I/O thread while they wait for
/// the database (`Response.answer`).
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
    public let jobs: any JobBackend
    /// The local backend, when that is the one in use.
    public var manager: JobManager? { jobs as? JobManager }
    let metrics = Metrics()
    /// Remedy experiments run in the local backend's job slots; with a
    /// database there are none (docs/deployment.md).
    let comparisons: Comparisons?
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

    /// A service over the local backend, in `configuration.dataDirectory`.
    public convenience init(configuration: Configuration) throws {
        let manager = JobManager(store: try JobStore(root: configuration.dataDirectory), configuration: configuration.jobs)
        self.init(configuration: configuration, backend: manager)
    }

    public init(configuration: Configuration, backend: any JobBackend) {
        self.configuration = configuration
        jobs = backend
        comparisons = (backend as? JobManager).map { Comparisons(jobs: $0) }
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
        r.add("GET", "/api/jobs", answer { [self] in try await list($0) })
        r.add("GET", "/api/jobs/{id}", answer { [self] in try await show($0) })
        r.add("DELETE", "/api/jobs/{id}", before: serverToken, answer { [self] in try await delete($0) })
        r.add("POST", "/api/jobs/{id}/cancel", before: serverToken, answer { [self] in try await cancel($0) })
        r.add("GET", "/api/jobs/{id}/events", answer { [self] in try await events($0) })
        r.add("GET", "/api/jobs/{id}/steps", answer { [self] in try await steps($0) })
        r.add("GET", "/api/jobs/{id}/report", answer { [self] in try await report($0) })
        r.add("GET", "/api/jobs/{id}/checkpoint", answer { [self] in try await checkpoint($0) })
        r.add("GET", "/api/jobs/{id}/export.csv", answer { [self] in try await export($0) })
        r.add("POST", "/api/jobs/{id}/remedies", before: serverToken, answer { [self] in try await remedies($0) })
        r.add("GET", "/api/comparisons/{id}") { [self] in try comparison($0) }
        r.add("POST", "/api/runs", before: serverToken, answer { [self] in try await createRun($0) })
        r.add("POST", "/api/runs/{id}/steps", before: runToken, answer { [self] in try await ingest($0) })
        r.add("POST", "/api/runs/{id}/finish", before: runToken, answer { [self] in try await finishRun($0) })
        r.add("POST", "/api/datasets", before: serverToken) { [self] in try upload($0) }
        r.add("GET", "/api/datasets", answer { [self] _ in try await datasets() })
        r.add("GET", "/api/presets") { [presets] _ in .json(presets) }
        r.add("GET", "/healthz", answer { [self] _ in try await health() })
        r.add("GET", "/metrics", answer { [self] _ in
            .text(metrics.exposition(counts: try await jobs.counts(), steps: jobs.stepsDone, streams: openStreams,
                                     connections: openConnections),
                  contentType: "text/plain; version=0.0.4")
        })
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

    func meta(_ request: Request) async throws -> JobMeta {
        guard let id = request.parameters["id"], let meta = try await jobs.meta(id) else {
            throw HTTPError.notFound("no job \(request.parameters["id"] ?? "")")
        }
        return meta
    }

    /// A handler answered from the backend (`Response.answer`): at once from
    /// the local one, without holding an I/O thread from a database. A store
    /// that cannot be reached answers 503.
    func answer(_ handler: @escaping @Sendable (Request) async throws -> Response) -> Router.Handler {
        { request in
            .answer {
                do { return try await handler(request) } catch let failure as StorageFailure { throw Self.unavailable(failure) }
            }
        }
    }

    /// Work too slow for an I/O thread (parsing 16 MiB of CSV, reading an
    /// uploaded dataset to validate a job against it, exporting a long
    /// history take seconds),
    /// run on `Queues.requests` while the connection waits, at most `maxSlowRequests`
    /// at once; more get 429.
    func offThread(_ task: @escaping @Sendable () async throws -> Response) throws(HTTPError) -> Response {
        let limit = configuration.maxSlowRequests
        let admitted = slowRequests.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
        guard admitted else {
            throw HTTPError(429, "busy", "\(limit) slow requests (uploads, submissions, exports) are being worked on; try again shortly", headers: [("Retry-After", "2")])
        }
        return .later(on: Queues.requests, async: { [self] in
            defer { slowRequests.withLock { $0 -= 1 } }
            do { return try await task() } catch let failure as StorageFailure { throw Self.unavailable(failure) }
        })
    }

    /// The token of an `Authorization: Bearer <token>` header; the scheme's
    /// name is case-insensitive (RFC 9110 §11.1).
    static func bearer(_ request: Request) -> String? {
        guard let value = request.header("authorization"), value.count > 7,
              value.prefix(7).lowercased() == "bearer " else { return nil }
        return String(value.dropFirst(7))
    }
}
