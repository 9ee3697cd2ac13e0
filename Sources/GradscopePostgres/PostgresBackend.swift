import Foundation
import GradscopeHTTP
import GradscopeRun
import GradscopeService
import GradscopeSpec
import Logging
import PostgresNIO
import Synchronization

/// The database backend of `gradscope serve --database …`: every replica is
/// stateless (any one answers any request), engine jobs wait in the `jobs`
/// table for `gradscope worker`s, records reach the database through the
/// batched `RecordWriter`, and live records reach streams through each
/// replica's `LiveFeed`. Tables: `Schema`.
public final class PostgresBackend: JobBackend {
    public struct Configuration: Sendable {
        public var limits = JobManager.Configuration().limits
        /// Queued engine jobs beyond which submissions get 429.
        public var maxQueue = 10_000
        /// An external run that has posted nothing for this long is ended
        /// as `interrupted`; nil never ends it.
        public var runIdleTimeout: Duration? = .seconds(3600)
        /// Where uploaded datasets are copied from the database to be read.
        public var cacheDirectory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gradscope-cache")
        /// How long a worker's claim lasts without a heartbeat (`Worker`).
        public var lease: Duration = .seconds(30)
        public init() {}
    }

    public let configuration: Configuration
    public let db: Database
    let writer: RecordWriter
    let feed: LiveFeed
    /// External runs' ingest facts (number, token, declaration), which never
    /// change once the run exists: read once per replica.
    private let runs = Mutex<[String: RunInfo]>([:])
    /// Steps ingested or trained by this process.
    private let ingested = Mutex(0)

    struct RunInfo: Sendable {
        var number: Int64
        var token: String
        var spec: ExternalRunSpec
    }

    public init(db: Database, configuration: Configuration = Configuration()) {
        self.db = db
        self.configuration = configuration
        writer = RecordWriter(db: db)
        feed = LiveFeed(db: db)
    }

    public var limits: JobLimits { configuration.limits }
    public var stepsDone: Int { ingested.withLock { $0 } }

    /// Steps trained by a worker in this process.
    func count(steps: Int) { ingested.withLock { $0 += steps } }

    static let metaColumns = "id, name, status, created_at, started_at, finished_at, step, total_steps, verdict, error, source"
    typealias MetaTuple = (String, String?, String, Date, Date?, Date?, Int, Int, String?, String?, String?)

    static func meta(_ t: MetaTuple) -> JobMeta {
        JobMeta(id: t.0, name: t.1, status: JobMeta.Status(rawValue: t.2) ?? .failed, createdAt: t.3, startedAt: t.4,
                finishedAt: t.5, step: t.6, totalSteps: t.7, verdict: t.8, error: t.9, source: t.10)
    }

    /// Job numbers are ids without their prefix: `j-000042` is 42 (and
    /// only that spelling of it, as with the local backend).
    static func number(_ id: String) -> Int64? {
        guard id.hasPrefix("j-"), let n = Int64(id.dropFirst(2)), n > 0, String(format: "j-%06lld", n) == id else { return nil }
        return n
    }

    // MARK: Engine jobs

