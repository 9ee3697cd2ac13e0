import Foundation
import GradscopeEngine

/// The fast path of ingest: reads step records of the shape the Python
/// client posts (step, loss, lr, grad_norm, nonfinite_grads, layers with
/// their statistics, parameters and histogram, and signals with each
/// layer's δ) from the bytes of an NDJSON
/// line into an `ExternalRecord`, without a `JSONValue` tree, its
/// dictionaries and hashed keys. On ingest these were most of the server's
/// CPU, which a client training on the same machine pays for.
///
/// It declines (nil) whatever else it meets: another field, an escape in a
/// name, a member twice, a value out of range. The caller then reads the
/// batch the checked way, so the scanner need only agree with
/// `ExternalRecord(json:path:run:)` on what it accepts; a test holds it to
/// that on generated and mutated records.
struct ExternalRecordScanner {
    private var p: JSONParser
    private let run: ExternalRunSpec

    private init(_ bytes: UnsafeRawBufferPointer, run: ExternalRunSpec) {
        p = JSONParser(bytes)
        self.run = run
    }

    /// Every record of an NDJSON body, or nil if one line is not for the fast path.
    static func lines(_ body: UnsafeRawBufferPointer, run: ExternalRunSpec, limit: Int) -> [ExternalRecord]? {
        var records: [ExternalRecord] = []
        var start = 0
        while start < body.count {
            let rest = UnsafeRawBufferPointer(rebasing: body[start...])
            let end = rest.firstIndex(of: 0x0A).map { start + $0 } ?? body.count
            var s = ExternalRecordScanner(UnsafeRawBufferPointer(rebasing: body[start..<end]), run: run)
            start = end + 1
            s.p.skipSpace()
            guard s.p.peek != nil else { continue }  // a blank line
            guard records.count < limit, let record = s.record() else { return nil }
            s.p.skipSpace()
            guard s.p.peek == nil else { return nil }
            records.append(.step(record.0, lossKnown: record.lossKnown))
        }
        return records
    }

    // MARK: Members

    private enum Key: Int, CaseIterable {
        case type, step, loss, lr, gradNorm, nonfiniteGrads, layers, signals
        case name, maxAbs, meanAbs, zeroFraction, nan, inf, weightNorm, updateNorm, params, hist, deltaRms
        case counts, zero, underflow, overflow, nonfinite

        var text: String {
            switch self {
            case .gradNorm: "grad_norm"
            case .nonfiniteGrads: "nonfinite_grads"
            case .maxAbs: "max_abs"
            case .meanAbs: "mean_abs"
            case .zeroFraction: "zero_fraction"
            case .weightNorm: "weight_norm"
            case .updateNorm: "update_norm"
            case .deltaRms: "delta_rms"
            default: "\(self)"
            }
        }

        static let names: [(key: Key, bytes: [UInt8])] = allCases.map { ($0, Array($0.text.utf8)) }
        var bit: UInt32 { 1 << UInt32(rawValue) }
    }

    /// Reads `{`, then member after member: `member` reads each value and
    /// says whether it could; nil on anything unexpected or a member twice.
    private mutating func object(_ member: (inout Self, Key) -> Bool) -> Bool {
        p.skipSpace()
        guard p.peek == UInt8(ascii: "{") else { return false }
        p.at += 1
        p.skipSpace()
        if p.peek == UInt8(ascii: "}") { p.at += 1; return true }
        var seen: UInt32 = 0
        while true {
            p.skipSpace()
            guard let key = key(), seen & key.bit == 0 else { return false }
            seen |= key.bit
            p.skipSpace()
            guard p.peek == UInt8(ascii: ":") else { return false }
            p.at += 1
            p.skipSpace()
            guard member(&self, key) else { return false }
            p.skipSpace()
            switch p.peek {
            case UInt8(ascii: ","): p.at += 1
            case UInt8(ascii: "}"): p.at += 1; return true
            default: return false
            }
        }
    }

    /// Reads `[`, then item after item with `item`.
    private mutating func array(_ item: (inout Self) -> Bool) -> Bool {
        guard p.peek == UInt8(ascii: "[") else { return false }
        p.at += 1
        p.skipSpace()
        if p.peek == UInt8(ascii: "]") { p.at += 1; return true }
        while true {
            p.skipSpace()
            guard item(&self) else { return false }
            p.skipSpace()
            switch p.peek {
            case UInt8(ascii: ","): p.at += 1
            case UInt8(ascii: "]"): p.at += 1; return true
            default: return false
            }
        }
    }

