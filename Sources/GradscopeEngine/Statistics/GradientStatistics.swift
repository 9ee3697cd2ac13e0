/// What one step's gradient looks like over some parameters (one tensor or
/// a whole layer), and the size of the update it led to.
public struct GradientSummary: Sendable, Equatable {
    /// Number of values.
    public var count = 0
    /// ‖g‖₂ over the finite entries.
    public var gradNorm = 0.0
    public var maxAbs = 0.0
    public var meanAbs = 0.0
    public var zeroFraction = 0.0
    public var nanCount = 0
    public var infCount = 0
    /// ‖θ‖₂ before this step's update and ‖Δθ‖₂ of the update.
    public var weightNorm = 0.0
    public var updateNorm = 0.0

    /// ‖Δθ‖/‖θ‖; about 1e-3 is the healthy rule of thumb (CS231n).
    public var updateRatio: Double { weightNorm > 0 ? updateNorm / weightNorm : 0 }

    /// The summary of the union of two disjoint sets of values.
    static func + (a: Self, b: Self) -> Self {
        let n = a.count + b.count
        func mean(_ x: Double, _ y: Double) -> Double { n > 0 ? (x * Double(a.count) + y * Double(b.count)) / Double(n) : 0 }
        func l2(_ x: Double, _ y: Double) -> Double { (x * x + y * y).squareRoot() }
        return Self(
            count: n, gradNorm: l2(a.gradNorm, b.gradNorm), maxAbs: max(a.maxAbs, b.maxAbs),
            meanAbs: mean(a.meanAbs, b.meanAbs), zeroFraction: mean(a.zeroFraction, b.zeroFraction),
            nanCount: a.nanCount + b.nanCount, infCount: a.infCount + b.infCount,
            weightNorm: l2(a.weightNorm, b.weightNorm), updateNorm: l2(a.updateNorm, b.updateNorm))
    }
}

/// Statistics of one parameter tensor's gradient on one step.
@dynamicMemberLookup
public struct TensorStats: Sendable, Equatable {
    public var name: String
    public var summary: GradientSummary

    public subscript<T>(dynamicMember key: WritableKeyPath<GradientSummary, T>) -> T {
        get { summary[keyPath: key] }
        set { summary[keyPath: key] = newValue }
    }
}

/// Statistics of one layer with parameters on one step: the summary over all
/// of its parameters together, the per-tensor detail, and the histogram of
/// log10|g|.
@dynamicMemberLookup
public struct LayerStats: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var summary: GradientSummary
    public var params: [TensorStats]
    public var histogram: Histogram

    public subscript<T>(dynamicMember key: KeyPath<GradientSummary, T>) -> T { summary[keyPath: key] }
}

enum GradientStatistics {
    /// One pass over a gradient, eight values at a time: each value is
    /// classified into its histogram slot (which also counts zeros and
    /// non-finite values) while |g| and g² are summed in Double and max |g|
    /// is kept. Only a gradient with NaN or ±Inf gets a second, scalar pass,
    /// whose sums leave those values out.
    static func measure(_ p: Parameter, name: String, edges: HistogramEdges, into histogram: inout Histogram)
        -> (stats: TensorStats, squares: Double)
    {
        let n = p.count, g = p.grad.data
        var slots = [Int](repeating: 0, count: edges.slotCount)
        var sums = MagnitudeSums()
        slots.withUnsafeMutableBufferPointer { counts in
            edges.table.withUnsafeBufferPointer { table in
                let raw = UnsafeRawPointer(g)
                var k = 0
                while k + 8 <= n {
                    let v = raw.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                    sums.add(v)
                    for lane in 0..<8 { counts[edges.slot(of: v[lane], table: table)] += 1 }
                    k += 8
                }
                while k < n { counts[edges.slot(of: g[k], table: table)] += 1; k += 1 }
            }
        }
        for i in 0..<edges.bins { histogram.counts[i] += slots[i] }
        let zeros = slots[edges.zeroSlot]
        histogram.zero += zeros
        histogram.underflow += slots[edges.underflowSlot]
        histogram.overflow += slots[edges.overflowSlot]
        let nonfinite = slots[edges.nonfiniteSlot]
        histogram.nonfinite += nonfinite

        let (sumSq, sumAbs, maxAbs, nans) = nonfinite > 0 ? finiteSums(g, n) : sums.totals(g, tail: (n - n % 8)..<n)
        let stats = TensorStats(name: name, summary: GradientSummary(
            count: n, gradNorm: sumSq.squareRoot(), maxAbs: Double(maxAbs),
            meanAbs: n > 0 ? sumAbs / Double(n) : 0, zeroFraction: n > 0 ? Double(zeros) / Double(n) : 0,
            nanCount: nans, infCount: nonfinite - nans))
        return (stats, sumSq)
    }

