import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeRun
import GradscopeSpec
import Synchronization

/// A run that trains elsewhere and posts its records (see
/// `ExternalRunSpec`). It is a job like the others for everything that
/// reads (list, events, steps, report, dashboard); what differs is where its
/// records come from: `ingest` checks them, feeds the same diagnosis an
/// engine job has, and appends them to the same channel.
final class ExternalRun: Sendable {
    let spec: ExternalRunSpec
    /// The capability to post to this run, returned once at creation.
    let token: String
    let channel: JobChannel

    struct State {
        var run: ExternalRunState
        /// When the run was created or last took a batch.
        var lastActive = SuspendingClock.now  // not counting time the machine slept
        /// When the meta (its step) was last saved.
        var lastSaved = SuspendingClock.now
        /// Set under this lock by `finishExternal` (or a failed write): a batch
        /// checked before then must not be appended after the report.
        var closed = false
    }

    let state: Mutex<State>

    init(spec: ExternalRunSpec, token: String, channel: JobChannel) {
        self.spec = spec
        self.token = token
        self.channel = channel
        state = Mutex(State(run: ExternalRunState(spec: spec)))
    }
}

extension JobManager {
    /// Limits of one ingest batch.
    public static let maxRecordsPerBatch = 10_000

    /// Runs taking records at once; more get 429 until some finish. Each
    /// holds an open record file and a diagnosis.
    public static let maxOpenRuns = 256

    /// Creates an external run: stored, listed and streamable at once, with
    /// status `running`. Returns its meta and its ingest token.
    public func createRun(json: JSONValue) throws(SubmitError) -> (meta: JobMeta, token: String) {
        let spec: ExternalRunSpec
        do { spec = try ExternalRunSpec(json: json) } catch { throw .invalid(error) }
        let token = (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "").lowercased()
        let channel = JobChannel()
        let run = ExternalRun(spec: spec, token: token, channel: channel)
        let created: JobMeta? = state.withLock { s in
            guard s.external.count < Self.maxOpenRuns else { return nil }
            let id = String(format: "j-%06d", s.nextNumber)
            s.nextNumber += 1
            let now = Date()
            let meta = JobMeta(id: id, name: spec.name, status: .running, createdAt: now, startedAt: now, step: 0,
                               totalSteps: spec.totalSteps ?? 0, source: JobMeta.external)
            s.metas[id] = meta
            s.order.insert(id, at: 0)
            s.channels[id] = channel
            s.external[id] = run
            return meta
        }
        guard let meta = created else { throw .queueFull }
        do {
            try store.create(meta, spec: Response.encode(json))
            try channel.open(store.appender(meta.id))
            try channel.append([JobRun.Line(.start(StartRecord(run: spec)))])
            channel.publish([.status("running")])
        } catch {
            run.state.withLock { $0.closed = true }
            channel.finish(status: JobMeta.Status.failed.rawValue)
            forget(meta.id)
            throw .storage("\(error)")
        }
        // Deleted while its files were written: they go too (see `submit`).
        if state.withLock({ $0.metas[meta.id] == nil }) {
            run.state.withLock { $0.closed = true }
            channel.finish(status: JobMeta.Status.cancelled.rawValue)
            store.delete(meta.id)
        }
        return (meta, token)
    }

    /// Checks the token of run `id` (before its body is even parsed).
    public func authorizeIngest(_ id: String, token: String?) throws(IngestError) {
        _ = try externalRun(id, token: token)
    }

