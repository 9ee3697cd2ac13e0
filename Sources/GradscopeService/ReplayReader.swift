import Foundation
import GradscopeHTTP

/// Reads a job's record file from the start, a chunk at a time, turning the
/// records a subscriber asked for (the start record, then everything after
/// step `from`) into events. The stream pulls chunks as fast as its client
/// takes them, so a long history never sits in memory at once.
///
/// `@unchecked Sendable`: the stream calls its source from one connection's
/// reader at a time, and the final `drain` runs under the job channel's
/// lock; no two calls overlap.
final class ReplayReader: @unchecked Sendable {
    private let handle: FileHandle?
    private let from: Int
    private var carry = Data()
    static let chunk = 256 << 10

    init(url: URL, from: Int) {
        handle = try? FileHandle(forReadingFrom: url)
        self.from = from
    }

    deinit { try? handle?.close() }

    /// The events of the next complete lines, or nil at the end of the file.
    func next() -> Data? {
        guard let handle, let data = try? handle.read(upToCount: Self.chunk), !data.isEmpty else { return nil }
        carry.append(data)
        var events = Data()
        let consumed = carry.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            var start = 0
            // Line by line with memchr: a generic split over Data costs more than the rest of the replay.
            while start < bytes.count, let newline = memchr(base + start, 10, bytes.count - start) {
                let end = base.distance(to: UnsafeRawPointer(newline))
                let line = UnsafeRawBufferPointer(start: base + start, count: end - start)
                start = end + 1
                guard line.count > 0 else { continue }
                let (type, step) = RecordLine.scan(line)
                guard type == "start" || (step.map { $0 > from } ?? true) else { continue }
                RecordEvent.append(to: &events, type: type, step: step, json: line)
            }
            return start
        }
        carry = Data(carry[(carry.startIndex + consumed)...])
        return events
    }

    /// Everything left in the file: called when no more can be appended.
    func drain() -> Data {
        var all = Data()
        while let more = next() { all.append(more) }
        return all
    }
}
