import Foundation
import GradscopeHTTP
import GradscopeService
import PostgresNIO
import Synchronization

/// The live-event bus of one replica: its one LISTEN connection, and the
/// event streams it serves. A flush anywhere sends one NOTIFY naming the
/// runs it changed; for each such run that has viewers here, the replica
/// fetches the new rows once (not once per viewer) and pushes them to every
/// viewer's stream. A poll every second covers a notification missed while
/// the LISTEN connection was being re-established.
///
/// Every stored record carries its run's sequence number. A new viewer is
/// replayed what is stored, then joins the live fetches knowing the last
/// sequence it was sent, and each fetch sends a viewer only the rows after
/// its own: no gap and no duplicate, whichever comes first.
final class LiveFeed: Sendable {
    static let channel = "gradscope_records"

    private final class Viewer: Sendable {
        let stream: EventStream
        let from: Int
        let sent: Mutex<Int64>
        init(stream: EventStream, from: Int, sent: Int64) {
            self.stream = stream
            self.from = from
            self.sent = Mutex(sent)
        }
    }

    private struct Watched {
        var number: Int64
        var viewers: [Viewer] = []
        var status: String
        /// A fetch is running; `again` asks it to fetch once more when done.
        var fetching = false
        var again = false
    }

    let db: Database
    private let watched = Mutex<[String: Watched]>([:])
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(db: Database) { self.db = db }

