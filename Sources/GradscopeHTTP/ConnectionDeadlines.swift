import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Deadlines for the parts of a request that libmicrohttpd leaves unbounded.
/// Its idle timeout restarts with every byte received, so a client that
/// sends one header byte a second (slowloris) or trickles its body holds a
/// connection for hours, and a thousand of them hold every slot.
///
/// So each connection gets:
/// - `headerSeconds` to send its headers, counted from its start or from the
///   end of its previous request (which also bounds an idle keep-alive);
/// - `bodySeconds` from then on to send its body;
/// - no deadline while it is being answered: a stream lives as long as its
///   job, and an answer being written is bounded by the idle timeout.
/// Past its deadline a connection's socket is shut down. And when a worker's
/// connections reach nine tenths of its share of the limit, a new connection
/// sheds the oldest one on that worker still waiting for its headers, so slow
/// clients cannot keep a quick one out.
///
/// Only `shutdown(2)` is called from here, never `close`, and only under
/// this lock: libmicrohttpd then sees the socket end and releases the
/// connection on its own thread. It reports a connection closed (which
/// removes it here, under the same lock) before it closes the socket, so a
/// socket number is never shut down after it has been reused.
final class ConnectionDeadlines: Sendable {
    enum Phase { case headers, body, answering }

    struct Entry {
        var phase: Phase
        /// When the phase began (for choosing the oldest to shed).
        var since: UInt64
        /// 0: none.
        var deadline: UInt64
        /// The worker that owns the connection (libmicrohttpd calls back on it).
        let worker: pthread_t
        var shut = false
    }

    struct State {
        var entries: [Int32: Entry] = [:]
        /// Open connections per worker.
        var counts: [pthread_t: Int] = [:]
    }

    let headerNanoseconds: UInt64
    let bodyNanoseconds: UInt64
    /// Connections per worker at which new ones shed old ones.
    let shedAt: Int
    private let state = Mutex(State())

    init(headerSeconds: Double, bodySeconds: Double, connectionLimit: Int, workers: Int) {
        headerNanoseconds = UInt64(headerSeconds * 1e9)
        bodyNanoseconds = UInt64(bodySeconds * 1e9)
        shedAt = max(1, connectionLimit / max(1, workers) * 9 / 10)
    }

    private static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// A new connection, on the worker that owns it.
    func opened(_ fd: Int32) {
        let now = Self.now, worker = pthread_self()
        state.withLock { s in
            s.entries[fd] = Entry(phase: .headers, since: now, deadline: now + headerNanoseconds, worker: worker)
            s.counts[worker, default: 0] += 1
            guard s.counts[worker, default: 0] >= shedAt else { return }
            let oldest = s.entries.filter {
                $0.key != fd && $0.value.worker == worker && $0.value.phase == .headers && !$0.value.shut
            }.min { $0.value.since < $1.value.since }
            if let oldest { Self.shut(oldest.key, in: &s) }
        }
    }

    func closed(_ fd: Int32) {
        state.withLock { s in
            guard let entry = s.entries.removeValue(forKey: fd) else { return }
            s.counts[entry.worker, default: 1] -= 1
        }
    }

    /// The headers are in: the body's deadline starts.
    func headersReceived(_ fd: Int32) { set(fd, .body, in: bodyNanoseconds) }

    /// The answer is queued: no deadline.
    func answering(_ fd: Int32) { set(fd, .answering, in: nil) }

    /// The request is done; a kept-alive connection waits for the next one.
    func requestDone(_ fd: Int32) { set(fd, .headers, in: headerNanoseconds) }

    private func set(_ fd: Int32, _ phase: Phase, in nanoseconds: UInt64?) {
        let now = Self.now
        state.withLock { s in
            guard s.entries[fd] != nil else { return }
            s.entries[fd]?.phase = phase
            s.entries[fd]?.since = now
            s.entries[fd]?.deadline = nanoseconds.map { now + $0 } ?? 0
        }
    }

    /// Shuts down every connection past its deadline; returns how many.
    @discardableResult
    func enforce() -> Int {
        let now = Self.now
        return state.withLock { s in
            let late = s.entries.filter { !$0.value.shut && $0.value.deadline != 0 && $0.value.deadline < now }.map(\.key)
            for fd in late { Self.shut(fd, in: &s) }
            return late.count
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    private static func shut(_ fd: Int32, in s: inout State) {
        s.entries[fd]?.shut = true
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
