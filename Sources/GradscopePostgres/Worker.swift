import Foundation
import GradscopeEngine
import GradscopeRun
import GradscopeService
import GradscopeSpec
import PostgresNIO
import Synchronization

/// `gradscope worker`: claims queued engine jobs from the database and runs
/// them, `slots` at a time, writing their records through the same
/// `RecordWriter` as ingested runs.
///
/// - A claim is one `UPDATE … WHERE number = (SELECT … FOR UPDATE SKIP
///   LOCKED LIMIT 1)`: two workers never take the same job, and neither waits
///   for the other.
/// - A claim is a lease: the worker renews it with every write and every
///   `heartbeat`; every write checks it (the row still names this worker and
///   is running), so a worker that lost its job writes nothing more.
/// - A claimed job stays `queued` until its first write; if its lease
///   expires before then, it is simply queued again (nothing was written).
/// - A running job whose lease expires (its worker was killed, or lost the
///   database) is marked `interrupted`, as a single server marks the jobs a
///   restart found running; it is not queued again. Its records so far stay,
///   and a second run would write a second history over them: the engine
///   has no mid-run checkpoint to resume from. Resubmit it to run it again.
/// - Cancel is a flag on the row, read at the job's next write (every
///   ~100 ms while it trains).
public final class Worker: Sendable {
    public struct Configuration: Sendable {
        /// Jobs run at once.
        public var slots = max(1, ProcessInfo.processInfo.activeProcessorCount)
        public var lease: Duration = .seconds(30)
        public var heartbeat: Duration = .seconds(5)
        /// Lines are written at least this often, or every `flushLines`.
        public var flushInterval: Duration = .milliseconds(100)
        public var flushLines = 200
        public init() {}
    }

    public let name: String
    public let configuration: Configuration
    let backend: PostgresBackend
    /// The claims running here, by claim token.
    private let running = Mutex<[String: Int64]>([:])
    /// Set when there may be a job to claim.
    private let rung = Mutex(false)
    private let queue = DispatchQueue(label: "gradscope.worker", attributes: .concurrent)

    public init(backend: PostgresBackend, configuration: Configuration = Configuration()) {
        self.backend = backend
        self.configuration = configuration
        let host = ProcessInfo.processInfo.hostName
        name = "\(host):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
        // OpenBLAS's thread count is process-wide: share the cores among the slots.
        MatrixLibrary.setThreads(max(1, ProcessInfo.processInfo.activeProcessorCount / configuration.slots))
    }

    var db: Database { backend.db }

