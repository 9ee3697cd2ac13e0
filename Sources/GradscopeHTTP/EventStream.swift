import Foundation
import Synchronization

/// An open streaming response that other threads write to. The HTTP server
/// pulls bytes from it; when none are pending it parks the connection
/// (libmicrohttpd's suspend) and `send` wakes it, so an idle stream costs no
/// CPU. A stream is finished by `close()`, or by the client going away, which
/// the server notices on a failed write (heartbeats make sure one happens).
public final class EventStream: Sendable {
    struct State {
        var pending = Pending()
        var closed = false
        /// The server parked the connection waiting for bytes.
        var parked = false
        /// Called (once) when the server has released the stream.
        var onFinish: (@Sendable () -> Void)?
        var finished = false
        /// Set by the server: park and wake the connection (libmicrohttpd's
        /// suspend and resume). Both are called with the lock held, so a
        /// send can never fall between "nothing pending" and "parked".
        var suspend: (@Sendable () -> Void)?
        var resume: (@Sendable () -> Void)?
        /// Produces more bytes when the pending ones are written (a replay
        /// read from disk as fast as the client takes it); nil once done.
        var source: (@Sendable () -> Data?)?
        /// Closed for falling behind: the stream ends with an error, not a
        /// final chunk, so the client can tell.
        var overflowed = false
    }

    /// Streams that fall further behind than this are closed: a slow client
    /// must not make the server hold unbounded memory.
    public let maxPending: Int
    let state = Mutex(State())

    public init(maxPending: Int = 1 << 20) { self.maxPending = maxPending }

    /// Queues bytes for the client. Returns false when the stream is closed
    /// (or was just closed for falling too far behind).
    @discardableResult
    public func send(_ bytes: Data) -> Bool {
        state.withLock { s in
            guard !s.closed else { return false }
            if s.pending.count + bytes.count > maxPending {
                s.closed = true
                s.overflowed = true
                s.pending = Pending()
            } else {
                s.pending.append(bytes)
            }
            Self.wake(&s)
            return !s.closed
        }
    }

    private static func wake(_ s: inout State) {
        guard s.parked else { return }
        s.parked = false
        s.resume?()
    }

    public func send(_ text: String) { send(Data(text.utf8)) }

    /// Queues bytes that the server produced itself (a replay's tail), not
    /// subject to the slow-client limit.
    public func sendReplay(_ bytes: Data) {
        state.withLock { s in
            guard !s.closed else { return }
            s.pending.append(bytes)
            Self.wake(&s)
        }
    }

    /// Bytes to stream before any `send`: called whenever the pending bytes
    /// have been written, outside the stream's lock, until it returns nil.
    public func setSource(_ source: @escaping @Sendable () -> Data?) {
        state.withLock { s in
            s.source = source
            Self.wake(&s)
        }
    }

    /// Ends the stream once its pending bytes are written.
    public func close() {
        state.withLock { s in
            s.closed = true
            Self.wake(&s)
        }
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Bytes queued and not yet written to the client: a producer that
    /// pushes a long replay waits for this to fall before pushing more.
    public var pendingBytes: Int { state.withLock { $0.pending.count } }

    /// Registers what to do when the server lets go of the stream (the
    /// client left, or the stream ended).
    public func onFinish(_ action: @escaping @Sendable () -> Void) {
        let runNow: Bool = state.withLock { s in
            if s.finished { return true }
            s.onFinish = action
            return false
        }
        if runNow { action() }
    }

    /// Attaches the server's suspend and resume for this connection.
    func attach(suspend: @escaping @Sendable () -> Void, resume: @escaping @Sendable () -> Void) {
        state.withLock { s in
            s.suspend = suspend
            s.resume = resume
        }
    }

    /// Called by the server when the connection is gone. Drops the source
    /// too: a client that leaves in the middle of a replay must not keep the
    /// replay (an open record file) alive, and a source that refers to its
    /// own stream would otherwise hold both forever.
    func finished() {
        let action: (@Sendable () -> Void)? = state.withLock { s in
            s.closed = true
            s.finished = true
            s.suspend = nil
            s.resume = nil
            s.source = nil
            s.pending = Pending()
            defer { s.onFinish = nil }
            return s.onFinish
        }
        action?()
    }

    /// Whether the connection is parked (for an orderly shutdown).
    var isParked: Bool { state.withLock { $0.parked } }

    enum Read {
        case bytes(Int)
        case park
        case end
        case error
    }

    /// Copies up to `capacity` pending bytes into `buffer`; or parks the
    /// connection (under the lock `send` takes); or says the stream ended.
    func read(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Read {
        while true {
            enum Step { case done(Read), refill(@Sendable () -> Data?) }
            let step: Step = state.withLock { s in
                if !s.pending.isEmpty { return .done(.bytes(s.pending.take(into: buffer, capacity: capacity))) }
                if let source = s.source, !s.closed { return .refill(source) }
                if s.closed { return .done(s.overflowed ? .error : .end) }
                s.parked = true
                s.suspend?()
                return .done(.park)
            }
            switch step {
            case .done(let read): return read
            case .refill(let source):
                let more = source()
                state.withLock { s in
                    if let more { s.pending.append(more) } else { s.source = nil }
                }
            }
        }
    }
}

/// Bytes waiting to be written, as the chunks they were sent in: what has
/// been written is released chunk by chunk. (A single `Data` with
/// `removeFirst` keeps its whole buffer, which grew with everything ever sent.)
struct Pending {
    private var chunks: [Data] = []
    private var offset = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ data: Data) {
        guard !data.isEmpty else { return }
        chunks.append(data)
        count += data.count
    }

    /// Copies up to `capacity` bytes into `buffer`; returns how many.
    mutating func take(into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        var written = 0
        while written < capacity, let first = chunks.first {
            let n = min(capacity - written, first.count - offset)
            first.withUnsafeBytes { buffer.advanced(by: written).copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            written += n
            offset += n
            if offset == first.count {
                chunks.removeFirst()
                offset = 0
            }
        }
        count -= written
        return written
    }
}
