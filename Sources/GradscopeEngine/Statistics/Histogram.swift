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
/// (ALGORITHMS.md §10).
public struct HistogramEdges: Sendable, Equatable {
    public let bins: Int
    public let low: Double
    public let high: Double
    public let edges: [Float]
    private let log2Low: Float
    private let binsPerLog2: Float

    public init(bins: Int = 64, low: Double = 1e-12, high: Double = 1e4) {
        precondition(bins > 0 && low > 0 && high > low)
        self.bins = bins
        self.low = low
        self.high = high
        let a = log10(low), b = log10(high)
        edges = (0...bins).map { Float(pow(10, a + Double($0) * (b - a) / Double(bins))) }
        log2Low = Float(log2(low))
        binsPerLog2 = Float(Double(bins) / log2(high / low))
    }

    public static func == (l: Self, r: Self) -> Bool { l.bins == r.bins && l.low == r.low && l.high == r.high }

    /// The bin of a finite, nonzero magnitude within [edges[0], edges[bins]).
    /// An estimate of log2 from the float's bits (exponent + mantissa − 1,
    /// off by < 0.09) is corrected against the exact edges, so no `log` call
    /// is made per value.
    @inline(__always)
    func bin(ofMagnitude a: Float) -> Int {
        let bits = a.bitPattern
        let log2Estimate = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
            + (Float(bitPattern: (bits & 0x7F_FFFF) | 0x3F80_0000) - 1)
        var i = Int((log2Estimate - log2Low) * binsPerLog2)
        i = min(max(i, 0), bins - 1)
        while i > 0 && a < edges[i] { i -= 1 }
        while i < bins - 1 && a >= edges[i + 1] { i += 1 }
        return i
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
