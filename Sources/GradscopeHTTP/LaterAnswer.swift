import Foundation
import Synchronization

/// An answer worked out off the I/O threads: parsing an upload, building a
/// job. The server parks the connection (libmicrohttpd's suspend), runs
/// `work` on `queue`, and wakes the connection when the answer is ready, so
/// a slow request never holds an I/O thread that other clients need.
public final class LaterAnswer: Sendable {
    private let queue: DispatchQueue
    private let work: @Sendable () throws -> Response
    private let answer = Mutex<Response?>(nil)

    public init(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> Response) {
        self.queue = queue
        self.work = work
    }

    /// Called by the server once the connection is parked: runs the work,
    /// then `wake` (which resumes the connection).
    func start(wake: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            let response: Response
            do { response = try work() } catch { response = HTTPError.response(for: error) }
            answer.withLock { $0 = response }
            wake()
        }
    }

    /// The answer, once the work is done.
    var response: Response? { answer.withLock { $0 } }
}

extension Response {
    /// An answer computed on `queue` while the connection waits (see `LaterAnswer`).
    public static func later(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> Response) -> Response {
        Response(status: 0, body: .later(LaterAnswer(on: queue, work)))
    }
}
