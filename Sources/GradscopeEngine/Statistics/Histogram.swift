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
/// (ALGORITHMS.md §10). Classifying a value costs one table lookup (see
/// `table`), the "exponent bits" approach rather than a log10 per value.
public struct HistogramEdges: Sendable, Equatable {
    public let bins: Int
    public let low: Double
    public let high: Double
    public let edges: [Float]
    /// The slot of every float whose top 16 bits (sign cleared) are the index:
    /// a bin, `zeroSlot`, `underflowSlot`, `overflowSlot`, `nonfiniteSlot`, or
    /// `ambiguous` where an edge falls inside that range of floats. One table
    /// load classifies almost every value, with no `log` call.
    let table: [UInt16]
    static let ambiguous = UInt16.max

    public init(bins: Int = 64, low: Double = 1e-12, high: Double = 1e4) {
        precondition(bins > 0 && bins < 4096 && low > 0 && high > low)
        self.bins = bins
        self.low = low
        self.high = high
        let a = log10(low), b = log10(high)
        let edges = (0...bins).map { Float(pow(10, a + Double($0) * (b - a) / Double(bins))) }
        self.edges = edges
        table = (0..<(1 << 15)).map { key in
            let first = Float(bitPattern: UInt32(key) << 16), last = Float(bitPattern: UInt32(key) << 16 | 0xFFFF)
            let s = Self.exactSlot(first, edges), t = Self.exactSlot(last, edges)
            return s == t ? UInt16(s) : Self.ambiguous
        }
    }

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
        let s = t[Int(bits >> 16)]
        return s != Self.ambiguous ? Int(s) : Self.exactSlot(Float(bitPattern: bits), edges)
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
