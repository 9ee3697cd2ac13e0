import Dispatch
import Synchronization

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

    /// Waits on this thread for async work: for a command's start (the main
    /// thread) and for tests, never from Swift's concurrency pool, whose
    /// threads the work itself needs.
    public static func block<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// Timers: stream heartbeats, the access log's flushes.
    public static let timers = DispatchQueue(label: "gradscope.timers")
}
