import Foundation
import Synchronization

/// An answer worked out off the I/O threads: parsing an upload, building a
/// job. The server parks the connection (libmicrohttpd's suspend), runs
/// `work` on `queue`, and wakes the connection when the answer is ready, so
/// a slow request never holds an I/O thread that other clients need.
public final class LaterAnswer: Sendable {
    /// The work and where it runs; nil for an answer already being worked
    /// out (`Response.answer`), which `finish` delivers.
    private let queue: DispatchQueue?
    private let work: (@Sendable () throws -> Response)?
    private struct State {
        var answer: Response?
        var wake: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> Response) {
        self.queue = queue
        self.work = work
    }

    /// An answer that something else is already working out and will `finish`.
    init() {
        queue = nil
        work = nil
    }

    /// Called by the server once the connection is parked: runs the work,
    /// then `wake` (which resumes the connection).
    func start(wake: @escaping @Sendable () -> Void) {
        // An answer that came before the connection was parked wakes it at once.
        let done = state.withLock { s in
            if s.answer == nil { s.wake = wake }
            return s.answer != nil
        }
        if done { wake(); return }
        guard let queue, let work else { return }
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

    /// An answer from async work, started on the calling thread
    /// (`Task.immediate`): work that never suspends (a handler over the
    /// in-memory backend) is answered at once, on this thread, for about a
    /// microsecond more than a plain call; work that waits (a database
    /// query) parks the connection until it is done, and holds no thread.
    public static func answer(_ work: @escaping @Sendable () async throws -> Response) -> Response {
        let later = LaterAnswer()
        Task.immediate {
            let response: Response
            do { response = try await work() } catch { response = HTTPError.response(for: error) }
            later.finish(with: response)
        }
        return later.response ?? Response(status: 0, body: .later(later))
    }

    /// Async work run on `queue` (its synchronous start, such as parsing a
    /// large body, runs there and not on an I/O thread) while the connection waits.
    public static func later(on queue: DispatchQueue, async work: @escaping @Sendable () async throws -> Response) -> Response {
        let later = LaterAnswer()
        queue.async {
            Task.immediate {
                let response: Response
                do { response = try await work() } catch { response = HTTPError.response(for: error) }
                later.finish(with: response)
            }
        }
        return Response(status: 0, body: .later(later))
    }
}
