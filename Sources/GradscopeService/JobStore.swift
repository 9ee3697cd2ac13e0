import Foundation
import GradscopeSpec

/// A job's lifecycle as stored in `meta.json`.
public struct JobMeta: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case queued, running, completed, failed, cancelled, interrupted
        public var isFinished: Bool { ![.queued, .running].contains(self) }
    }

    public var id: String
    public var name: String?
    public var status: Status
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var step: Int
    public var totalSteps: Int
    public var verdict: String?
    public var error: String?
    /// `external` for a run posted by a client (`POST /api/runs`); nil for
    /// the engine's jobs.
    public var source: String?

    public static let external = "external"
    public var isExternal: Bool { source == Self.external }

    public init(id: String, name: String? = nil, status: Status, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil,
                step: Int, totalSteps: Int, verdict: String? = nil, error: String? = nil, source: String? = nil) {
        self.id = id
        self.name = name
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.step = step
        self.totalSteps = totalSteps
        self.verdict = verdict
        self.error = error
        self.source = source
    }
}

/// Everything the service keeps on disk, under one data directory:
///
///     jobs/<id>/spec.json        the spec as submitted
///     jobs/<id>/meta.json        status and progress (replaced atomically)
///     jobs/<id>/records.ndjson   every record, appended as produced
///     jobs/<id>/checkpoint.json  the final weights
///     datasets/<id>.csv, datasets/<id>.json   uploads and their description
///
/// Records are written with one `write` per step's lines, so a `kill -9`
/// loses nothing already written; a torn last line is skipped on reading.
public struct JobStore: Sendable {
    public let root: URL

    public init(root: URL) throws {
        self.root = root
        for dir in ["jobs", "datasets"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    func jobDirectory(_ id: String) -> URL { root.appendingPathComponent("jobs/\(id)") }
    func recordsURL(_ id: String) -> URL { jobDirectory(id).appendingPathComponent("records.ndjson") }
    func checkpointURL(_ id: String) -> URL { jobDirectory(id).appendingPathComponent("checkpoint.json") }
    func datasetURL(_ id: String) -> URL { root.appendingPathComponent("datasets/\(id).csv") }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    func create(_ meta: JobMeta, spec: Data) throws {
        try FileManager.default.createDirectory(at: jobDirectory(meta.id), withIntermediateDirectories: true)
        try spec.write(to: jobDirectory(meta.id).appendingPathComponent("spec.json"), options: .atomic)
        try save(meta)
        try Data().write(to: recordsURL(meta.id))
    }

    func save(_ meta: JobMeta) throws {
        try Self.encoder.encode(meta).write(to: jobDirectory(meta.id).appendingPathComponent("meta.json"), options: .atomic)
    }

    func spec(_ id: String) -> Data? { try? Data(contentsOf: jobDirectory(id).appendingPathComponent("spec.json")) }

    /// Every stored job, for a restart.
    func loadAll() -> [JobMeta] {
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("jobs").path)) ?? []
        return dirs.compactMap { id in
            guard let data = try? Data(contentsOf: jobDirectory(id).appendingPathComponent("meta.json")) else { return nil }
            return try? Self.decoder.decode(JobMeta.self, from: data)
        }
    }

    func delete(_ id: String) { try? FileManager.default.removeItem(at: jobDirectory(id)) }

    /// Opens the job's record file for appending.
    func appender(_ id: String) throws -> FileHandle {
        let handle = try FileHandle(forWritingTo: recordsURL(id))
        try handle.seekToEnd()
        return handle
    }

    /// The complete lines in the last 4 MiB of the record file (where the
    /// summary and report are), without reading a long history.
    func tail(_ id: String) -> [Substring] {
        guard let handle = try? FileHandle(forReadingFrom: recordsURL(id)) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > 4 << 20 ? size - (4 << 20) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        if start > 0 && !lines.isEmpty { lines.removeFirst() }  // cut mid-line
        return lines
    }

    /// Calls `body` with each complete record line from the first step
    /// record whose step is above `step` (all lines for 0) until it returns
    /// false, reading 1 MiB at a time. Step records are stored in step order
    /// (alerts are not: one is dated to the first step of its streak), so
    /// the start is found by bisecting the file on step records: a page deep
    /// into a long history costs a few small reads, not the whole file.
    func forEachLine(_ id: String, afterStep step: Int, _ body: (Substring) -> Bool) {
        guard let handle = try? FileHandle(forReadingFrom: recordsURL(id)) else { return }
        defer { try? handle.close() }
        var offset = step > 0 ? Self.bisect(handle, afterStep: step) : 0
        var carry = Data()
        try? handle.seek(toOffset: offset)
        while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty {
            offset += UInt64(data.count)
            carry.append(data)
            // Lines are cut on their bytes, then decoded whole: a character
            // split between two reads must not become two replacement marks.
            guard let last = carry.lastIndex(of: 10) else { continue }
            var start = carry.startIndex
            while start < last, let end = carry[start...last].firstIndex(of: 10) {
                if end > start, !body(String(decoding: carry[start..<end], as: UTF8.self)[...]) { return }
                start = end + 1
            }
            carry = Data(carry[(last + 1)...])
        }
    }

