import Foundation

/// Fixed log-magnitude bins for gradient values: `bins` equal bins of
/// log10|g| between `low` and `high` (default 64 bins over 1e-12 … 1e4, four
/// per decade). Bin i holds edges[i] ≤ |g| < edges[i+1], with
/// edges[i] = 10^(log10(low) + i·(log10(high) − log10(low))/bins) rounded to
/// float32. Exact zeros, |g| < low (underflow), |g| ≥ high (overflow) and
/// NaN/±Inf (nonfinite) are counted apart.
///
/// Fixed edges (unlike TensorBoard's or W&B's min–max bins) let counts be
/// added across steps and layers and drawn as a heat-map over time
/// (docs/algorithms.md §18). Classifying a value costs one table lookup (see
/// `table`), the "exponent bits" approach rather than a log10 per value.
public struct HistogramEdges: Sendable, Equatable {
    public let bins: Int
    public let low: Double
    public let high: Double
    public let edges: [Float]
    /// The slot of every float whose top 16 bits (sign cleared) are the index,
    /// and at `zeroKey` the slot of ±0. An entry is a slot (a bin,
    /// `zeroSlot`, `underflowSlot`, `overflowSlot` or `nonfiniteSlot`);
    /// `split | j` where edge j falls inside that range of floats, so one
    /// comparison with edges[j] decides; or `ambiguous` where several edges
    /// do (only with bins narrower than a key, ~0.8%), left to a binary
    /// search. One table load classifies almost every value, with no `log`
    /// call.
    let table: [UInt16]
    static let split: UInt16 = 0x8000
    static let ambiguous = UInt16.max

    /// The default edges, the one definition of them: 64 bins over 1e-12 …
    /// 1e4, four per decade (the Python client's `EDGES_DEFAULT` is tested
    /// against the records these write).
    public static let defaultBins = 64, defaultLow = 1e-12, defaultHigh = 1e4

    public init(bins: Int = defaultBins, low: Double = defaultLow, high: Double = defaultHigh) {
        precondition(bins > 0 && bins < 4096 && low > 0 && high > low)
        self.bins = bins
        self.low = low
        self.high = high
        let a = log10(low), b = log10(high)
        let edges = (0...bins).map { Float(pow(10, a + Double($0) * (b - a) / Double(bins))) }
        self.edges = edges
        table = (0..<(1 << 15)).map { key in
            // Key 0 leaves out 0, which has a key of its own.
            let first = Float(bitPattern: max(UInt32(key) << 16, 1)), last = Float(bitPattern: UInt32(key) << 16 | 0xFFFF)
            let s = Self.exactSlot(first, edges), t = Self.exactSlot(last, edges)
            if s == t { return UInt16(s) }
            let inside = edges.indices.filter { first < edges[$0] && edges[$0] <= last }
            return inside.count == 1 ? Self.split | UInt16(inside[0]) : Self.ambiguous
        } + [UInt16(bins)]
    }

    /// The table key of exact zeros (±0): ReLU nets' gradients are full of
    /// them, and they share key 0 with the denormals.
    static let zeroKey = 1 << 15

    public static func == (l: Self, r: Self) -> Bool { l.bins == r.bins && l.low == r.low && l.high == r.high }

    var zeroSlot: Int { bins }
    var underflowSlot: Int { bins + 1 }
    var overflowSlot: Int { bins + 2 }
    var nonfiniteSlot: Int { bins + 3 }
    /// Bins plus the four counters kept apart.
    var slotCount: Int { bins + 4 }

