internal import CMicroHTTPD
import Foundation
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd. The only file that speaks C.
///
/// Threading mode: libmicrohttpd's internal poll loop with a pool of
/// `threads` workers (one per core by default) and suspend/resume, so an
/// open SSE stream that waits for data costs neither a thread nor CPU, where
/// thread-per-connection would need a thread per stream (docs/http-server.md,
/// "Daemon mode and flags" and "Thread model"). Handlers therefore run on
/// the I/O threads and must not block: long work goes to Dispatch queues,
/// and streams are written to from any thread.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String = "127.0.0.1"
        /// 0 picks a free port (see `port` after `start`).
        public var port: UInt16 = 8080
        public var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
        public var connectionLimit: Int = 1000
        /// Idle connections are closed after this many seconds (not streams
        /// that are being written to).
        public var timeoutSeconds: Int = 60
        /// A request's headers must arrive within this many seconds of the
        /// connection's start (or of its previous request's end), and its
        /// body within `bodySeconds` after them (see `ConnectionDeadlines`).
        public var headerSeconds: Double = 10
        public var bodySeconds: Double = 60
        /// Request bodies above this get 413; per-route limits come from `maxBody`.
        public var maxBody: Int = 16 << 20
        public init() {}
    }

    public enum StartError: Error, CustomStringConvertible {
        case badHost(String), cannotListen(String, UInt16)
        public var description: String {
            switch self {
            case .badHost(let h): "\(h) is not an IPv4 address (use 127.0.0.1 or 0.0.0.0)"
            case .cannotListen(let h, let p): "cannot listen on \(h):\(p) (in use, or not permitted)"
            }
        }
    }

    public let configuration: Configuration
    private let router: Router
    /// The largest body a request may send, by method and path (defaults to
    /// the configuration's).
    private let bodyLimit: @Sendable (String, String) -> Int
    /// Called when a request has been answered: method, path, status,
    /// seconds, and whether it was a stream (whose lifetime is no response time).
    public let onCompleted: (@Sendable (String, String, Int, Double, Bool) -> Void)?

    /// The daemon and its deadline timer while the server runs, set by
    /// `start` and taken by `stop`, under a lock: either may be called from
    /// any thread.
    private struct Running: @unchecked Sendable {  // a C handle and a timer, both safe to use from any thread
        let daemon: OpaquePointer
        let enforcer: DispatchSourceTimer
        let port: UInt16
    }
    private let running = Mutex<Running?>(nil)
    private let streams = Mutex<[ObjectIdentifier: EventStream]>([:])
    /// Answers being worked out while their connection is parked (`LaterAnswer`).
    private let parked = Mutex<[ObjectIdentifier: LaterAnswer]>([:])
    /// Set by `stop`: requests that arrive meanwhile get 503.
    private let stopping = Mutex(false)
    let deadlines: ConnectionDeadlines
    /// The port listened on once started (the one picked when 0 was asked), else 0.
    public var port: UInt16 { running.withLock { $0?.port ?? 0 } }

    public init(configuration: Configuration, router: Router,
                bodyLimit: (@Sendable (String, String) -> Int)? = nil,
                onCompleted: (@Sendable (String, String, Int, Double, Bool) -> Void)? = nil) {
        self.configuration = configuration
        self.router = router
        let maxBody = configuration.maxBody
        self.bodyLimit = bodyLimit ?? { _, _ in maxBody }
        self.onCompleted = onCompleted
        deadlines = ConnectionDeadlines(headerSeconds: configuration.headerSeconds, bodySeconds: configuration.bodySeconds,
                                        connectionLimit: configuration.connectionLimit, workers: configuration.threads)
    }

    public func start() throws {
        guard running.withLock({ $0 == nil }) else { return }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = configuration.port.bigEndian
        guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
            throw StartError.badHost(configuration.host)
        }
        // poll, not epoll: libmicrohttpd 0.9.75 registers epoll sockets
        // edge-triggered and stops reading after a short read, so a client's
        // end of stream that arrives with its last bytes is never read and
        // the connection waits out the idle timeout (docs/http-server.md,
        // "Daemon mode and flags"). poll is level-triggered.
        let flags = UInt32(MHD_USE_POLL_INTERNAL_THREAD.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ITC.rawValue)
        let context = Unmanaged.passRetained(self).toOpaque()
        let daemon = withUnsafePointer(to: &address) { addr in
            gradscope_mhd_start(flags, addr, accessHandler, context, completedHandler, context, connectionHandler, context,
                                UInt32(configuration.connectionLimit), UInt32(configuration.timeoutSeconds),
                                UInt32(configuration.threads))
        }
        guard let daemon else {
            Unmanaged<HTTPServer>.fromOpaque(context).release()
            throw StartError.cannotListen(configuration.host, configuration.port)
        }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "gradscope.http.deadlines"))
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5, leeway: .milliseconds(100))
        timer.setEventHandler { [deadlines] in deadlines.enforce() }
        timer.resume()
        running.withLock { $0 = Running(daemon: daemon, enforcer: timer, port: gradscope_mhd_port(daemon)) }
    }

    /// Stops in the order that libmicrohttpd needs (docs/http-server.md,
    /// "Stopping"): stop accepting, end every stream and wait (at most
    /// `grace` seconds) until each has been released, then stop the daemon.
    public func stop(grace: Double = 2) {
        // Taken, so that of two callers only one stops the daemon.
        guard let taken = running.withLock({ r -> Running? in defer { r = nil }; return r }) else { return }
        let daemon = taken.daemon
        taken.enforcer.cancel()
        // The listening socket is ours once quiesced: closed after the daemon stops.
        let listening = MHD_quiesce_daemon(daemon)
        stopping.withLock { $0 = true }
        for stream in streams.withLock({ Array($0.values) }) { stream.close() }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline && !(streams.withLock({ $0.isEmpty }) && parked.withLock({ $0.isEmpty })) { usleep(10_000) }
        // A connection still suspended here would make MHD_stop_daemon abort:
        // wake every stream, answer every parked request with 503, and wait
        // for them to be woken.
        for stream in streams.withLock({ Array($0.values) }) { stream.close() }
        for later in parked.withLock({ Array($0.values) }) { later.finish(with: Self.stoppingResponse) }
        while !parked.withLock({ $0.isEmpty }) { usleep(1_000) }
        MHD_stop_daemon(daemon)
        if listening >= 0 { close(listening) }
        Unmanaged.passUnretained(self).release()
    }

    public var openStreams: Int { streams.withLock { $0.count } }
    /// Open connections, streams included.
    public var openConnections: Int { deadlines.count }

    // MARK: Requests

    /// Per-connection state between libmicrohttpd's calls for one request.
    final class Exchange {
        var body = Data()
        var tooLarge = false
        var limit = 0
        /// Body bytes received, kept or not.
        var received = 0
        var status = 0
        var streaming = false
        /// An answer being worked out on another queue while the connection is parked.
        var later: LaterAnswer?
        /// The request as its headers gave it; the body is added at the end.
        var head: Request?
        /// Refused from its headers while its body was already on the way:
        /// sent once the body has been read (and dropped).
        var refusal: Response?
        let method: String, path: String
        let started = DispatchTime.now().uptimeNanoseconds
        init(method: String, path: String) {
            self.method = method
            self.path = path
        }
    }

    fileprivate func handle(
        _ connection: OpaquePointer, url: String, method: String, version: String, upload: UnsafePointer<CChar>?,
        uploadSize: UnsafeMutablePointer<Int>, slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let raw = slot.pointee else {
            // First call: headers only. What the headers alone decide (their
            // shape, the declared size, the route's token) is decided now,
            // before any body is kept. Returning with no response lets MHD
            // answer "Expect: 100-continue" (docs/http-server.md, "Requests
            // and bodies").
            let exchange = Exchange(method: method, path: url)
            exchange.limit = bodyLimit(method, url)
            slot.pointee = Unmanaged.passRetained(exchange).toOpaque()
            let fd = gradscope_mhd_fd(connection)
            let headers = Self.headerList(connection)
            // A body's deadline starts now (a request without one is answered at once).
            if headers.contains(where: { $0.0 == "content-length" || $0.0 == "transfer-encoding" }) { deadlines.headersReceived(fd) }
            let head = Request(method: method, path: url, query: Self.values(connection, MHD_ValueKind.GET_ARGUMENT_KIND, lowercase: false),
                               headers: Self.firstValues(headers))
            exchange.head = head
            let problem = HeaderCheck.problem(headers, version: version, limit: exchange.limit)
            guard let refusal = problem?.response ?? router.check(head) ?? (stopping.withLock { $0 } ? Self.stoppingResponse : nil) else {
                return MHD_Result.YES
            }
            // Answered at once when the framing is broken, when the client
            // waits for "100 Continue", or when there is no body. A client
            // already sending its body would instead see the connection
            // reset under its feet (MHD closes without reading the rest), so
            // its body is read and dropped, unkept, and the refusal sent then.
            let hasBody = headers.contains { $0.0 == "content-length" && $0.1 != "0" || $0.0 == "transfer-encoding" }
            if problem != nil || !hasBody || head.header("expect")?.lowercased() == "100-continue" {
                exchange.status = refusal.status
                deadlines.answering(fd)
                return queue(router.decorate(refusal), on: connection)
            }
            exchange.refusal = refusal
            return MHD_Result.YES
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(raw).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            // No response may be queued while a body is arriving: take the
            // slice, or drop it (a refused request, a body too large). A body
            // without a declared size (chunked) that goes on far past the
            // limit is cut off.
            exchange.received += uploadSize.pointee
            if exchange.received > exchange.limit + max(exchange.limit, 1 << 20) { return MHD_Result.NO }
            if exchange.refusal != nil {
                // Dropped: the request is refused whatever its body says.
            } else if exchange.received > exchange.limit {
                exchange.tooLarge = true
                exchange.body = Data()
            } else if let upload {
                exchange.body.append(UnsafeRawPointer(upload).assumingMemoryBound(to: UInt8.self), count: uploadSize.pointee)
            }
            uploadSize.pointee = 0
            return MHD_Result.YES
        }
        deadlines.answering(gradscope_mhd_fd(connection))
        let response: Response
        if let later = exchange.later {
            // Woken: the answer is ready. It may be an event stream, or
            // another later answer (an async handler that hands slow work on).
            guard let answer = later.response else { return MHD_Result.YES }
            exchange.later = nil
            // A later answer is decorated when it is ready.
            if case .later = answer.body { response = answer } else { response = router.decorate(answer) }
        } else if let refusal = exchange.refusal {
            response = router.decorate(refusal)
        } else if exchange.tooLarge {
            response = router.decorate(HTTPError(413, "payload_too_large", "the request body is larger than \(exchange.limit) bytes").response)
        } else {
            var request = exchange.head ?? Request(method: method, path: url)
            request.body = exchange.body
            response = router.respond(to: request)
        }
        if case .later(let later) = response.body {
            exchange.later = later
            park(connection, until: later)
            return MHD_Result.YES
        }
        exchange.status = response.status
        if case .stream = response.body { exchange.streaming = true }
        return queue(response, on: connection)
    }

    /// Parks the connection while `later` works; its end wakes it, and
    /// libmicrohttpd calls the handler again to queue the answer. `stop`
    /// answers what is still parked when its grace runs out (libmicrohttpd
    /// aborts the process when stopped with a connection suspended).
    private func park(_ connection: OpaquePointer, until later: LaterAnswer) {
        let handle = ConnectionHandle(pointer: connection)
        let key = ObjectIdentifier(later)
        parked.withLock { $0[key] = later }
        MHD_suspend_connection(connection)
        later.start { [self] in
            MHD_resume_connection(handle.pointer)
            _ = parked.withLock { $0.removeValue(forKey: key) }
        }
    }

    static let stoppingResponse = HTTPError(503, "stopping", "the server is stopping", headers: [("Connection", "close")]).response

    private func queue(_ response: Response, on connection: OpaquePointer) -> MHD_Result {
        let mhdResponse: OpaquePointer?
        switch response.body {
        case .data(let data):
            mhdResponse = data.withUnsafeBytes { bytes in
                MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                                MHD_ResponseMemoryMode.RESPMEM_MUST_COPY)
            }
        case .shared(let shared):
            // Built once, queued on every connection: libmicrohttpd counts its references.
            let handle = shared.built.withLock { built -> ResponseHandle? in
                if built == nil, let r = Self.makeResponse(shared.data, headers: response.headers) { built = ResponseHandle(pointer: r) }
                return built
            }
            guard let handle else { return MHD_Result.NO }
            return MHD_queue_response(connection, UInt32(response.status), handle.pointer)
        case .later:
            // Parked in `handle`, never queued as such.
            return MHD_Result.NO
        case .stream(let stream):
            let context = StreamContext(stream: stream, connection: connection)
            let key = ObjectIdentifier(stream)
            streams.withLock { $0[key] = stream }
            stream.attach(
                suspend: { [connection = context.connection] in MHD_suspend_connection(connection.pointer) },
                resume: { [connection = context.connection] in MHD_resume_connection(connection.pointer) })
            stream.onFinish { [weak self] in self?.streams.withLock { _ = $0.removeValue(forKey: key) } }
            mhdResponse = MHD_create_response_from_callback(
                gradscope_mhd_size_unknown(), 16 * 1024, streamReader, Unmanaged.passRetained(context).toOpaque(),
                streamReleased)
        }
        guard let mhdResponse else { return MHD_Result.NO }
        defer { MHD_destroy_response(mhdResponse) }
        // A response that lacks a header (its security headers included) is not sent: the connection closes.
        do { try Self.addHeaders(Self.securityHeaders + response.headers, to: mhdResponse) } catch { return MHD_Result.NO }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    /// libmicrohttpd's MHD_NO, as a Swift error naming the call that gave it.
    struct CallFailed: Error { let call: String }

    /// A libmicrohttpd call that answers MHD_YES or MHD_NO, checked in one
    /// place (as swift-nio's `syscall` checks system calls).
    static func check(_ call: String, _ result: MHD_Result) throws(CallFailed) {
        guard result == MHD_Result.YES else { throw CallFailed(call: call) }
    }

    private static func addHeaders(_ headers: [(String, String)], to response: OpaquePointer) throws(CallFailed) {
        for (name, value) in headers { try check("MHD_add_response_header(\(name))", MHD_add_response_header(response, name, value)) }
    }

    private static func makeResponse(_ data: Data, headers: [(String, String)]) -> OpaquePointer? {
        let r = data.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                            MHD_ResponseMemoryMode.RESPMEM_MUST_COPY)
        }
        guard let r else { return nil }
        do { try addHeaders(securityHeaders + headers, to: r) } catch {
            MHD_destroy_response(r)
            return nil
        }
        return r
    }

    /// On every response: no content sniffing, no framing by other sites,
    /// and pages that load only their own scripts, styles and data.
    static let securityHeaders = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    ]

    /// Header or query values in arrival order, duplicates included,
    /// collected through libmicrohttpd's iterator.
    private static func pairs(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercase: Bool) -> [(String, String)] {
        final class Box { var pairs: [(String, String)] = []; var lowercase = false }
        let box = Box()
        box.lowercase = lowercase
        _ = MHD_get_connection_values(connection, kind, { cls, _, key, value in
            guard let cls, let key else { return MHD_Result.YES }
            let box = Unmanaged<Box>.fromOpaque(cls).takeUnretainedValue()
            let name = String(cString: key)
            box.pairs.append((box.lowercase ? name.lowercased() : name, value.map { String(cString: $0) } ?? ""))
            return MHD_Result.YES
        }, Unmanaged.passUnretained(box).toOpaque())
        return box.pairs
    }

    /// The request headers, names lowercased.
    private static func headerList(_ connection: OpaquePointer) -> [(String, String)] {
        pairs(connection, MHD_ValueKind.HEADER_KIND, lowercase: true)
    }

    /// The first value of each name, as libmicrohttpd itself reads them
    /// (a repeated header that matters is refused by `HeaderCheck`).
    private static func firstValues(_ pairs: [(String, String)]) -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in pairs where values[name] == nil { values[name] = value }
        return values
    }

    private static func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercase: Bool) -> [String: String] {
        firstValues(pairs(connection, kind, lowercase: lowercase))
    }

    fileprivate func connection(_ connection: OpaquePointer, opened: Bool) {
        let fd = gradscope_mhd_fd(connection)
        if opened { deadlines.opened(fd) } else { deadlines.closed(fd) }
    }

    fileprivate func completed(_ exchange: Exchange, on connection: OpaquePointer?) {
        if let connection { deadlines.requestDone(gradscope_mhd_fd(connection)) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - exchange.started) / 1e9
        onCompleted?(exchange.method, exchange.path, exchange.status, seconds, exchange.streaming)
        // glibc keeps freed memory for reuse once a large block has been
        // freed (its mmap threshold rises to 32 MiB), so a few 16 MiB bodies
        // would leave the process tens of MB larger for good: give it back.
        // The body is let go first: trimming while it is still held would
        // leave the last of several large uploads in the heap.
        if exchange.received >= 1 << 20 {
            exchange.body = Data()
            gradscope_trim_heap()
        }
    }
}

