import Foundation
import Synchronization

/// An answer worked out off the I/O threads: parsing an upload, building a
/// job. The server parks the connection (libmicrohttpd's suspend), runs
/// `work` on `queue`, and wakes the connection when the answer is ready, so
/// a slow request never holds an I/O thread that other clients need.
public final class LaterAnswer: Sendable {
    private let queue: DispatchQueue
    private let work: @Sendable () throws -> Response
    private struct State {
        var answer: Response?
        var wake: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> Response) {
        self.queue = queue
        self.work = work
    }

    /// Called by the server once the connection is parked: runs the work,
    /// then `wake` (which resumes the connection).
    func start(wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wake = wake }
        queue.async { [self] in
            let response: Response
            do { response = try work() } catch { response = HTTPError.response(for: error) }
            finish(with: response)
        }
    }

    /// Sets the answer and wakes the connection, the first time only: the
    /// work's own answer, or the server's when it stops first.
    func finish(with response: Response) {
        let wake: (@Sendable () -> Void)? = state.withLock { s in
            guard s.answer == nil else { return nil }
            s.answer = response
            defer { s.wake = nil }
            return s.wake
        }
        wake?()
    }

    /// The answer, once there is one.
    var response: Response? { state.withLock { $0.answer } }
}

extension Response {
    /// An answer computed on `queue` while the connection waits (see `LaterAnswer`).
    public static func later(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> Response) -> Response {
        Response(status: 0, body: .later(LaterAnswer(on: queue, work)))
    }
}