    /// Σg², Σ|g| (in Double: a float32 square overflows from |g| ≈ 1.8e19)
    /// and max |g| of finite data, eight lanes at a time.
    static func sums(_ g: UnsafeMutablePointer<Float>, _ n: Int) -> (Double, Double, Float, Int) {
        var sums = MagnitudeSums()
        let raw = UnsafeRawPointer(g)
        var k = 0
        while k + 8 <= n {
            sums.add(raw.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self))
            k += 8
        }
        return sums.totals(g, tail: k..<n)
    }

    /// Running Σg², Σ|g| and max |g| over eight lanes.
    struct MagnitudeSums {
        var squares = SIMD8<Double>(), magnitudes = SIMD8<Double>(), largest = SIMD8<Float>()

        @inline(__always)
        mutating func add(_ v: SIMD8<Float>) {
            let a = v.replacing(with: -v, where: v .< 0)
            let d = SIMD8<Double>(a)
            squares += d * d
            magnitudes += d
            largest.replace(with: a, where: a .> largest)
        }

        /// The totals with the values g[tail] added one by one; the NaN count is 0.
        func totals(_ g: UnsafeMutablePointer<Float>, tail: Range<Int>) -> (Double, Double, Float, Int) {
            var sumSq = squares.sum(), sumAbs = magnitudes.sum(), maxAbs = largest.max()
            for k in tail {
                let a = abs(g[k]), d = Double(a)
                sumSq += d * d
                sumAbs += d
                maxAbs = max(maxAbs, a)
            }
            return (sumSq, sumAbs, maxAbs, 0)
        }
    }

    /// The same sums skipping NaN and ±Inf, and the NaN count; only for
    /// gradients that have non-finite values.
    static func finiteSums(_ g: UnsafeMutablePointer<Float>, _ n: Int) -> (Double, Double, Float, Int) {
        var sumSq = 0.0, sumAbs = 0.0, maxAbs: Float = 0, nans = 0
        for k in 0..<n {
            let a = abs(g[k])
            guard a.isFinite else { if a.isNaN { nans += 1 }; continue }
            let d = Double(a)
            sumSq += d * d
            sumAbs += d
            maxAbs = max(maxAbs, a)
        }
        return (sumSq, sumAbs, maxAbs, nans)
    }

    static func layer(name: String, layer: Layer, edges: HistogramEdges) -> (LayerStats, squares: Double) {
        var histogram = Histogram(bins: edges.bins)
        var params: [TensorStats] = []
        var squares = 0.0
        for p in layer.parameters {
            let (s, sq) = measure(p, name: p.name, edges: edges, into: &histogram)
            params.append(s)
            squares += sq
        }
        var summary = params.map(\.summary).reduce(GradientSummary(), +)
        // The exact sum of squares, not the rounded norms recombined.
        summary.gradNorm = squares.squareRoot()
        return (LayerStats(name: name, kind: layer.kind, summary: summary, params: params, histogram: histogram), squares)
    }

    /// Σg² over the finite entries of `parameters`, and how many entries are
    /// NaN or ±Inf: the SIMD sums, with a second, scalar pass only for a
    /// gradient that has non-finite values.
    static func globalSquares(_ parameters: [Parameter]) -> (squares: Double, nonfinite: Int) {
        var total = 0.0, nonfinite = 0
        for p in parameters {
            let (sq, _, maxAbs, _) = sums(p.grad.data, p.count)
            if sq.isFinite && maxAbs.isFinite {
                total += sq
            } else {
                let (finiteSq, _, _, _) = finiteSums(p.grad.data, p.count)
                total += finiteSq
                for k in 0..<p.count where !p.grad.data[k].isFinite { nonfinite += 1 }
            }
        }
        return (total, nonfinite)
    }

    /// ‖g‖₂ of each layer (finite entries) for steps that are not recorded.
    static func layerNorms(_ layers: [(name: String, layer: Layer)]) -> (norms: [Double], squares: Double, nonfinite: Int) {
        var norms: [Double] = [], squares = 0.0, nonfinite = 0
        norms.reserveCapacity(layers.count)
        for entry in layers {
            let (sq, bad) = globalSquares(entry.layer.parameters)
            norms.append(sq.squareRoot())
            squares += sq
            nonfinite += bad
        }
        return (norms, squares, nonfinite)
    }
}
