import Foundation
import Synchronization

/// Counters for `GET /metrics` (Prometheus text format 0.0.4).
final class Metrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

    struct RequestKind: Hashable { var method: String, status: Int }

    struct State {
        var requests: [RequestKind: Int] = [:]
        var bucketCounts = [Int](repeating: 0, count: Metrics.buckets.count)
        var count = 0
        var sum = 0.0
        var lastSteps = 0
        var lastTime = Date()
        var stepsPerSecond = 0.0
    }

    private let state = Mutex(State())

    /// Counts a request; its duration joins the histogram unless nil (streams).
    func request(method: String, status: Int, seconds: Double?) {
        state.withLock { s in
            s.requests[RequestKind(method: method, status: status), default: 0] += 1
            guard let seconds else { return }
            s.count += 1
            s.sum += seconds
            for (i, b) in Self.buckets.enumerated() where seconds <= b { s.bucketCounts[i] += 1 }
        }
    }

    func exposition(counts: [JobMeta.Status: Int], steps: Int, streams: Int, connections: Int) -> String {
        return state.withLock { s in
            let now = Date()
            let dt = now.timeIntervalSince(s.lastTime)
            if dt >= 1 {
                s.stepsPerSecond = Double(steps - s.lastSteps) / dt
                s.lastSteps = steps
                s.lastTime = now
            }
            var out = "# HELP gradscope_jobs Jobs by status.\n# TYPE gradscope_jobs gauge\n"
            for status in JobMeta.Status.allCases { out += "gradscope_jobs{status=\"\(status.rawValue)\"} \(counts[status] ?? 0)\n" }
            out += "# HELP gradscope_steps_total Optimizer steps run since start.\n# TYPE gradscope_steps_total counter\n"
            out += "gradscope_steps_total \(steps)\n"
            out += "# HELP gradscope_steps_per_second Steps per second over the last scrape interval.\n# TYPE gradscope_steps_per_second gauge\n"
            out += "gradscope_steps_per_second \(s.stepsPerSecond)\n"
            out += "# HELP gradscope_streams_open Open event streams.\n# TYPE gradscope_streams_open gauge\n"
            out += "gradscope_streams_open \(streams)\n"
            out += "# HELP gradscope_connections_open Open HTTP connections, streams included.\n# TYPE gradscope_connections_open gauge\n"
            out += "gradscope_connections_open \(connections)\n"
            out += "# HELP gradscope_http_requests_total HTTP requests by method and status.\n# TYPE gradscope_http_requests_total counter\n"
            for (key, count) in s.requests.sorted(by: { ($0.key.method, $0.key.status) < ($1.key.method, $1.key.status) }) {
                out += "gradscope_http_requests_total{method=\"\(key.method)\",status=\"\(key.status)\"} \(count)\n"
            }
            out += "# HELP gradscope_http_request_duration_seconds Time to answer a request.\n# TYPE gradscope_http_request_duration_seconds histogram\n"
            for (i, b) in Self.buckets.enumerated() {
                out += "gradscope_http_request_duration_seconds_bucket{le=\"\(b)\"} \(s.bucketCounts[i])\n"
            }
            out += "gradscope_http_request_duration_seconds_bucket{le=\"+Inf\"} \(s.count)\n"
            out += "gradscope_http_request_duration_seconds_sum \(s.sum)\n"
            out += "gradscope_http_request_duration_seconds_count \(s.count)\n"
            return out
        }
    }
}
