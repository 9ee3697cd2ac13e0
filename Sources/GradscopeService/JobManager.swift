import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeRun
import GradscopeSpec
import Synchronization

/// Owns jobs and their lifecycle: admission, the queue, running on Dispatch
/// queues, cancellation, persistence and the live streams.
public final class JobManager: JobBackend {
    public struct Configuration: Sendable {
        /// Jobs running at once; the rest wait in the queue.
        public var maxJobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
        public var maxQueue = 64
        /// An external run that has posted nothing for this long (its script
        /// died without `finish`) is ended as `interrupted`, with its report;
        /// nil never ends it.
        public var runIdleTimeout: Duration? = .seconds(3600)
        /// The server's defaults are tighter than the CLI's: one job must
        /// not take the machine (docs/API.md "Limits").
        public var limits: JobLimits = {
            var l = JobLimits()
            l.maxParameters = 20_000_000
            l.maxSteps = 1_000_000
            l.maxBatchSize = 4096
            l.maxRows = 1_000_000
            return l
        }()
        public init() {}
    }

    public let configuration: Configuration
    let store: JobStore

    struct State {
        var metas: [String: JobMeta] = [:]
        /// Newest first.
        var order: [String] = []
        var pending: [String] = []
        var running: Set<String> = []
        var cancelling: Set<String> = []
        var channels: [String: JobChannel] = [:]
        var nextNumber = 1
        var stepsDone = 0
        /// Finished jobs' summary and report lines.
        var finals: [String: (summary: String?, report: String?)] = [:]
        /// External runs still taking records.
        var external: [String: ExternalRun] = [:]
        /// Jobs whose latest state could not be written (a full disk): saved
        /// again at every heartbeat until it is.
        var unsaved: Set<String> = []
        /// Deleted while running: their worker removes their files when it stops.
        var deleted: Set<String> = []
        /// Queued work that is not a job (a remedy experiment's trials): it
        /// takes a slot as a job does, so `maxJobs` bounds all training.
        var tasks: [String: @Sendable (_ stopping: @Sendable () -> Bool) -> Void] = [:]
        var stopping = false
    }

    let state = Mutex(State())

    public init(store: JobStore, configuration: Configuration) {
        self.store = store
        self.configuration = configuration
        // OpenBLAS's thread count is process-wide: share the cores among the jobs.
        MatrixLibrary.setThreads(max(1, ProcessInfo.processInfo.activeProcessorCount / configuration.maxJobs))
        let loaded = store.loadAll()
        state.withLock { s in
            for var meta in loaded {
                if !meta.status.isFinished {
                    // The server stopped while this job was queued or running:
                    // its progress is what its records say, which may be
                    // ahead of the last save.
                    meta.error = meta.error ?? "the server stopped while the job was \(meta.status.rawValue)"
                    meta.status = .interrupted
                    meta.finishedAt = meta.finishedAt ?? Date()
                    meta.step = max(meta.step, store.lastStep(meta.id) ?? 0)
                    if (try? store.save(meta)) == nil { s.unsaved.insert(meta.id) }
                }
                s.metas[meta.id] = meta
            }
            s.order = s.metas.values.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.map(\.id)
            s.nextNumber = (s.metas.keys.compactMap { Int($0.dropFirst(2)) }.max() ?? 0) + 1
        }
    }

    // MARK: Admission