    public func submit(json: JSONValue, checkpoint: Checkpoint?) async throws -> JobMeta {
        let spec: JobSpec
        let totalSteps: Int
        do {
            // A dataset named by the spec is fetched first: validation reads its shape.
            if let id = Self.datasetID(json) { _ = try await datasetFile(id) }
            spec = try JobSpec(json: json)
            // Arithmetic, but it may read a dataset's rows: not on the concurrency pool.
            totalSteps = try await Queues.slowWork { [configuration, cachedDataset] in
                try Job.validate(spec, checkpoint: checkpoint, limits: configuration.limits, datasets: cachedDataset)
            }
        } catch let error as SpecError {
            throw SubmitError.invalid(error)
        } catch {
            throw SubmitError.unavailable(db.failure(error).message)
        }
        let specText = String(decoding: Response.encode(json), as: UTF8.self)
        let initText = checkpoint?.encoded()
        do {
            let queued = try await db.rows("SELECT count(*) FROM jobs WHERE status = 'queued' AND worker IS NULL", as: (Int).self).first ?? 0
            guard queued < configuration.maxQueue else { throw SubmitError.queueFull }
            let row = try await db.transaction { conn in
                let t = try await conn.rows("""
                    INSERT INTO jobs (number, id, name, status, spec, init_checkpoint, total_steps)
                    SELECT n, 'j-' || lpad(n::text, greatest(6, length(n::text)), '0'), \(spec.name), 'queued', \(specText), \(initText), \(totalSteps)
                    FROM nextval('job_numbers') AS n
                    RETURNING number, \(unescaped: Self.metaColumns)
                    """, db.logger, as: (Int64, String, String?, String, Date, Date?, Date?, Int, Int, String?, String?, String?).self)
                guard let t = t.first else { throw StorageFailure(message: "the job was not stored") }
                try await Schema.ensurePartition(for: t.0, on: conn, db)
                // Idle workers wake at once, not at their next poll.
                try await conn.run("SELECT pg_notify('gradscope_jobs', '')", db.logger)
                return t
            }
            return Self.meta((row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
        } catch let error as SubmitError {
            throw error
        } catch {
            throw SubmitError.unavailable(db.failure(error).message)
        }
    }

    public func cancel(_ id: String) async throws -> JobMeta {
        guard let number = Self.number(id) else { throw CommandError.notFound }
        do {
            // A queued job ends here; a running one is asked to stop (its worker reads the flag at its next write).
            let updated = try await db.rows("""
                UPDATE jobs SET cancel_requested = true,
                    status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
                    finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
                WHERE number = \(number) AND status IN ('queued', 'running')
                RETURNING source, status
                """, as: (String?, String).self)
            guard let (source, status) = updated.first else {
                guard try await meta(id) != nil else { throw CommandError.notFound }
                throw CommandError.finished
            }
            if source == JobMeta.external, status == "running", let run = try await runInfo(id) {
                _ = await writer.submit(run.number, .finishRun(.cancelled, dropped: 0, error: nil, spec: run.spec, ifIdleFor: nil))
            } else if status == "cancelled" {
                try await db.query("SELECT pg_notify('gradscope_records', \(id))")
            }
            guard let meta = try await meta(id) else { throw CommandError.notFound }
            return meta
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError.storage(db.failure(error).message)
        }
    }

    public func delete(_ id: String) async throws {
        guard let number = Self.number(id) else { throw CommandError.notFound }
        _ = try? await cancel(id)
        do {
            // The job's row first: it waits for a writer holding it, whose
            // records are then committed and go with the rest.
            let deleted = try await db.transaction { conn in
                let gone = try await conn.rows("DELETE FROM jobs WHERE number = \(number) RETURNING number", db.logger, as: (Int64).self)
                try await conn.run("DELETE FROM records WHERE job = \(number)", db.logger)
                return gone
            }
            guard !deleted.isEmpty else { throw CommandError.notFound }
            try await db.query("SELECT pg_notify('gradscope_records', \(id))")
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError.storage(db.failure(error).message)
        }
        writer.forget(number)
        _ = runs.withLock { $0.removeValue(forKey: id) }
    }

    // MARK: External runs

    public func createRun(json: JSONValue) async throws -> (meta: JobMeta, token: String) {
        let spec: ExternalRunSpec
        do { spec = try ExternalRunSpec(json: json) } catch { throw SubmitError.invalid(error) }
        let token = (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").lowercased()
        let specText = String(decoding: Response.encode(json), as: UTF8.self)
        let start = JobRun.Line(.start(StartRecord(run: spec)))
        do {
            let row = try await db.transaction { conn in
                let t = try await conn.rows("""
                    INSERT INTO jobs (number, id, name, status, source, spec, token, total_steps, started_at, last_seq)
                    SELECT n, 'j-' || lpad(n::text, greatest(6, length(n::text)), '0'), \(spec.name), 'running', \(JobMeta.external), \(specText), \(token),
                        \(spec.totalSteps ?? 0), now(), 1
                    FROM nextval('job_numbers') AS n
                    RETURNING number, \(unescaped: Self.metaColumns)
                    """, db.logger, as: (Int64, String, String?, String, Date, Date?, Date?, Int, Int, String?, String?, String?).self)
                guard let t = t.first else { throw StorageFailure(message: "the run was not stored") }
                try await Schema.ensurePartition(for: t.0, on: conn, db)
                try await conn.run("INSERT INTO records (job, seq, type, body) VALUES (\(t.0), 1, 'start', \(start.json))", db.logger)
                try await conn.run("SELECT pg_notify('gradscope_records', \(t.1))", db.logger)
                return t
            }
            let meta = Self.meta((row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
            remember(meta.id, RunInfo(number: row.0, token: token, spec: spec))
            return (meta, token)
        } catch {
            throw SubmitError.unavailable(db.failure(error).message)
        }
    }

    /// A run's ingest facts, read once: nil when there is no such external run.
    private func runInfo(_ id: String) async throws -> RunInfo? {
        if let known = runs.withLock({ $0[id] }) { return known }
        guard let number = Self.number(id) else { return nil }
        let found = try await db.rows("SELECT token, spec FROM jobs WHERE number = \(number) AND source = 'external'",
                                      as: (String?, String).self)
        guard let (token, specText) = found.first, let token,
              let json = try? JSONValue.parse(Data(specText.utf8)), let spec = try? ExternalRunSpec(json: json) else { return nil }
        let info = RunInfo(number: number, token: token, spec: spec)
        remember(id, info)
        return info
    }

    /// Keeps a run's ingest facts; the cache is bounded by forgetting it
    /// all now and then (each entry is read again from the database).
    private func remember(_ id: String, _ info: RunInfo) {
        runs.withLock { runs in
            if runs.count >= 4096 { runs.removeAll() }
            runs[id] = info
        }
    }

    /// Checked here from the headers when this replica knows the run's
    /// token; otherwise `ingest` checks it after reading it from the database.
    public func authorizeIngest(_ id: String, token: String?) throws(IngestError) {
        guard let known = runs.withLock({ $0[id] }) else { return }
        guard Self.same(token, known.token) else { throw .unauthorized }
    }

    private func authorized(_ id: String, token: String?) async throws -> RunInfo {
        let info: RunInfo?
        do { info = try await runInfo(id) } catch { throw IngestError.unavailable(db.failure(error).message) }
        guard let info else {
            let meta = try? await meta(id)
            if let meta { throw IngestError.finished(meta.status) }  // an engine job takes no records
            throw IngestError.notFound
        }
        guard Self.same(token, info.token) else { throw IngestError.unauthorized }
        return info
    }

    /// Both are 32 hex digits: compare every byte, not up to the first difference.
    static func same(_ given: String?, _ expected: String) -> Bool {
        let a = Array((given ?? "").utf8), b = Array(expected.utf8)
        return a.count == b.count && zip(a, b).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
    }

    public func ingest(_ id: String, token: String?, body: Data) async throws -> IngestResult {
        let run = try await authorized(id, token: token)
        let parsed: [ExternalRecord]
        do { parsed = try ExternalRecord.batch(body, run: run.spec, limit: JobManager.maxRecordsPerBatch) } catch {
            switch error {
            case .syntax(let record, let e): throw IngestError.syntax(record: record, e)
            case .invalid(let e): throw IngestError.invalid(e)
            }
        }
        switch await writer.submit(run.number, .ingest(ExternalRunState.ordered(parsed), spec: run.spec)) {
        case .ingested(let result):
            ingested.withLock { $0 += result.accepted }
            return result
        case .refused(let error):
            if case .finished = error { _ = runs.withLock { $0.removeValue(forKey: id) } }
            throw error
        case .finished, .written, .skipped: throw IngestError.storage("unexpected answer from the record writer")
        }
    }

    public func finishRun(_ id: String, token: String?, status: JobMeta.Status, dropped: Int) async throws -> JobMeta {
        let run = try await authorized(id, token: token)
        if case .refused(let error) = await writer.submit(run.number, .finishRun(status, dropped: dropped, error: nil, spec: run.spec, ifIdleFor: nil)) {
            throw error
        }
        do {
            guard let meta = try await meta(id) else { throw IngestError.notFound }
            return meta
        } catch let error as IngestError { throw error } catch { throw IngestError.unavailable("\(error)") }
    }

    /// Ends, as `interrupted`, the external runs that have taken nothing
    /// for `runIdleTimeout` (any replica may; the writer ends each once).
    func endIdleRuns() async {
        guard let timeout = configuration.runIdleTimeout else { return }
        let seconds = Double(timeout.components.seconds)
        guard let idle = try? await db.rows("""
            SELECT id FROM jobs WHERE status = 'running' AND source = 'external'
            AND updated_at < now() - make_interval(secs => \(seconds)) LIMIT 100
            """, as: (String).self) else { return }
        for id in idle {
            guard let run = try? await runInfo(id) else { continue }
            _ = await writer.submit(run.number, .finishRun(.interrupted, dropped: 0, error: ExternalRunState.idleError(timeout),
                                                           spec: run.spec, ifIdleFor: timeout))
        }
    }

    // MARK: Reading

    public func meta(_ id: String) async throws -> JobMeta? {
        guard let number = Self.number(id) else { return nil }
        return try await db.rows("SELECT \(unescaped: Self.metaColumns) FROM jobs WHERE number = \(number)", as: MetaTuple.self)
            .first.map(Self.meta)
    }

    public func list(status: JobMeta.Status?, limit: Int, offset: Int) async throws -> (jobs: [JobMeta], total: Int) {
        let rows: [MetaTuple]
        let total: Int
        if let status {
            rows = try await db.rows("""
                SELECT \(unescaped: Self.metaColumns) FROM jobs WHERE status = \(status.rawValue)
                ORDER BY number DESC LIMIT \(limit) OFFSET \(offset)
                """, as: MetaTuple.self)
            total = try await db.rows("SELECT count(*) FROM jobs WHERE status = \(status.rawValue)", as: (Int).self).first ?? 0
        } else {
            rows = try await db.rows("SELECT \(unescaped: Self.metaColumns) FROM jobs ORDER BY number DESC LIMIT \(limit) OFFSET \(offset)",
                                     as: MetaTuple.self)
            total = try await db.rows("SELECT count(*) FROM jobs", as: (Int).self).first ?? 0
        }
        return (rows.map(Self.meta), total)
    }

    private func text(_ column: String, of id: String) async throws -> String? {
        guard let number = Self.number(id) else { return nil }
        return try await db.rows("SELECT \(unescaped: column) FROM jobs WHERE number = \(number)", as: (String?).self).first ?? nil
    }

    public func spec(_ id: String) async throws -> Data? { try await text("spec", of: id).map { Data($0.utf8) } }
    public func summary(_ id: String) async throws -> String? { try await text("summary", of: id) }
    public func report(_ id: String) async throws -> String? { try await text("report", of: id) }
    public func checkpoint(_ id: String) async throws -> Data? { try await text("checkpoint", of: id).map { Data($0.utf8) } }

    public func steps(_ id: String, from: Int, limit: Int, every: Int) async throws -> (records: [String], next: Int?) {
        guard let number = Self.number(id) else { return ([], nil) }
        // Every `every`-th step record after `from`, counted in SQL.
        let rows = try await db.rows("""
            SELECT step, body FROM (
                SELECT step, body, row_number() OVER (ORDER BY step) - 1 AS i
                FROM records WHERE job = \(number) AND type = 'step' AND step > \(from)) AS s
            WHERE i % \(every) = 0 ORDER BY step LIMIT \(limit + 1)
            """, as: (Int, String).self)
        let page = rows.prefix(limit)
        return (page.map(\.1), rows.count > limit ? page.last?.0 : nil)
    }

    /// `ChartSample`'s rule in SQL: buckets by `ntile` over the step index
    /// (which holds each step's norm and NaN flag, so the scan reads no
    /// record), in each the first step, the largest norm and the first
    /// NaN/Inf; then only the kept records' bodies are read.
    public func chart(_ id: String, from: Int, points: Int) async throws -> [String] {
        guard let number = Self.number(id) else { return [] }
        return try await db.rows("""
            WITH s AS (
                SELECT step, grad_norm, nonfinite, ntile(\(ChartSample.buckets(points: points))::int) OVER (ORDER BY step) AS b
                FROM records WHERE job = \(number) AND type = 'step' AND step > \(from)),
            k AS (
                SELECT min(step) AS first, (array_agg(step ORDER BY grad_norm DESC NULLS LAST, step))[1] AS top,
                       min(step) FILTER (WHERE nonfinite) AS bad
                FROM s GROUP BY b)
            SELECT body FROM records
            WHERE job = \(number) AND type = 'step'
              AND step IN (SELECT first FROM k UNION SELECT top FROM k UNION SELECT bad FROM k WHERE bad IS NOT NULL)
            ORDER BY step
            """, as: (String).self)
    }

    public func records(_ id: String) async throws -> [Substring] {
        guard let number = Self.number(id) else { return [] }
        return try await db.rows("SELECT body FROM records WHERE job = \(number) ORDER BY seq", as: (String).self).map { $0[...] }
    }

    public func subscribe(_ id: String, from: Int, stream: EventStream) {
        guard let number = Self.number(id) else { stream.close(); return }
        feed.subscribe(id, number: number, from: from, stream: stream)
    }

    public func counts() async throws -> [JobMeta.Status: Int] {
        var out: [JobMeta.Status: Int] = [:]
        for (status, n) in try await db.rows("SELECT status, count(*) FROM jobs GROUP BY status", as: (String, Int).self) {
            if let s = JobMeta.Status(rawValue: status) { out[s] = n }
        }
        return out
    }

    // MARK: Datasets

    public func storeDataset(csv: Data, name: String, rows: Int, columns: [String]) async throws -> String {
        let id = "d-" + UUID().uuidString.prefix(8).lowercased()
        let columnsText = String(decoding: Response.encode(columns), as: UTF8.self)
        try await db.query("""
            INSERT INTO datasets (id, name, rows, columns, csv) VALUES (\(id), \(name), \(rows), \(columnsText), \(String(decoding: csv, as: UTF8.self)))
            """)
        return id
    }

    public func datasetDescriptions() async throws -> [DatasetDescription] {
        try await db.rows("SELECT id, name, rows, columns FROM datasets ORDER BY id", as: (String, String, Int, String).self).map { t in
            DatasetDescription(id: t.0, name: t.1, rows: t.2, columns: (try? JSONDecoder().decode([String].self, from: Data(t.3.utf8))) ?? [])
        }
    }

    public func datasetFile(_ id: String) async throws -> String? {
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { return nil }
        if let path = cachedDataset(id) { return path }
        guard let csv = try await db.rows("SELECT csv FROM datasets WHERE id = \(id)", as: (String).self).first else { return nil }
        let url = configuration.cacheDirectory.appendingPathComponent("\(id).csv")
        do {
            try FileManager.default.createDirectory(at: configuration.cacheDirectory, withIntermediateDirectories: true)
            try Data(csv.utf8).write(to: url, options: .atomic)
        } catch {
            throw StorageFailure(message: "cannot cache dataset \(id) in \(configuration.cacheDirectory.path): \(error)")
        }
        return url.path
    }

    /// A dataset already fetched to the cache (datasets never change once uploaded).
    @Sendable func cachedDataset(_ id: String) -> String? {
        let path = configuration.cacheDirectory.appendingPathComponent("\(id).csv").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The dataset id a spec reads, if any.
    static func datasetID(_ json: JSONValue) -> String? {
        guard case .object(let spec) = json, case .object(let data)? = spec["data"], data["source"] == .string("dataset"),
              case .string(let id)? = data["id"] else { return nil }
        return id
    }

    // MARK: Lifecycle

    public func heartbeat() {
        feed.ping()
        Task {
            await endIdleRuns()
            await Worker.reapExpiredLeases(db)
        }
    }

    public func shutdown() {
        feed.stop()
        let done = DispatchSemaphore(value: 0)
        Task { [writer] in
            await writer.stop()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 3)
    }
}
