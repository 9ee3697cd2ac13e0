import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeRun
import GradscopeService
import GradscopeSpec
import Logging
import PostgresNIO
import Synchronization

/// The one path by which records reach the database, for ingested batches
/// and engine jobs alike. Work from every request (or every training
/// thread) of this process is gathered and written every ~100 ms, or as
/// soon as a few hundred records wait, in one transaction:
///
/// 1. the runs' rows are locked (in number order, so two writers never deadlock);
/// 2. each piece of work is applied in arrival order: an external batch
///    through its run's diagnosis (`ExternalRunState`), an engine job's
///    lines as its worker produced them, checked against its lease;
/// 3. every new record is inserted in one multi-row INSERT, each run's
///    summary columns are updated, and one NOTIFY names the runs that changed.
///
/// A caller is answered only once the transaction has committed, so an
/// acknowledged record survives a kill -9. Retries are idempotent on (run,
/// step) through the run row's last step: no history is scanned. When more
/// records wait than `maxPending`, new batches are refused with `.busy`
/// (429), and the client retries.
final class RecordWriter: Sendable {
    struct Configuration: Sendable {
        var interval: Duration = .milliseconds(100)
        var batchRecords = 500
        var maxPending = 20_000
    }

    enum Work: Sendable {
        case ingest([ExternalRecord], spec: ExternalRunSpec)
        /// Ends an external run; with `ifIdleFor`, only if it has taken
        /// nothing for that long (checked under the row's lock).
        case finishRun(JobMeta.Status, dropped: Int, error: String?, spec: ExternalRunSpec, ifIdleFor: Duration?)
        /// An engine job's lines, from the worker holding `claim`, written
        /// after the run's record `after`; `end` when it is its last write.
        /// Sent again after an answer lost with the connection, they are
        /// recognised (the run is then at `after` + their count) and not
        /// stored twice.
        case engine([JobRun.Line], claim: String, after: Int64, lease: Duration, end: EngineEnd?)
    }

    struct EngineEnd: Sendable {
        var status: JobMeta.Status
        var verdict: String? = nil
        var error: String? = nil
        var checkpoint: String? = nil
    }

    enum Outcome: Sendable {
        case ingested(IngestResult)
        case finished
        /// An engine job's write: whether it was asked to stop, and its last record's number.
        case written(cancelRequested: Bool, seq: Int64)
        /// A conditional end whose condition no longer held.
        case skipped
        case refused(IngestError)
    }

    private struct Item {
        var number: Int64
        var work: Work
        var records: Int
        var done: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var items: [Item] = []
        var records = 0
        var stopped = false
        /// The writer's loop, waiting for work.
        var idle: CheckedContinuation<Void, Never>?
    }

    let db: Database
    let configuration: Configuration
    private let state = Mutex(State())
    /// Each run's diagnosis as this process last left it: rebuilt from the
    /// stored records when another process has written since.
    private let diagnoses = Mutex<[Int64: (state: ExternalRunState, seq: Int64)]>([:])
    private let loop = Mutex<Task<Void, Never>?>(nil)

    init(db: Database, configuration: Configuration = Configuration()) {
        self.db = db
        self.configuration = configuration
        let task = Task { [self] in await run() }
        loop.withLock { $0 = task }
    }

    /// Queues `work` for run `number` and waits for the transaction that writes it.
    func submit(_ number: Int64, _ work: Work) async -> Outcome {
        let count: Int = switch work {
        case .ingest(let records, _): records.count
        case .engine(let lines, _, _, _, _): lines.count
        case .finishRun: 2
        }
        return await withCheckedContinuation { done in
            let refused: Outcome? = state.withLock { s in
                if s.stopped { return .refused(.unavailable("the server is stopping")) }
                if case .ingest = work, s.records + count > configuration.maxPending { return .refused(.busy(retryAfter: 1)) }
                s.items.append(Item(number: number, work: work, records: count, done: done))
                s.records += count
                defer { s.idle = nil }
                s.idle?.resume()
                return nil
            }
            if let refused { done.resume(returning: refused) }
        }
    }

    /// Writes what waits, then refuses more.
    func stop() async {
        state.withLock { s in
            s.stopped = true
            s.idle?.resume()
            s.idle = nil
        }
        let task = loop.withLock { $0 }
        await task?.value
    }

    /// Forgets a run's cached diagnosis (it was deleted).
    func forget(_ number: Int64) { _ = diagnoses.withLock { $0.removeValue(forKey: number) } }