    /// The slot of a magnitude |g| (sign already cleared), by definition:
    /// binary search over the edges.
    static func exactSlot(_ a: Float, _ edges: [Float]) -> Int {
        let bins = edges.count - 1
        if a == 0 { return bins }
        if !a.isFinite { return bins + 3 }
        if a < edges[0] { return bins + 1 }
        if a >= edges[bins] { return bins + 2 }
        var lo = 0, hi = bins - 1  // edges[lo] ≤ a < edges[hi + 1]
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if a >= edges[mid] { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The slot of a gradient value (any sign).
    @inline(__always)
    func slot(of g: Float) -> Int {
        table.withUnsafeBufferPointer { slot(of: g, table: $0) }
    }

    @inline(__always)
    func slot(of g: Float, table t: UnsafeBufferPointer<UInt16>) -> Int {
        let bits = g.bitPattern & 0x7FFF_FFFF
        return resolve(Int(t[bits == 0 ? Self.zeroKey : Int(bits >> 16)]), Float(bitPattern: bits))
    }

    /// The slot of `magnitude` given its table entry.
    @inline(__always)
    func resolve(_ entry: Int, _ magnitude: Float) -> Int {
        if entry & Int(Self.split) == 0 { return entry }
        if entry == Int(Self.ambiguous) { return Self.exactSlot(magnitude, edges) }
        let j = entry & ~Int(Self.split)
        return magnitude >= edges[j] ? (j == bins ? overflowSlot : j) : (j == 0 ? underflowSlot : j - 1)
    }
}

extension HistogramEdges {
    /// Counts values into slots, eight at a time with one set of counters
    /// per lane: consecutive gradient values mostly share a bin, and one
    /// shared counter would chain every increment through memory.
    struct SlotCounter {
        let edges: HistogramEdges
        let table: UnsafeBufferPointer<UInt16>
        /// Eight counter sets of `edges.slotCount` each, lane after lane.
        let counts: UnsafeMutablePointer<UInt32>

        func count(_ g: UnsafePointer<Float>, _ n: Int) {
            let stride = edges.slotCount
            let c0 = counts, c1 = c0 + stride, c2 = c1 + stride, c3 = c2 + stride
            let c4 = c3 + stride, c5 = c4 + stride, c6 = c5 + stride, c7 = c6 + stride
            let raw = UnsafeRawPointer(g)
            var k = 0
            while k + 8 <= n {
                let bits = raw.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<UInt32>.self)
                let magnitudes = bits & 0x7FFF_FFFF
                // (m − 1) >> 31 is 1 for m = 0 only (m < 2³¹): zeros get zeroKey = 1 << 15
                // without a mask, which Swift's SIMD lowers lane by lane.
                let keys = (magnitudes &>> 16) | (((magnitudes &- 1) &>> 31) &<< 15)
                let s0 = Int(table[Int(keys[0])]), s1 = Int(table[Int(keys[1])])
                let s2 = Int(table[Int(keys[2])]), s3 = Int(table[Int(keys[3])])
                let s4 = Int(table[Int(keys[4])]), s5 = Int(table[Int(keys[5])])
                let s6 = Int(table[Int(keys[6])]), s7 = Int(table[Int(keys[7])])
                if (s0 | s1 | s2 | s3 | s4 | s5 | s6 | s7) & Int(HistogramEdges.split) != 0 {
                    for (lane, s) in [s0, s1, s2, s3, s4, s5, s6, s7].enumerated() {
                        counts[lane * stride + edges.resolve(s, abs(g[k + lane]))] &+= 1
                    }
                } else {
                    c0[s0] &+= 1; c1[s1] &+= 1; c2[s2] &+= 1; c3[s3] &+= 1
                    c4[s4] &+= 1; c5[s5] &+= 1; c6[s6] &+= 1; c7[s7] &+= 1
                }
                k += 8
            }
            while k < n { c0[edges.slot(of: g[k], table: table)] &+= 1; k += 1 }
        }

        /// Adds the eight lanes' counts to `slots`.
        func total(into slots: inout [Int]) {
            let stride = edges.slotCount
            for lane in 0..<8 {
                for s in 0..<stride { slots[s] += Int(counts[lane * stride + s]) }
            }
        }
    }

    /// Runs `body` with a zeroed counter (its counts live for the call only).
    func withSlotCounter<R>(_ body: (SlotCounter) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 8 * slotCount) { counts in
            counts.initialize(repeating: 0)
            return table.withUnsafeBufferPointer { table in
                body(SlotCounter(edges: self, table: table, counts: counts.baseAddress!))
            }
        }
    }
}

/// Counts of one histogram; add two with `+=`.
public struct Histogram: Sendable, Equatable {
    public var counts: [Int]
    public var zero = 0
    public var underflow = 0
    public var overflow = 0
    public var nonfinite = 0

    public init(bins: Int) { counts = Array(repeating: 0, count: bins) }

    public static func += (l: inout Histogram, r: Histogram) {
        for i in l.counts.indices { l.counts[i] += r.counts[i] }
        l.zero += r.zero
        l.underflow += r.underflow
        l.overflow += r.overflow
        l.nonfinite += r.nonfinite
    }

    public var total: Int { counts.reduce(0, +) + zero + underflow + overflow + nonfinite }
}
