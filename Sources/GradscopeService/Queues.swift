import Dispatch

/// Every Dispatch queue the service runs work on, created here and nowhere
/// else (the HTTP layer keeps its own for its deadlines).
public enum Queues {
    /// Training: jobs and remedy trials, at most `--max-jobs` at once
    /// (`JobManager` admits them to it).
    static let training = DispatchQueue(label: "gradscope.training", qos: .userInitiated, attributes: .concurrent)
    /// Requests' slow work, off libmicrohttpd's threads (`Service.offThread`).
    static let requests = DispatchQueue(label: "gradscope.requests", qos: .userInitiated, attributes: .concurrent)
    /// Timers: stream heartbeats, the access log's flushes.
    public static let timers = DispatchQueue(label: "gradscope.timers")
}
