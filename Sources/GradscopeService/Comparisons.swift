import Foundation
import GradscopeSpec
import Synchronization

/// Remedy experiments started over HTTP (`POST /api/jobs/{id}/remedies`),
/// run one at a time on their own queue; their trials are kept in memory.
final class Comparisons: Sendable {
    struct Entry {
        var job: String
        var status = "running"
        var trials: [String] = []
        var error: String?
    }

    private let state = Mutex<(entries: [String: Entry], next: Int)>(([:], 1))
    private let queue = DispatchQueue(label: "gradscope.comparisons")

    func start(job: String, spec: JSONValue, selection: RemedyExperiment.Selection, limits: JobLimits,
               datasets: @escaping @Sendable (String) -> String?) -> String {
        let id: String = state.withLock { s in
            let id = String(format: "c-%06d", s.next)
            s.next += 1
            s.entries[id] = Entry(job: job)
            return id
        }
        queue.async { [self] in
            do {
                _ = try RemedyExperiment.run(spec: spec, baseDirectory: nil, selection: selection, limits: limits,
                                             datasets: datasets, progress: { trial in
                    let line = RemedyExperiment.json(trial)
                    state.withLock { $0.entries[id]?.trials.append(line) }
                })
                state.withLock { $0.entries[id]?.status = "completed" }
            } catch {
                state.withLock { s in
                    s.entries[id]?.status = "failed"
                    s.entries[id]?.error = "\(error)"
                }
            }
        }
        return id
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
            w.rawField("trials", "[" + e.trials.joined(separator: ",") + "]")
            w.endObject()
            return w.text
        }
    }
}