    /// Claims and runs jobs until the task is cancelled; then waits for the
    /// running ones to be stopped (they end `cancelled`).
    public func run() async {
        let listener = Task { await listen() }
        let beats = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: configuration.heartbeat)
                await heartbeat()
                await Self.reapExpiredLeases(db)
            }
        }
        defer {
            listener.cancel()
            beats.cancel()
        }
        while !Task.isCancelled {
            if running.withLock({ $0.count }) < configuration.slots, let claim = try? await claim() {
                start(claim)
                continue
            }
            // Woken by a NOTIFY (a job was queued) or a freed slot within
            // 20 ms; polls every second in any case.
            for _ in 0..<50 where !Task.isCancelled && !rung.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
            rung.withLock { $0 = false }
        }
        stopping.withLock { $0 = true }
        // In a task of its own: this one is cancelled, and its sleeps would return at once.
        await Task { [self] in
            while !running.withLock({ $0.isEmpty }) { try? await Task.sleep(for: .milliseconds(20)) }
        }.value
    }

    private let stopping = Mutex(false)

    private func signal() { rung.withLock { $0 = true } }

    private func listen() async {
        while !Task.isCancelled {
            try? await db.withConnection { conn in
                try await conn.listen(on: "gradscope_jobs") { notes in
                    for try await _ in notes { signal() }
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    struct Claim: Sendable {
        /// This claim's own name in the row's `worker` column: every write
        /// is fenced on it, so a second claim of the same job (after the
        /// first lease ran out) can never let two copies write.
        var token: String
        var number: Int64
        var id: String
        var spec: String
        var checkpoint: String?
    }

    /// Takes the oldest queued job, if any.
    func claim() async throws -> Claim? {
        let seconds = Double(configuration.lease.components.seconds)
        let token = "\(name):\(UUID().uuidString.prefix(8).lowercased())"
        return try await db.transaction { conn in
            // The job stays `queued` until its first write (`RecordWriter`).
            let rows = try await conn.rows("""
                UPDATE jobs SET worker = \(token), updated_at = now(), lease_until = now() + make_interval(secs => \(seconds))
                WHERE number = (SELECT number FROM jobs WHERE status = 'queued' AND worker IS NULL
                                ORDER BY number FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING number, id, spec, init_checkpoint
                """, db.logger, as: (Int64, String, String, String?).self)
            guard let t = rows.first else { return nil }
            return Claim(token: token, number: t.0, id: t.1, spec: t.2, checkpoint: t.3)
        }
    }

    private func start(_ claim: Claim) {
        running.withLock { $0[claim.token] = claim.number }
        Task {
            // The dataset is fetched here; the job is built on its training thread.
            var fetched: String?
            do {
                if let id = PostgresBackend.datasetID(try JSONValue.parse(Data(claim.spec.utf8))) { _ = try await backend.datasetFile(id) }
            } catch {
                fetched = "\(error)"
            }
            let failure = fetched
            queue.async { [self] in
                do {
                    if let failure { throw StorageFailure(message: failure) }
                    let start = try claim.checkpoint.map { try Checkpoint.decode(Data($0.utf8)) }
                    let job = try Job(spec: JobSpec(json: JSONValue.parse(Data(claim.spec.utf8))), checkpoint: start,
                                      limits: backend.limits, datasets: backend.cachedDataset)
                    train(claim, job)
                } catch {
                    _ = write(claim, [], after: 0, end: .init(status: .failed, error: "\(error)"))
                }
                running.withLock { _ = $0.removeValue(forKey: claim.token) }
                signal()
            }
        }
    }

    /// Trains one job on this thread, writing its lines as it goes.
    private func train(_ claim: Claim, _ job: Job) {
        let run = JobRun(job: job)
        var pending = [JobRun.Line(type: "start", step: nil, json: run.startLine)]
        var lastWrite = ContinuousClock.now
        var cancelled = false
        var counted = 0
        var seq: Int64 = 0
        while !run.isFinished {
            if stopping.withLock({ $0 }) { cancelled = true; break }
            pending += run.advanceLines()
            guard pending.count >= configuration.flushLines || ContinuousClock.now - lastWrite >= configuration.flushInterval else { continue }
            guard case .written(let cancel, let written) = write(claim, pending, after: seq, end: nil) else {
                return  // lost its lease, or the job was deleted: nothing more is written
            }
            cancelled = cancel
            seq = written
            backend.count(steps: run.trainer.stepsDone - counted)
            counted = run.trainer.stepsDone
            pending = []
            lastWrite = .now
            if cancelled { break }
        }
        pending += run.finish()
        backend.count(steps: run.trainer.stepsDone - counted)
        let checkpoint = Checkpoint(model: job.model, step: run.trainer.stepsDone).encoded()
        _ = write(claim, pending, after: seq, end: .init(status: cancelled ? .cancelled : .completed, verdict: run.report().verdict.rawValue,
                                                         checkpoint: checkpoint))
    }

    /// One write through the record writer, from this training thread.
    /// While the database is away the same lines are sent again (training
    /// waits: records are written in order), for about two minutes; a write
    /// whose answer was lost is recognised by the writer, so none is stored
    /// twice. A lost lease ends the retries.
    private func write(_ claim: Claim, _ lines: [JobRun.Line], after: Int64, end: RecordWriter.EngineEnd?) -> RecordWriter.Outcome {
        var outcome = writeOnce(claim, lines, after: after, end: end)
        for attempt in 0..<30 {
            guard case .refused(.unavailable) = outcome else { break }
            Thread.sleep(forTimeInterval: min(5, 0.2 * Double(attempt + 1)))
            outcome = writeOnce(claim, lines, after: after, end: end)
        }
        return outcome
    }

    private func writeOnce(_ claim: Claim, _ lines: [JobRun.Line], after: Int64, end: RecordWriter.EngineEnd?) -> RecordWriter.Outcome {
        let outcome = Mutex<RecordWriter.Outcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task { [backend, configuration] in
            let o = await backend.writer.submit(claim.number, .engine(lines, claim: claim.token, after: after, lease: configuration.lease, end: end))
            outcome.withLock { $0 = o }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0! }
    }

    /// Renews the leases of the jobs running here.
    private func heartbeat() async {
        let tokens = running.withLock { Array($0.keys) }
        guard !tokens.isEmpty else { return }
        let seconds = Double(configuration.lease.components.seconds)
        _ = try? await db.query("""
            UPDATE jobs SET lease_until = now() + make_interval(secs => \(seconds))
            WHERE worker = ANY(\(tokens)) AND status IN ('queued', 'running')
            """)
    }

    /// Ends the claims whose lease has expired (run by every worker and
    /// replica at its heartbeat; each UPDATE changes a job once): a job that
    /// had not started (it has no record) is queued again, a running one is
    /// marked `interrupted`.
    static func reapExpiredLeases(_ db: Database) async {
        if let requeued = try? await db.rows("""
            UPDATE jobs SET worker = NULL, lease_until = NULL
            WHERE status = 'queued' AND worker IS NOT NULL AND lease_until < now() RETURNING number
            """, as: (Int64).self), !requeued.isEmpty {
            _ = try? await db.query("SELECT pg_notify('gradscope_jobs', '')")
        }
        guard let ids = try? await db.rows("""
            UPDATE jobs SET status = 'interrupted', finished_at = now(), worker = NULL, lease_until = NULL,
                error = 'its worker stopped (no heartbeat before its lease expired)'
            WHERE status = 'running' AND source IS NULL AND lease_until < now()
            RETURNING id
            """, as: (String).self), !ids.isEmpty else { return }
        _ = try? await db.query("SELECT pg_notify('gradscope_records', \(LiveFeed.payload(ids)))")
    }
}
