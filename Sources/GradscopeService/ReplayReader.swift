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
        guard let lastNewline = carry.lastIndex(of: UInt8(ascii: "\n")) else { return Data() }
        let complete = carry[carry.startIndex...lastNewline]
        var events = Data()
        for line in complete.split(separator: UInt8(ascii: "\n")) {
            let record = RecordLine(Substring(decoding: line, as: UTF8.self))
            guard record.type == "start" || (record.step.map { $0 > from } ?? true) else { continue }
            events.append(JobChannel.event(type: record.type, step: record.step, json: record.json))
        }
        carry = Data(carry[carry.index(after: lastNewline)...])
        return events
    }

    /// Everything left in the file: called when no more can be appended.
    func drain() -> Data {
        var all = Data()
        while let more = next() { all.append(more) }
        return all
    }
}
