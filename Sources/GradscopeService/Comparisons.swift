import Foundation
import GradscopeRun
import GradscopeSpec
import Synchronization

/// Remedy experiments started over HTTP (`POST /api/jobs/{id}/remedies`),
/// run in the job manager's slots (so `--max-jobs` bounds them with the
/// jobs) and stopped with the server; their trials are kept in memory.
/// At most `maxPending` wait or run at once (more are refused, so the queue
/// cannot grow without bound), and the `maxFinished` newest finished ones
/// are kept.
final class Comparisons: Sendable {
    struct Entry {
        var job: String
        var status = "queued"
        var trials: [String] = []
        var error: String?
    }

    let maxPending: Int
    let maxFinished: Int
    private let state = Mutex<(entries: [String: Entry], next: Int, pending: Int)>(([:], 1, 0))
    private let jobs: JobManager

    init(jobs: JobManager, maxPending: Int = 8, maxFinished: Int = 100) {
        self.jobs = jobs
        self.maxPending = maxPending
        self.maxFinished = maxFinished
    }

    enum Refusal: Error {
        /// `maxPending` experiments are waiting or running.
        case tooMany
        /// The job queue is full, or the server is stopping.
        case queueFull
    }

    /// The new experiment's id.
    func start(job: String, spec: JSONValue, selection: RemedyExperiment.Selection, limits: JobLimits,
               datasets: @escaping @Sendable (String) -> String?) throws(Refusal) -> String {
        let id: String? = state.withLock { s in
            guard s.pending < maxPending else { return nil }
            let id = String(format: "c-%06d", s.next)
            s.next += 1
            s.pending += 1
            s.entries[id] = Entry(job: job)
            return id
        }
        guard let id else { throw .tooMany }
        let queued = jobs.enqueue(id) { [self] stopping in
            state.withLock { $0.entries[id]?.status = "running" }
            defer { finished(id) }
            do {
                _ = try RemedyExperiment.run(spec: spec, baseDirectory: nil, selection: selection, limits: limits,
                                             datasets: datasets, stop: stopping, progress: { trial in
                    let line = RemedyExperiment.json(trial)
                    state.withLock { $0.entries[id]?.trials.append(line) }
                })
                state.withLock { $0.entries[id]?.status = stopping() ? "cancelled" : "completed" }
            } catch {
                state.withLock { s in
                    s.entries[id]?.status = "failed"
                    s.entries[id]?.error = "\(error)"
                }
            }
        }
        guard queued else {
            state.withLock { s in
                s.entries[id] = nil
                s.pending -= 1
            }
            throw .queueFull
        }
        return id
    }

    /// Forgets the oldest finished experiments beyond `maxFinished`.
    private func finished(_ id: String) {
        state.withLock { s in
            s.pending -= 1
            let done = s.entries.filter { $0.value.status != "queued" && $0.value.status != "running" }.keys.sorted()
            for old in done.dropLast(maxFinished) { s.entries[old] = nil }
        }
    }

    func json(_ id: String) -> String? {
        state.withLock { s in
            guard let e = s.entries[id] else { return nil }
            var w = JSONWriter()
            w.beginObject()
            w.field("id", id)
            w.field("job", e.job)
            w.field("status", e.status)
            w.field("error", e.error)
            w.beginArray("trials")
            for trial in e.trials { w.rawElement(trial) }  // trial records, written by RemedyExperiment.json
            w.endArray()
            w.endObject()
            return w.text
        }
    }
}