    /// Validates `spec` (every error is found now, with its field, by
    /// arithmetic: `Job.validate`), stores it and queues it. The job is
    /// built once, by its worker.
    public func submit(json: JSONValue, checkpoint: Checkpoint?) throws(SubmitError) -> JobMeta {
        let spec: JobSpec
        let totalSteps: Int
        do {
            spec = try JobSpec(json: json)
            totalSteps = try Job.validate(spec, checkpoint: checkpoint, limits: configuration.limits, datasets: datasetPath)
        } catch {
            throw .invalid(error)
        }
        let specData = Response.encode(json)
        if state.withLock({ $0.stopping }) { throw .stopping }
        let meta: JobMeta? = state.withLock { s in
            guard s.pending.count < configuration.maxQueue else { return nil }
            let id = String(format: "j-%06d", s.nextNumber)
            s.nextNumber += 1
            let meta = JobMeta(id: id, name: spec.name, status: .queued, createdAt: Date(), step: 0, totalSteps: totalSteps)
            s.metas[id] = meta
            s.order.insert(id, at: 0)
            s.channels[id] = JobChannel()
            return meta
        }
        guard let meta else { throw .queueFull }
        do {
            try store.create(meta, spec: specData)
            if let checkpoint {
                try Data(checkpoint.encoded().utf8).write(to: store.jobDirectory(meta.id).appendingPathComponent("init.json"))
            }
        } catch {
            forget(meta.id)
            throw .storage("\(error)")
        }
        // Queued only once its files exist, so no worker can start it before.
        // A DELETE may have come while they were written (ids are
        // sequential): then they go too, or the job would be back after a restart.
        let kept = state.withLock { s in
            guard s.metas[meta.id] != nil else { return false }
            s.pending.append(meta.id)
            return true
        }
        if kept { schedule() } else { store.delete(meta.id) }
        return meta
    }

    /// Undoes an admission whose files could not be written: a job is
    /// acknowledged only once it is on disk.
    func forget(_ id: String) {
        state.withLock { s in
            s.metas[id] = nil
            s.order.removeAll { $0 == id }
            s.pending.removeAll { $0 == id }
            s.channels[id] = nil
            s.external[id] = nil
        }
        store.delete(id)
    }

    /// Starts queued jobs while there are free slots.
    private func schedule() {
        let starting: [String] = state.withLock { s in
            var ids: [String] = []
            while s.running.count < configuration.maxJobs, !s.pending.isEmpty {
                let id = s.pending.removeFirst()
                s.running.insert(id)
                ids.append(id)
            }
            return ids
        }
        for id in starting { Queues.training.async { self.run(id) } }
    }

    // MARK: Running

    private func run(_ id: String) {
        defer {
            let deleted = state.withLock { s in
                s.running.remove(id)
                s.cancelling.remove(id)
                return s.deleted.remove(id) != nil
            }
            if deleted { store.delete(id) }
            schedule()
        }
        if let task = state.withLock({ $0.tasks.removeValue(forKey: id) }) {
            task { [self] in state.withLock { $0.stopping } }
            return
        }
        guard let channel = state.withLock({ $0.channels[id] }), let specData = store.spec(id) else { return }
        if state.withLock({ $0.cancelling.contains(id) }) {
            finish(id, status: .cancelled, channel: channel)
            return
        }
        let job: Job
        do {
            let json = try JSONValue.parse(specData)
            let start = try? Checkpoint.read(path: store.jobDirectory(id).appendingPathComponent("init.json").path)
            job = try Job(spec: JobSpec(json: json), checkpoint: start, limits: configuration.limits, datasets: datasetPath)
        } catch {
            fail(id, "\(error)")
            return
        }
        update(id) { $0.status = .running; $0.startedAt = Date() }
        let run = JobRun(job: job)
        do {
            try channel.open(store.appender(id))
            try channel.append([JobRun.Line(type: "start", step: nil, json: run.startLine)])
            channel.publish([.status("running")])
            var lastSave = Date()
            while !run.isFinished {
                if state.withLock({ $0.cancelling.contains(id) }) { break }
                let lines = run.advanceLines()
                if !lines.isEmpty { try channel.append(lines) }
                let step = run.trainer.stepsDone
                state.withLock { s in
                    s.metas[id]?.step = step
                    s.stepsDone += 1
                }
                if Date().timeIntervalSince(lastSave) > 2 {
                    if let meta = state.withLock({ $0.metas[id] }) { save(meta) }
                    lastSave = Date()
                }
            }
            let cancelled = !run.isFinished
            let final = run.finish()
            try channel.append(final)
            try Data(Checkpoint(model: job.model, step: run.trainer.stepsDone).encoded().utf8)
                .write(to: store.checkpointURL(id), options: .atomic)
            let verdict = run.report().verdict.rawValue
            update(id) { $0.verdict = verdict }
            finish(id, status: cancelled ? .cancelled : .completed, channel: channel)
        } catch {
            fail(id, "\(error)")
        }
    }