/// A connection pointer that may be used from the publishing thread; the
/// EventStream's lock serialises every use.
struct ConnectionHandle: @unchecked Sendable { let pointer: OpaquePointer }

/// A libmicrohttpd response kept for reuse; destroying it drops our
/// reference (connections still sending it hold theirs).
struct ResponseHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    func destroy() { MHD_destroy_response(pointer) }
}

/// What the stream callbacks get back as their context.
final class StreamContext {
    let stream: EventStream
    let connection: ConnectionHandle
    init(stream: EventStream, connection: OpaquePointer) {
        self.stream = stream
        self.connection = ConnectionHandle(pointer: connection)
    }
}

// MARK: C callbacks: capture-free, finding their Swift objects through the context pointer.

private let accessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, version, upload, uploadSize, slot in
    guard let cls, let connection, let url, let method, let uploadSize, let slot else { return MHD_Result.NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    return server.handle(connection, url: String(cString: url), method: String(cString: method),
                         version: version.map { String(cString: $0) } ?? "", upload: upload, uploadSize: uploadSize, slot: slot)
}

private let completedHandler: MHD_RequestCompletedCallback = { cls, connection, slot, _ in
    guard let cls, let slot, let raw = slot.pointee else { return }
    let exchange = Unmanaged<HTTPServer.Exchange>.fromOpaque(raw).takeRetainedValue()
    slot.pointee = nil
    Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().completed(exchange, on: connection)
}

private let connectionHandler: MHD_NotifyConnectionCallback = { cls, connection, _, event in
    guard let cls, let connection else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    switch event {
    case .CONNECTION_NOTIFY_STARTED: server.connection(connection, opened: true)
    case .CONNECTION_NOTIFY_CLOSED: server.connection(connection, opened: false)
    default: break
    }
}

private let streamReader: MHD_ContentReaderCallback = { cls, _, buffer, capacity in
    guard let cls, let buffer else { return gradscope_mhd_end_of_stream() }
    let context = Unmanaged<StreamContext>.fromOpaque(cls).takeUnretainedValue()
    switch context.stream.read(into: buffer, capacity: capacity) {
    case .bytes(let n): return n
    case .park: return 0  // suspended under the stream's lock; `send` resumes it
    case .end: return gradscope_mhd_end_of_stream()
    case .error: return gradscope_mhd_end_with_error()
    }
}

private let streamReleased: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    let context = Unmanaged<StreamContext>.fromOpaque(cls).takeRetainedValue()
    context.stream.finished()
}