    private func run() async {
        var last = ContinuousClock.now
        while true {
            // Nothing to write: wait for work (no timer runs meanwhile).
            await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
                let waiting = state.withLock { s in
                    guard s.items.isEmpty, !s.stopped else { return false }
                    s.idle = wake
                    return true
                }
                if !waiting { wake.resume() }
            }
            try? await Task.sleep(for: .milliseconds(5))
            let (due, stopped) = state.withLock { s in
                (s.records >= configuration.batchRecords || (!s.items.isEmpty && ContinuousClock.now - last >= configuration.interval), s.stopped)
            }
            if due || stopped {
                let items = state.withLock { s in
                    defer { s.items = []; s.records = 0 }
                    return s.items
                }
                last = .now
                if !items.isEmpty { await flush(items) }
            }
            if stopped && state.withLock({ $0.items.isEmpty }) { return }
        }
    }

    // MARK: One flush

    private struct Row {
        var run: Int64
        var seq: Int64
        var type: String
        var step: Int
        var body: String
        var gradNorm: Double?
        var nonfinite: Bool
    }

    private func flush(_ items: [Item]) async {
        let numbers = Array(Set(items.map(\.number))).sorted()
        do {
            let outcomes = try await db.transaction { conn in try await write(items, numbers: numbers, on: conn) }
            for (item, outcome) in zip(items, outcomes) { item.done.resume(returning: outcome) }
        } catch {
            // Rolled back: the diagnoses advanced past what is stored.
            diagnoses.withLock { d in for n in numbers { d[n] = nil } }
            for item in items { item.done.resume(returning: .refused(.unavailable(db.failure(error).message))) }
        }
    }

    private func write(_ items: [Item], numbers: [Int64], on conn: PostgresConnection) async throws -> [Outcome] {
        let logger = db.logger
        var rows: [Int64: RunRow] = [:]
        for t in try await conn.rows(
            "SELECT \(unescaped: RunRow.columns) FROM jobs WHERE number = ANY(\(numbers)) ORDER BY number FOR UPDATE",
            logger, as: RunRow.Tuple.self) {
            rows[t.0] = RunRow(t)
        }
        var inserts: [Row] = []
        var outcomes: [Outcome] = []
        var ends: [Int64: EngineEnd] = [:]
        var finals: [Int64: (status: JobMeta.Status, verdict: String, error: String?, summary: String, report: String)] = [:]
        var leases: [Int64: (worker: String, lease: Duration)] = [:]
        var started = Set<Int64>()
        var changed = Set<Int64>()
        func append(_ lines: [JobRun.Line], to row: inout RunRow) {
            for line in lines {
                row.lastSeq += 1
                inserts.append(Row(run: row.number, seq: row.lastSeq, type: line.type, step: line.step ?? -1, body: line.json,
                                   gradNorm: line.gradNorm, nonfinite: line.nonfinite))
            }
            if !lines.isEmpty { changed.insert(row.number) }
        }
        for item in items {
            guard var row = rows[item.number] else { outcomes.append(.refused(.notFound)); continue }
            defer { rows[item.number] = row }
            switch item.work {
            case .ingest(let records, let spec):
                guard row.status == "running" else {
                    outcomes.append(.refused(.finished(JobMeta.Status(rawValue: row.status) ?? .completed)))
                    continue
                }
                let run = try await diagnosis(of: row, spec: spec, on: conn)
                let (lines, accepted, duplicates) = run.apply(records)
                append(lines, to: &row)
                row.take(run)
                diagnoses.withLock { d in
                    // Bounded: a forgotten diagnosis is rebuilt from the stored records.
                    if d.count >= 4096, d[row.number] == nil { d.removeAll() }
                    d[row.number] = (run, row.lastSeq)
                }
                changed.insert(row.number)
                outcomes.append(.ingested(IngestResult(accepted: accepted, duplicates: duplicates, lastStep: run.lastStep)))
            case .finishRun(let status, let dropped, let error, let spec, let idleFor):
                guard row.status == "running" else {
                    outcomes.append(.refused(.finished(JobMeta.Status(rawValue: row.status) ?? .completed)))
                    continue
                }
                // An idle run that took a batch since it was found idle (or
                // in this very flush) is not idle.
                if let idleFor, row.idle < Double(idleFor.components.seconds) || changed.contains(row.number) {
                    outcomes.append(.skipped)
                    continue
                }
                let run = try await diagnosis(of: row, spec: spec, on: conn)
                let (lines, verdict) = run.finalLines(spec: spec, dropped: dropped)
                append(lines, to: &row)
                row.status = status.rawValue
                finals[row.number] = (status, verdict, error, lines[0].json, lines[1].json)
                diagnoses.withLock { _ = $0.removeValue(forKey: row.number) }
                outcomes.append(.finished)
            case .engine(let lines, let claim, let after, let lease, let end):
                // A write sent again after its answer was lost: stored already
                // (an end clears the row's worker).
                if !lines.isEmpty, row.lastSeq == after + Int64(lines.count), row.worker == claim || row.worker == nil {
                    outcomes.append(.written(cancelRequested: row.cancelRequested, seq: row.lastSeq))
                    continue
                }
                // The claim is the fence: a worker that lost its job (expired
                // lease, deleted job) writes nothing more.
                guard ["queued", "running"].contains(row.status), row.worker == claim, row.lastSeq == after else {
                    outcomes.append(.refused(.finished(JobMeta.Status(rawValue: row.status) ?? .interrupted)))
                    continue
                }
                // A claimed job is `running` from its first write, which
                // holds its start record: viewers get the record, then the status.
                if row.status == "queued" {
                    row.status = "running"
                    started.insert(row.number)
                }
                append(lines, to: &row)
                if let step = lines.last(where: { $0.type == "step" })?.step { row.lastStep = max(row.lastStep, step) }
                leases[row.number] = (claim, lease)
                if let end {
                    ends[row.number] = end
                    row.status = end.status.rawValue
                    changed.insert(row.number)
                }
                outcomes.append(.written(cancelRequested: row.cancelRequested, seq: row.lastSeq))
            }
        }
        if !inserts.isEmpty {
            try await conn.run("""
                INSERT INTO records (job, seq, type, step, body, grad_norm, nonfinite)
                SELECT job, seq, type, NULLIF(step, -1), body, NULLIF(grad_norm, 'NaN'), nonfinite
                FROM unnest(\(inserts.map(\.run))::int8[], \(inserts.map(\.seq))::int8[], \(inserts.map(\.type))::text[],
                            \(inserts.map(\.step))::int8[], \(inserts.map(\.body))::text[],
                            \(inserts.map { $0.gradNorm ?? .nan })::float8[], \(inserts.map(\.nonfinite))::bool[])
                     AS r(job, seq, type, step, body, grad_norm, nonfinite)
                """, logger)
        }
        for number in changed.sorted() {
            guard let row = rows[number] else { continue }
            try await conn.run("""
                UPDATE jobs SET last_seq = \(row.lastSeq), last_step = \(row.lastStep), step = GREATEST(step, \(row.lastStep)),
                    steps = \(row.steps), last_loss = \(row.lastLoss), max_grad_norm = \(row.maxGradNorm),
                    nonfinite_steps = \(row.nonfiniteSteps), first_nonfinite = \(row.firstNonfinite), updated_at = now()
                WHERE number = \(number)
                """, logger)
            if started.contains(number) {
                try await conn.run("UPDATE jobs SET status = 'running', started_at = now() WHERE number = \(number)", logger)
            }
            if let f = finals[number] {
                try await conn.run("""
                    UPDATE jobs SET status = \(f.status.rawValue), verdict = \(f.verdict), error = coalesce(\(f.error), error),
                        summary = \(f.summary), report = \(f.report), finished_at = now()
                    WHERE number = \(number)
                    """, logger)
            }
            if let end = ends[number] {
                let summary = inserts.last { $0.run == number && $0.type == "summary" }?.body
                let report = inserts.last { $0.run == number && $0.type == "report" }?.body
                try await conn.run("""
                    UPDATE jobs SET status = \(end.status.rawValue), verdict = \(end.verdict), error = \(end.error),
                        checkpoint = \(end.checkpoint), summary = \(summary), report = \(report), finished_at = now(),
                        worker = NULL, lease_until = NULL
                    WHERE number = \(number)
                    """, logger)
            }
        }
        for (number, lease) in leases where ends[number] == nil {
            let seconds = Double(lease.lease.components.seconds)
            try await conn.run("""
                UPDATE jobs SET lease_until = now() + make_interval(secs => \(seconds)) WHERE number = \(number) AND worker = \(lease.worker)
                """, logger)
        }
        if !changed.isEmpty {
            let ids = changed.compactMap { rows[$0]?.id }.sorted()
            try await conn.run("SELECT pg_notify('gradscope_records', \(LiveFeed.payload(ids)))", logger)
        }
        return outcomes
    }

    /// Run `row`'s diagnosis, brought up to what is stored: this process's
    /// copy when no other has written since, else rebuilt from the stored
    /// step records (the ones after this copy's, or all of them).
    private func diagnosis(of row: RunRow, spec: ExternalRunSpec, on conn: PostgresConnection) async throws -> ExternalRunState {
        let cached = diagnoses.withLock { $0[row.number] }
        if let cached, cached.seq == row.lastSeq { return cached.state }
        let stored = row.firstNonfinite.flatMap(RunRow.decode)
        let run: ExternalRunState
        let after: Int64
        if let cached, cached.seq < row.lastSeq, (cached.state.firstNonfinite == nil) == (stored == nil) {
            (run, after) = cached
        } else {
            (run, after) = (ExternalRunState(spec: spec), 0)
        }
        var replay: [ExternalRecord] = []
        for body in try await conn.rows(
            "SELECT body FROM records WHERE job = \(row.number) AND type = 'step' AND seq > \(after) ORDER BY seq",
            db.logger, as: (String).self) {
            if case .step(let r, let lossKnown) = try Record(line: body) { replay.append(.step(r, lossKnown: lossKnown)) }
        }
        if let stored, run.firstNonfinite == nil { replay.append(.nonfinite(stored)) }
        _ = run.apply(ExternalRunState.ordered(replay))
        row.apply(to: run)
        return run
    }
}