    /// null (as absent), or an array whose items `read` reads into `items`.
    private mutating func optionalArray<T>(into items: inout [T], _ read: (inout Self) -> T?) -> Bool {
        if null() { return true }
        return array { s in
            guard let item = read(&s) else { return false }
            items.append(item)
            return true
        }
    }

    /// A string without escapes or control characters, as its bytes.
    private mutating func plainString() -> UnsafeRawBufferPointer? {
        guard p.peek == UInt8(ascii: "\"") else { return nil }
        p.at += 1
        let start = p.at
        while let c = p.peek, c != UInt8(ascii: "\"") {
            guard c >= 0x20, c != UInt8(ascii: "\\") else { return nil }
            p.at += 1
        }
        guard p.peek != nil else { return nil }
        p.at += 1
        return UnsafeRawBufferPointer(rebasing: p.bytes[start..<p.at - 1])
    }

    private mutating func key() -> Key? {
        guard let bytes = plainString() else { return nil }
        return Key.names.first { $0.bytes.count == bytes.count && $0.bytes.elementsEqual(bytes) }?.key
    }

    private mutating func null() -> Bool {
        guard p.peek == UInt8(ascii: "n") else { return false }
        return (try? p.literal("null")) != nil
    }

    private mutating func number() -> Double? {
        guard let c = p.peek, c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) else { return nil }
        return try? p.number()
    }

    /// As `ObjectReader.statistic`: null is NaN, else a finite number (≥ 0 unless signed).
    private mutating func statistic(signed: Bool = false) -> Double? {
        if null() { return .nan }
        guard let v = number(), v.isFinite, signed || v >= 0 else { return nil }
        return v
    }

    /// As `ObjectReader.count`: null is 0, else a whole number in [0, 9e15).
    private mutating func count() -> Int? {
        if null() { return 0 }
        guard let v = number(), v >= 0, v == v.rounded(), v < 9e15 else { return nil }
        return Int(v)
    }

    // MARK: Records

    private mutating func record() -> (StepRecord, lossKnown: Bool)? {
        var step: Int?, loss = 0.0, lossKnown = false, lr = Double.nan
        var gradNorm: Double?, nonfinite: Int?
        var layers: [LayerStats] = []
        layers.reserveCapacity(run.layers.count)
        var signals: [LayerSignal] = []
        let ok = object { s, key in
            switch key {
            case .type:
                if s.null() { return true }
                guard let t = s.plainString() else { return false }
                return t.elementsEqual("step".utf8)
            case .step:
                guard let v = s.count(), v >= 1, v <= JobSpec.maxSteps else { return false }  // null: 0, refused
                step = v
                return true
            case .loss:
                lossKnown = true
                guard let v = s.statistic(signed: true) else { return false }
                loss = v
                return true
            case .lr:
                guard let v = s.statistic() else { return false }
                lr = v
                return true
            case .gradNorm:
                gradNorm = s.statistic()
                return gradNorm != nil
            case .nonfiniteGrads:
                if s.null() { return true }  // as absent: the layers' sum
                nonfinite = s.count()
                return nonfinite != nil
            case .layers:
                return s.array { s in
                    guard layers.count < s.run.layers.count, let layer = s.layer(s.run.layers[layers.count]) else { return false }
                    layers.append(layer)
                    return true
                }
            case .signals:
                return s.optionalArray(into: &signals) { $0.signal() }
            default:
                return false
            }
        }
        guard ok, let step, layers.count == run.layers.count else { return nil }
        let squares = layers.reduce(0.0) { $0 + ($1.gradNorm.isFinite ? $1.gradNorm * $1.gradNorm : 0) }
        let norm = gradNorm ?? squares.squareRoot()
        let nonfiniteGradients = nonfinite ?? layers.reduce(0) { total, l in
            [l.nanCount, l.infCount].reduce(total) { a, b in
                let (sum, overflow) = a.addingReportingOverflow(b)
                return overflow ? Int.max : sum
            }
        }
        let pulse = StepPulse(
            step: step, epoch: 1, loss: loss, learningRate: lr, gradNorm: norm, layerGradNorms: layers.map { $0.summary.gradNorm },
            gradNormClipped: norm, clipCoefficient: 1, nonfiniteGradients: nonfiniteGradients, skipped: false,
            accuracy: nil, sampleIndices: [])
        return (StepRecord(pulse: pulse, batchSize: 0, layers: layers, signals: signals), lossKnown)
    }

    /// A signal as the client sends it: its name and δ RMS (absent: 0, null:
    /// NaN), the rest unmeasured, as `ExternalRecord`'s checked reader has it.
    private mutating func signal() -> LayerSignal? {
        var name: String?, delta = 0.0
        let ok = object { s, key in
            switch key {
            case .name:
                guard let n = s.plainString() else { return false }
                name = String(validating: n, as: UTF8.self)  // nil, declined, if not UTF-8
                return name != nil
            case .deltaRms:
                guard let v = s.statistic() else { return false }
                delta = v
                return true
            default:
                return false
            }
        }
        guard ok, let name else { return nil }
        var signal = LayerSignal(name: name, kind: .identity)
        signal.deltaRMS = delta
        return signal
    }

    private mutating func layer(_ declared: ExternalRunSpec.Layer) -> LayerStats? {
        var summary = GradientSummary.unmeasured, hasNorm = false, named = false
        var params: [TensorStats] = []
        var histogram = Histogram(bins: 0)
        let ok = object { s, key in
            switch key {
            case .name:
                guard let n = s.plainString(), n.elementsEqual(declared.name.utf8) else { return false }
                named = true
                return true
            case .params:
                return s.optionalArray(into: &params) { $0.param() }
            case .hist:
                if s.null() { return true }
                guard let h = s.histogram() else { return false }
                histogram = h
                return true
            default:
                if key == .gradNorm { hasNorm = true }
                return s.summaryField(key, into: &summary)
            }
        }
        guard ok, named, hasNorm else { return nil }
        return LayerStats(name: declared.name, kind: declared.kind ?? .identity, summary: summary, params: params, histogram: histogram)
    }

    private mutating func param() -> TensorStats? {
        var summary = GradientSummary.unmeasured, hasNorm = false
        var name: String?
        let ok = object { s, key in
            if key == .name {
                guard let n = s.plainString() else { return false }
                name = String(validating: n, as: UTF8.self)  // nil, declined, if not UTF-8
                return name != nil
            }
            if key == .gradNorm { hasNorm = true }
            return s.summaryField(key, into: &summary)
        }
        guard ok, hasNorm, let name else { return nil }
        return TensorStats(name: name, summary: summary)
    }

    /// One of the statistics every layer and parameter may carry.
    private mutating func summaryField(_ key: Key, into s: inout GradientSummary) -> Bool {
        switch key {
        case .nan, .inf:
            guard let v = count() else { return false }
            if key == .nan { s.nanCount = v } else { s.infCount = v }
            return true
        case .gradNorm, .maxAbs, .meanAbs, .zeroFraction, .weightNorm, .updateNorm:
            guard let v = statistic() else { return false }
            switch key {
            case .gradNorm: s.gradNorm = v
            case .maxAbs: s.maxAbs = v
            case .meanAbs: s.meanAbs = v
            case .zeroFraction:
                guard !(v > 1) else { return false }
                s.zeroFraction = v
            case .weightNorm: s.weightNorm = v
            default: s.updateNorm = v
            }
            return true
        default:
            return false
        }
    }

    private mutating func histogram() -> Histogram? {
        let bins = run.edges.bins
        var h = Histogram(bins: bins), filled = 0
        let ok = object { s, key in
            switch key {
            case .counts:
                return s.array { s in
                    guard filled < bins, !s.null(), let c = s.count() else { return false }
                    h.counts[filled] = c
                    filled += 1
                    return true
                }
            case .zero: h.zero = s.count() ?? -1
            case .underflow: h.underflow = s.count() ?? -1
            case .overflow: h.overflow = s.count() ?? -1
            case .nonfinite: h.nonfinite = s.count() ?? -1
            default: return false
            }
            return min(h.zero, h.underflow, h.overflow, h.nonfinite) >= 0
        }
        guard ok, filled == bins else { return nil }
        return h
    }
}

extension GradientSummary {
    /// A client's statistics before its fields are read: what it does not
    /// send stays unknown (NaN, written as null).
    static var unmeasured: GradientSummary {
        var s = GradientSummary()
        (s.maxAbs, s.meanAbs, s.zeroFraction, s.weightNorm, s.updateNorm) = (.nan, .nan, .nan, .nan, .nan)
        return s
    }
}
