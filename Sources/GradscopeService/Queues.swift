import Dispatch

/// Every Dispatch queue the service runs work on, created here and nowhere
/// else (the HTTP layer keeps its own for its deadlines).
public enum Queues {
    /// Training: jobs and remedy trials, at most `--max-jobs` at once
    /// (`JobManager` admits them to it).
    static let training = DispatchQueue(label: "gradscope.training", qos: .userInitiated, attributes: .concurrent)
    /// Requests' slow work, off libmicrohttpd's threads (`Service.offThread`).
    static let requests = DispatchQueue(label: "gradscope.requests", qos: .userInitiated, attributes: .concurrent)
    /// Runs CPU-heavy work (an export, validating against a dataset) on
    /// `requests` and waits for it without holding a thread of Swift's
    /// concurrency pool, which the database backend's I/O needs.
    public static func slowWork<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { done in
            requests.async { done.resume(with: Result { try work() }) }
        }
    }

    /// Timers: stream heartbeats, the access log's flushes.
    public static let timers = DispatchQueue(label: "gradscope.timers")
}