    /// The LISTEN and the poll start with the first viewer: a process that
    /// serves no stream (a worker) holds no connection for them.
    private func start() {
        tasks.withLock { tasks in
            guard tasks.isEmpty else { return }
            let listen = Task { [self] in await listenLoop() }
            let poll = Task { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    for id in watched.withLock({ Array($0.keys) }) { fetch(id) }
                }
            }
            tasks = [listen, poll]
        }
    }

    func stop() {
        for task in tasks.withLock({ $0 }) { task.cancel() }
        let all = watched.withLock { w in
            defer { w.removeAll() }
            return w.values.flatMap(\.viewers)
        }
        for viewer in all { viewer.stream.close() }
    }

    /// The NOTIFY payload: the ids of the runs that changed, or "" (every
    /// watched run) when they would not fit PostgreSQL's 8,000 bytes.
    static func payload(_ ids: [String]) -> String {
        let text = ids.joined(separator: ",")
        return text.utf8.count < 7_900 ? text : ""
    }

    private func listenLoop() async {
        while !Task.isCancelled {
            do {
                try await db.withConnection { conn in
                    try await conn.listen(on: Self.channel) { notifications in
                        for try await note in notifications {
                            if note.payload.isEmpty {
                                for id in watched.withLock({ Array($0.keys) }) { fetch(id) }
                            } else {
                                for id in note.payload.split(separator: ",") { fetch(String(id)) }
                            }
                        }
                    }
                }
            } catch {
                // The poll covers the gap; try again shortly.
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Streams run `id` (number `number`) to `stream`: replayed from the
    /// store in pages, at the pace the client reads, then live.
    func subscribe(_ id: String, number: Int64, from: Int, stream: EventStream) {
        start()
        Task { [self] in
            var sent: Int64 = 0
            do {
                while !stream.isClosed {
                    let rows = try await db.rows("""
                        SELECT seq, type, step, body FROM records WHERE job = \(number) AND seq > \(sent)
                        AND (type = 'start' OR step IS NULL OR step > \(from)) ORDER BY seq LIMIT 1000
                        """, as: (Int64, String, Int?, String).self)
                    guard let last = rows.last else { break }
                    stream.sendReplay(Self.events(rows))
                    sent = last.0
                    if rows.count < 1000 { break }
                    // A long history is pushed no faster than the client reads it.
                    while stream.pendingBytes > 1 << 20, !stream.isClosed { try await Task.sleep(for: .milliseconds(20)) }
                }
                // Live records are sent under the slow-client limit: join once
                // the client has read most of its replay.
                while stream.pendingBytes > 256 << 10, !stream.isClosed { try await Task.sleep(for: .milliseconds(20)) }
                let status = try await db.rows("SELECT status FROM jobs WHERE number = \(number)", as: (String).self).first ?? "unknown"
                let viewer = Viewer(stream: stream, from: from, sent: sent)
                watched.withLock { w in
                    w[id, default: Watched(number: number, status: status)].viewers.append(viewer)
                }
                stream.onFinish { [weak self] in self?.remove(viewer, from: id) }
                // Whatever was stored between the replay and joining, and the
                // final status of a run that has already ended.
                fetch(id)
            } catch {
                stream.close()
            }
        }
    }

    private func remove(_ viewer: Viewer, from id: String) {
        watched.withLock { w in
            w[id]?.viewers.removeAll { $0 === viewer }
            if w[id]?.viewers.isEmpty == true, w[id]?.fetching == false { w[id] = nil }
        }
    }

    /// Fetches run `id`'s new rows once for all its viewers here (one fetch
    /// at a time per run; a request during one makes it fetch again).
    func fetch(_ id: String) {
        let start: (number: Int64, from: Int64)? = watched.withLock { w in
            guard var entry = w[id] else { return nil }
            if entry.fetching { entry.again = true; w[id] = entry; return nil }
            entry.fetching = true
            entry.again = false
            w[id] = entry
            return (entry.number, entry.viewers.map { $0.sent.withLock { $0 } }.min() ?? Int64.max)
        }
        guard let start else { return }
        Task { [self] in
            var after = start.from
            while true {
                do {
                    // The status first: records written with a final status
                    // commit with it, so they are in the rows read next.
                    let status = try await db.rows("SELECT status FROM jobs WHERE number = \(start.number)", as: (String).self).first
                    let rows = try await db.rows("""
                        SELECT seq, type, step, body FROM records WHERE job = \(start.number) AND seq > \(after) ORDER BY seq LIMIT 5000
                        """, as: (Int64, String, Int?, String).self)
                    deliver(id, rows: rows, after: after, status: status ?? "deleted", complete: rows.count < 5000)
                    if rows.count == 5000 { after = rows.last!.0; continue }
                } catch {
                    // The next notification or poll tries again.
                }
                let next: Int64? = watched.withLock { w in
                    guard var entry = w[id] else { return nil }
                    if entry.again, !entry.viewers.isEmpty {
                        entry.again = false
                        w[id] = entry
                        return entry.viewers.map { $0.sent.withLock { $0 } }.min() ?? Int64.max
                    }
                    entry.fetching = false
                    w[id] = entry.viewers.isEmpty ? nil : entry
                    return nil
                }
                guard let next else { return }
                after = next
            }
        }
    }

    /// Sends each viewer the rows after its own last one; on a status
    /// change, a status event; once the run has ended (and these rows were
    /// the last), the final status, and the streams close. A viewer that
    /// joined behind `after` (its replay ended before rows this fetch
    /// skipped) is left for the next fetch, which starts from it.
    private func deliver(_ id: String, rows: [(Int64, String, Int?, String)], after: Int64, status: String, complete: Bool) {
        let finished = complete && !["queued", "running"].contains(status)
        let (ready, changed) = watched.withLock { w -> ([Viewer], Bool) in
            guard var entry = w[id] else { return ([], false) }
            let changed = entry.status != status
            entry.status = status
            let ready = entry.viewers.filter { $0.sent.withLock { $0 } >= after }
            if ready.count < entry.viewers.count { entry.again = true }
            if finished { entry.viewers.removeAll { viewer in ready.contains { $0 === viewer } } }
            w[id] = entry
            return (ready, changed)
        }
        for viewer in ready {
            viewer.sent.withLock { sent in
                let fresh = rows.filter { $0.0 > sent && ($0.1 == "start" || $0.2.map { $0 > viewer.from } ?? true) }
                if !fresh.isEmpty, !viewer.stream.send(Self.events(fresh)) { return }
                if let last = rows.last?.0 { sent = max(sent, last) }
                // The status is the server's own word, not held to the slow-client limit.
                if changed || finished { viewer.stream.sendReplay(RecordEvent.status(status)) }
                if finished { viewer.stream.close() }
            }
        }
    }

    /// A ping to every viewer (every 15 s), so dead clients are noticed.
    func ping() {
        for viewer in watched.withLock({ $0.values.flatMap(\.viewers) }) { viewer.stream.send(ServerSentEvent.ping) }
    }

    var viewerCount: Int { watched.withLock { $0.values.reduce(0) { $0 + $1.viewers.count } } }

    static func events(_ rows: [(Int64, String, Int?, String)]) -> Data {
        var out = Data()
        for (_, type, step, body) in rows {
            var body = body
            body.withUTF8 { RecordEvent.append(to: &out, type: type, step: step, json: UnsafeRawBufferPointer($0)) }
        }
        return out
    }
}