    /// The offset of a line start at or before the first step record whose
    /// step is above `step`.
    private static func bisect(_ handle: FileHandle, afterStep step: Int) -> UInt64 {
        var low: UInt64 = 0, high = (try? handle.seekToEnd()) ?? 0
        while low < high, high - low > 1 << 16 {
            let mid = low + (high - low) / 2
            try? handle.seek(toOffset: mid)
            // The first step record starting after `mid` and before `high`;
            // none there (long lines) narrows the search to the lower half.
            var found: (at: UInt64, step: Int)?
            if let data = try? handle.read(upToCount: 256 << 10), var start = data.firstIndex(of: 10).map({ $0 + 1 }) {
                while start < data.endIndex, let end = data[start...].firstIndex(of: 10) {
                    let at = mid + UInt64(start - data.startIndex)
                    guard at < high else { break }
                    let line = RecordLine(String(decoding: data[start..<end], as: UTF8.self)[...])
                    if line.type == "step", let s = line.step { found = (at, s); break }
                    start = end + 1
                }
            }
            if let found, found.step <= step { low = found.at } else { high = mid }
        }
        return low
    }

    /// The step of the last step record, from the file's tail.
    func lastStep(_ id: String) -> Int? {
        tail(id).lazy.reversed().map(RecordLine.init).first { $0.type == "step" }?.step
    }

    /// The stored records, complete lines only (a torn last line is skipped).
    func records(_ id: String) -> [Substring] {
        guard let data = try? Data(contentsOf: recordsURL(id)), !data.isEmpty else { return [] }
        var text = String(decoding: data, as: UTF8.self)
        if !text.hasSuffix("\n"), let cut = text.lastIndex(of: "\n") { text = String(text[...cut]) } else if !text.hasSuffix("\n") { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true)
    }
}

/// The type and step of a stored record line, read from its first fields
/// (every record starts `{"type":"…"`, and those tied to a step carry
/// `"step":N` among their top-level fields, before any nested object or
/// array: a report's `first_nonfinite.step` is not its step).
struct RecordLine {
    var type: String
    var step: Int?
    var json: Substring

    init(_ line: Substring) {
        json = line
        var line = line
        (type, step) = line.withUTF8 { Self.scan(UnsafeRawBufferPointer($0)) }
    }

    /// The type and step of one line's bytes, with byte searches: replays
    /// read every stored line for every subscriber, and Foundation's
    /// `range(of:)` made that the server's main cost.
    static func scan(_ line: UnsafeRawBufferPointer) -> (type: String, step: Int?) {
        guard let base = line.baseAddress, line.count > 0 else { return ("", nil) }
        var type = ""
        let typeMarker: StaticString = #"{"type":""#
        if line.count > typeMarker.utf8CodeUnitCount, memcmp(base, typeMarker.utf8Start, typeMarker.utf8CodeUnitCount) == 0 {
            let start = typeMarker.utf8CodeUnitCount
            if let quote = memchr(base + start, Int32(UInt8(ascii: "\"")), line.count - start) {
                type = String(decoding: UnsafeRawBufferPointer(start: base + start, count: base.distance(to: UnsafeRawPointer(quote)) - start),
                              as: UTF8.self)
            }
        }
        let stepMarker: StaticString = #""step":"#
        var topLevel = line.count
        for i in 1..<line.count where line[i] == UInt8(ascii: "{") || line[i] == UInt8(ascii: "[") { topLevel = i; break }
        guard let found = find(stepMarker, in: UnsafeRawBufferPointer(rebasing: line[..<topLevel])) else { return (type, nil) }
        var i = found + stepMarker.utf8CodeUnitCount
        var value = 0, digits = 0
        while i < line.count, digits < 18, case let d = line[i], d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") {
            value = value * 10 + Int(d - UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        return (type, digits > 0 ? value : nil)
    }

    /// A step record's top-level `grad_norm` (nil when null: not finite)
    /// and whether it saw a NaN/Inf (`nonfinite_grads` above 0, a null
    /// norm or loss), read from its bytes as `scan` reads the step.
    static func chartFields(_ text: Substring) -> (gradNorm: Double?, nonfinite: Bool) {
        var text = text
        return text.withUTF8 { utf8 in
            let line = UnsafeRawBufferPointer(utf8)
            var topLevel = line.count
            for i in 1..<line.count where line[i] == UInt8(ascii: "{") || line[i] == UInt8(ascii: "[") { topLevel = i; break }
            let head = UnsafeRawBufferPointer(rebasing: line[..<topLevel])
            func value(_ marker: StaticString) -> Substring? {
                guard let at = find(marker, in: head) else { return nil }
                let start = at + marker.utf8CodeUnitCount
                var end = start
                while end < head.count, head[end] != UInt8(ascii: ","), head[end] != UInt8(ascii: "}") { end += 1 }
                return Substring(decoding: UnsafeRawBufferPointer(rebasing: head[start..<end]), as: UTF8.self)
            }
            let norm = value(#""grad_norm":"#).flatMap { Double($0) }
            let loss = value(#""loss":"#)
            let bad = (value(#""nonfinite_grads":"#).flatMap { Int($0) } ?? 0) > 0
            return (norm, bad || norm == nil || loss == "null")
        }
    }

    /// The offset of `marker` in `bytes` (memchr for its first byte, then memcmp).
    private static func find(_ marker: StaticString, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let n = marker.utf8CodeUnitCount
        var i = 0
        while i + n <= bytes.count, let hit = memchr(base + i, Int32(marker.utf8Start.pointee), bytes.count - n + 1 - i) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, marker.utf8Start, n) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}
