import Foundation
import GradscopeDiagnosis
import GradscopeEngine
import GradscopeHTTP
import GradscopeRun
import GradscopeSpec
import Synchronization

/// One running job's output: the record file and the streams that follow
/// it. Appending and subscribing take the same lock, so a new subscriber's
/// replay and the live records meet without a gap or a duplicate.
final class JobChannel: Sendable {
    struct State {
        var file: FileHandle?
        var subscribers: [EventStream] = []
        var finished = false
        var finalStatus = ""
    }

    enum Message {
        case status(String)
    }

    private let state = Mutex(State())

    func open(_ file: FileHandle) { state.withLock { $0.file = file } }

    /// Writes `lines` to the record file (one write) and sends them to every
    /// subscriber, each event encoded once.
    func append(_ lines: [JobRun.Line]) throws {
        // Both byte buffers are built outside the lock, each line's bytes
        // copied once (appending a String's UTF8View goes byte by byte).
        var text = Data(), events = Data()
        text.reserveCapacity(lines.reduce(0) { $0 + $1.json.utf8.count + 1 })
        for line in lines {
            var json = line.json
            json.withUTF8 { bytes in
                text.append(bytes)
                RecordEvent.append(to: &events, type: line.type, step: line.step, json: UnsafeRawBufferPointer(bytes))
            }
            text.append(10)
        }
        try state.withLock { s in
            try s.file?.write(contentsOf: text)
            s.subscribers.removeAll { !$0.send(events) }
        }
    }

    func publish(_ messages: [Message]) {
        state.withLock { s in
            for case .status(let status) in messages {
                let event = RecordEvent.status(status)
                s.subscribers.removeAll { !$0.send(event) }
            }
        }
    }

    /// Hands `stream` over from its replay to the live records: what the
    /// replay has not read yet is sent first, under the lock appends take.
    func attach(_ stream: EventStream, rest: () -> Data) {
        state.withLock { s in
            stream.sendReplay(rest())
            if s.finished {
                stream.sendReplay(RecordEvent.status(s.finalStatus))
                stream.close()
            } else {
                s.subscribers.append(stream)
            }
        }
    }

    func finish(status: String) {
        state.withLock { s in
            try? s.file?.close()
            s.file = nil
            s.finished = true
            s.finalStatus = status
            let event = RecordEvent.status(status)
            for stream in s.subscribers {
                stream.send(event)
                stream.close()
            }
            s.subscribers.removeAll()
        }
    }

    func ping() {
        state.withLock { s in s.subscribers.removeAll { !$0.send(ServerSentEvent.ping) } }
    }
}