    func finish(_ id: String, status: JobMeta.Status, channel: JobChannel) {
        update(id) { meta in
            meta.status = status
            meta.finishedAt = Date()
        }
        channel.finish(status: status.rawValue)
        state.withLock { s in
            s.channels[id] = nil
            s.cancelling.remove(id)
        }
    }

    func fail(_ id: String, _ message: String) {
        update(id) { $0.error = message }
        let channel = state.withLock { $0.channels[id] } ?? JobChannel()
        finish(id, status: .failed, channel: channel)
    }

    func update(_ id: String, _ change: (inout JobMeta) -> Void) {
        guard let meta: JobMeta = state.withLock({ s in
            guard var m = s.metas[id] else { return nil }
            change(&m)
            s.metas[id] = m
            return m
        }) else { return }
        save(meta)
    }

    /// Writes a job's state; one that cannot be written is kept in memory
    /// and written again at every heartbeat (`saveUnsaved`), so a failure
    /// on a full disk is not lost once there is room.
    func save(_ meta: JobMeta) {
        let saved = (try? store.save(meta)) != nil
        state.withLock { s in if saved { s.unsaved.remove(meta.id) } else { s.unsaved.insert(meta.id) } }
    }

    func saveUnsaved() {
        let metas = state.withLock { s in s.unsaved.compactMap { s.metas[$0] } }
        for meta in metas { save(meta) }
    }

    // MARK: Queries and commands

    public func meta(_ id: String) -> JobMeta? { state.withLock { $0.metas[id] } }

    public func list(status: JobMeta.Status?, limit: Int, offset: Int) -> (jobs: [JobMeta], total: Int) {
        state.withLock { s in
            let all = s.order.compactMap { s.metas[$0] }.filter { status == nil || $0.status == status }
            return (Array(all.dropFirst(offset).prefix(limit)), all.count)
        }
    }

    /// A queued job is cancelled at once; a running one within one step.
    public func cancel(_ id: String) throws(CommandError) -> JobMeta {
        let result: (JobMeta?, Bool, JobChannel?) = state.withLock { s in
            guard let meta = s.metas[id] else { return (nil, false, nil) }
            guard !meta.status.isFinished else { return (meta, true, nil) }
            s.cancelling.insert(id)
            if let i = s.pending.firstIndex(of: id) {
                s.pending.remove(at: i)
                return (meta, false, s.channels[id])
            }
            return (meta, false, nil)
        }
        guard result.0 != nil else { throw .notFound }
        if result.1 { throw .finished }
        if let channel = result.2 { finish(id, status: .cancelled, channel: channel) }
        if let run = state.withLock({ $0.external[id] }) { finishExternal(id, run: run, status: .cancelled) }
        return self.meta(id)!
    }

    /// Forgets a job at once; a running one is cancelled, and its worker
    /// removes its files when it stops (within one step), so no I/O thread waits.
    public func delete(_ id: String) throws(CommandError) {
        guard meta(id) != nil else { throw .notFound }
        _ = try? cancel(id)
        let running = state.withLock { s in
            s.metas[id] = nil
            s.order.removeAll { $0 == id }
            s.channels[id] = nil
            s.finals[id] = nil
            if s.running.contains(id) { s.deleted.insert(id) }
            return s.running.contains(id)
        }
        if !running { store.delete(id) }
    }

    /// Queues `work` to run in a job slot; false when the queue is full. It
    /// is handed a function that says when the server is stopping.
    func enqueue(_ id: String, _ work: @escaping @Sendable (_ stopping: @Sendable () -> Bool) -> Void) -> Bool {
        let queued = state.withLock { s in
            guard s.pending.count < configuration.maxQueue, !s.stopping else { return false }
            s.tasks[id] = work
            s.pending.append(id)
            return true
        }
        if queued { schedule() }
        return queued
    }

    public var limits: JobLimits { configuration.limits }

    public func counts() -> [JobMeta.Status: Int] {
        state.withLock { s in
            var c: [JobMeta.Status: Int] = [:]
            for m in s.metas.values { c[m.status, default: 0] += 1 }
            return c
        }
    }

    public var stepsDone: Int { state.withLock { $0.stepsDone } }