    private func externalRun(_ id: String, token: String?) throws(IngestError) -> ExternalRun {
        let found: (ExternalRun?, JobMeta?) = state.withLock { ($0.external[id], $0.metas[id]) }
        guard let meta = found.1 else { throw .notFound }
        guard let run = found.0 else { throw .finished(meta.status) }
        // Both are 32 hex digits: compare every byte, not up to the first difference.
        let given = Array((token ?? "").utf8), expected = Array(run.token.utf8)
        guard given.count == expected.count, zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw .unauthorized
        }
        return run
    }

    /// Checks every record of a batch, then (only if all are valid) feeds
    /// the new ones to the diagnosis and appends them with the alerts they
    /// raise in one write. A step number at or below the last accepted one
    /// is a retry and is skipped, as is any NaN origin after the first.
    public func ingest(_ id: String, token: String?, body: Data) throws(IngestError) -> IngestResult {
        let run = try externalRun(id, token: token)
        var parsed: [ExternalRecord]
        do { parsed = try ExternalRecord.batch(body, run: run.spec, limit: Self.maxRecordsPerBatch) } catch {
            switch error {
            case .syntax(let record, let e): throw .syntax(record: record, e)
            case .invalid(let e): throw .invalid(e)
            }
        }
        parsed = ExternalRunState.ordered(parsed)
        let outcome: Result<(Int, Int, Int), IngestError> = run.state.withLock { s in
            guard !s.closed else { return .failure(.finished(.completed)) }
            s.lastActive = .now
            let (lines, accepted, duplicates) = s.run.apply(parsed)
            do {
                if !lines.isEmpty { try run.channel.append(lines) }
            } catch {
                // The diagnosis has seen records the store has not: the run ends
                // here (failed), so no retry can be half-applied.
                s.closed = true
                return .failure(.storage("\(error)"))
            }
            return .success((accepted, duplicates, s.run.lastStep))
        }
        if case .failure(.storage(let message)) = outcome {
            state.withLock { _ = $0.external.removeValue(forKey: id) }
            fail(id, "cannot store records: \(message)")
        }
        let (accepted, duplicates, lastStep) = try outcome.get()
        // Saved at most every 2 s, as an engine job's progress: a meta file
        // rewritten (and synced) each batch cost more than the batch's diagnosis.
        let meta: JobMeta? = state.withLock { s in
            if let step = s.metas[id]?.step { s.metas[id]?.step = max(step, lastStep) }
            s.stepsDone += accepted
            return s.metas[id]
        }
        let due = run.state.withLock { s in
            guard SuspendingClock.now - s.lastSaved > .seconds(2) else { return false }
            s.lastSaved = .now
            return true
        }
        if due, let meta { save(meta) }
        return IngestResult(accepted: accepted, duplicates: duplicates, lastStep: lastStep)
    }

    /// Ends an external run: its summary and report (the verdict, with
    /// remedies suggested but no spec to patch) are appended and it is
    /// `completed` (or `failed` / `cancelled` as the client says). `dropped`:
    /// the steps the client measured but could not send, for the summary.
    public func finishRun(_ id: String, token: String?, status: JobMeta.Status, dropped: Int) throws(IngestError) -> JobMeta {
        let run = try externalRun(id, token: token)
        finishExternal(id, run: run, status: status, dropped: dropped)
        guard let meta = meta(id) else { throw .notFound }  // deleted meanwhile
        return meta
    }

    /// Ends, as `interrupted` with their report, the external runs that
    /// have taken nothing for `runIdleTimeout` as of `now`.
    public func endIdleRuns(now: SuspendingClock.Instant = .now) {
        guard let timeout = configuration.runIdleTimeout else { return }
        let error = ExternalRunState.idleError(timeout)
        for (id, run) in state.withLock({ $0.external }) {
            finishExternal(id, run: run, status: .interrupted, error: error, when: { now - $0.lastActive >= timeout })
        }
    }

    /// Appends the summary and report and closes the run (also on cancel),
    /// if `condition` holds: it is checked under the run's lock, so that a
    /// batch either lands before (and may make it false) or finds the run
    /// closed; of two callers only the first ends the run.
    func finishExternal(_ id: String, run: ExternalRun, status: JobMeta.Status, error: String? = nil, dropped: Int = 0,
                        when condition: (ExternalRun.State) -> Bool = { _ in true }) {
        let verdict: String? = run.state.withLock { s in
            guard !s.closed, condition(s) else { return nil }
            s.closed = true
            let (lines, verdict) = s.run.finalLines(spec: run.spec, dropped: dropped)
            try? run.channel.append(lines)
            return verdict
        }
        guard let verdict else { return }
        state.withLock { _ = $0.external.removeValue(forKey: id) }
        update(id) { meta in
            meta.verdict = verdict
            if let error { meta.error = error }
        }
        finish(id, status: status, channel: run.channel)
    }
}
