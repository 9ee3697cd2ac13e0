/// Statistics of one parameter tensor's gradient on one step.
public struct TensorStats: Sendable, Equatable {
    public var name: String
    public var count: Int
    /// ‖g‖₂ over the finite entries.
    public var gradNorm: Double
    public var maxAbs: Double
    public var meanAbs: Double
    public var zeroFraction: Double
    public var nanCount: Int
    public var infCount: Int
    /// ‖θ‖₂ before this step's update and ‖Δθ‖₂ of the update.
    public var weightNorm: Double = 0
    public var updateNorm: Double = 0
}

/// Statistics of one layer with parameters on one step: everything over all
/// of its parameters together, the per-tensor detail, and the histogram of
/// log10|g|.
public struct LayerStats: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var gradNorm: Double
    public var maxAbs: Double
    public var meanAbs: Double
    public var zeroFraction: Double
    public var nanCount: Int
    public var infCount: Int
    public var weightNorm: Double
    public var updateNorm: Double
    /// ‖Δθ‖/‖θ‖; about 1e-3 is the healthy rule of thumb (CS231n).
    public var updateRatio: Double
    public var params: [TensorStats]
    public var histogram: Histogram
}

enum GradientStatistics {
    /// One pass over a gradient: sums for the norm and mean, max, zeros,
    /// non-finite counts and the histogram.
    static func measure(_ p: Parameter, name: String, edges: HistogramEdges, into histogram: inout Histogram)
        -> (stats: TensorStats, squares: Double)
    {
        let n = p.count, g = p.grad.data
        var sumSq = 0.0, sumAbs = 0.0, maxAbs: Float = 0, zeros = 0, nans = 0, infs = 0
        let low = edges.edges[0], high = edges.edges[edges.bins]
        for k in 0..<n {
            let a = abs(g[k])
            if a == 0 { zeros += 1; continue }
            guard a.isFinite else {
                if a.isNaN { nans += 1 } else { infs += 1 }
                continue
            }
            // Squares in Double: a float32 square overflows from |g| ≈ 1.8e19 on.
            sumSq += Double(a) * Double(a)
            sumAbs += Double(a)
            if a > maxAbs { maxAbs = a }
            if a < low { histogram.underflow += 1 } else if a >= high { histogram.overflow += 1 } else {
                histogram.counts[edges.bin(ofMagnitude: a)] += 1
            }
        }
        histogram.zero += zeros
        histogram.nonfinite += nans + infs
        let stats = TensorStats(
            name: name, count: n, gradNorm: sumSq.squareRoot(), maxAbs: Double(maxAbs),
            meanAbs: n > 0 ? sumAbs / Double(n) : 0, zeroFraction: n > 0 ? Double(zeros) / Double(n) : 0,
            nanCount: nans, infCount: infs)
        return (stats, sumSq)
    }

    static func layer(name: String, layer: Layer, edges: HistogramEdges) -> (LayerStats, squares: Double) {
        var histogram = Histogram(bins: edges.bins)
        var params: [TensorStats] = []
        var squares = 0.0, absSum = 0.0, maxAbs = 0.0, zeros = 0.0, count = 0, nans = 0, infs = 0
        for p in layer.parameters {
            let (s, sq) = measure(p, name: p.name, edges: edges, into: &histogram)
            params.append(s)
            squares += sq
            absSum += s.meanAbs * Double(s.count)
            maxAbs = max(maxAbs, s.maxAbs)
            zeros += s.zeroFraction * Double(s.count)
            count += s.count
            nans += s.nanCount
            infs += s.infCount
        }
        let stats = LayerStats(
            name: name, kind: layer.kind, gradNorm: squares.squareRoot(), maxAbs: maxAbs,
            meanAbs: count > 0 ? absSum / Double(count) : 0, zeroFraction: count > 0 ? zeros / Double(count) : 0,
            nanCount: nans, infCount: infs, weightNorm: 0, updateNorm: 0, updateRatio: 0,
            params: params, histogram: histogram)
        return (stats, squares)
    }

    /// ‖g‖₂ over all parameters (finite entries), for steps that are not recorded.
    static func globalSquares(_ parameters: [Parameter]) -> (squares: Double, nonfinite: Int) {
        var total = 0.0, nonfinite = 0
        for p in parameters {
            let g = p.grad.data
            for k in 0..<p.count {
                let v = Double(g[k])
                if v.isFinite { total += v * v } else { nonfinite += 1 }
            }
        }
        return (total, nonfinite)
    }
}