    /// The stored records of a job (complete lines).
    public func records(_ id: String) -> [Substring] { store.records(id) }

    public func chart(_ id: String, from: Int, points: Int) -> [String] {
        var lines: [Substring] = [], samples: [ChartSample.Point] = []
        store.forEachLine(id, afterStep: from) { text in
            let line = RecordLine(text)
            guard line.type == "step", let step = line.step, step > from else { return true }
            let (gradNorm, nonfinite) = RecordLine.chartFields(text)
            lines.append(text)
            samples.append(ChartSample.Point(step: step, gradNorm: gradNorm, nonfinite: nonfinite))
            return true
        }
        return ChartSample.kept(samples, points: points).map { String(lines[$0]) }
    }

    public func steps(_ id: String, from: Int, limit: Int, every: Int) -> (records: [String], next: Int?) {
        // Every `every`-th stored step record after `from` (counting records,
        // not step numbers: records may be every few steps).
        var selected: [String] = [], next: Int?, index = 0
        store.forEachLine(id, afterStep: from) { text in
            let line = RecordLine(text)
            guard line.type == "step", let step = line.step, step > from else { return true }
            defer { index += 1 }
            guard index % every == 0 else { return true }
            if selected.count == limit { next = RecordLine(selected.last![...]).step; return false }
            selected.append(String(line.json))
            return true
        }
        return (selected, next)
    }

    /// The report record, once the job has one.
    public func report(_ id: String) -> String? { finals(id)?.report }

    public func summary(_ id: String) -> String? { finals(id)?.summary }

    /// A finished job's summary and report, read from its record file once
    /// and kept (they are small; the file may be large).
    private func finals(_ id: String) -> (summary: String?, report: String?)? {
        if let cached = state.withLock({ $0.finals[id] }) { return cached }
        guard let meta = meta(id), meta.status.isFinished else { return nil }
        var summary: String?, report: String?
        for line in store.tail(id) {
            let record = RecordLine(line)
            if record.type == "summary" { summary = String(line) }
            if record.type == "report" { report = String(line) }
        }
        let found = (summary, report)
        state.withLock { $0.finals[id] = found }
        return found
    }

    public func checkpoint(_ id: String) -> Data? { try? Data(contentsOf: store.checkpointURL(id)) }

    public func spec(_ id: String) -> Data? { store.spec(id) }

    /// Streams a job's records to `stream`: everything after step `from`
    /// (the start record always), read from disk as the client takes it;
    /// then, for a running job, the live records, handed over under the
    /// channel's lock so none is missed or sent twice; then the status.
    public func subscribe(_ id: String, from: Int, stream: EventStream) {
        let reader = ReplayReader(url: store.recordsURL(id), from: from)
        stream.setSource { [self] in
            // Catching up: keep reading while the file has more.
            while let chunk = reader.next() {
                if !chunk.isEmpty { return chunk }
            }
            if let channel = state.withLock({ $0.channels[id] }) {
                channel.attach(stream) { reader.drain() }
            } else {
                let status = meta(id)?.status.rawValue ?? "unknown"
                stream.sendReplay(reader.drain() + RecordEvent.status(status))
                stream.close()
            }
            return nil
        }
    }

    /// Every 15 s: a heartbeat comment to every live stream (so dead clients
    /// are noticed), and the end of idle external runs.
    public func heartbeat() {
        for channel in state.withLock({ Array($0.channels.values) }) { channel.ping() }
        endIdleRuns()
        saveUnsaved()
    }

    /// Marks running jobs for cancellation and waits (bounded) for them to stop,
    /// so that a restart finds them `cancelled`, not half-written.
    public func shutdown() { shutdown(grace: 3) }

    public func shutdown(grace: Double) {
        let dropped = state.withLock { s in
            s.stopping = true
            s.cancelling.formUnion(s.running)
            s.cancelling.formUnion(s.pending)
            s.pending.removeAll()
            defer { s.tasks.removeAll() }
            return Array(s.tasks.values)
        }
        // Work that never started is told at once that the server is stopping, so that it ends as cancelled.
        for task in dropped { task { true } }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline && !state.withLock({ $0.running.isEmpty }) { usleep(10_000) }
    }
}
