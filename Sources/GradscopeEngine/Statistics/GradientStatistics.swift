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

    public init(count: Int = 0, gradNorm: Double = 0, maxAbs: Double = 0, meanAbs: Double = 0, zeroFraction: Double = 0,
                nanCount: Int = 0, infCount: Int = 0, weightNorm: Double = 0, updateNorm: Double = 0) {
        self.count = count
        self.gradNorm = gradNorm
        self.maxAbs = maxAbs
        self.meanAbs = meanAbs
        self.zeroFraction = zeroFraction
        self.nanCount = nanCount
        self.infCount = infCount
        self.weightNorm = weightNorm
        self.updateNorm = updateNorm
    }

    /// ‖Δθ‖/‖θ‖; about 1e-3 is the healthy rule of thumb (CS231n). Unknown
    /// (nil, written as null) when ‖θ‖ is zero or was not measured.
    public var updateRatio: Double? { weightNorm > 0 && updateNorm.isFinite ? updateNorm / weightNorm : nil }

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

    public init(name: String, summary: GradientSummary) {
        self.name = name
        self.summary = summary
    }

    // Inlinable, so that callers in other modules read the field directly:
    // through the generic key path, each read was a runtime key-path walk.
    @inlinable
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

    public init(name: String, kind: LayerKind, summary: GradientSummary, params: [TensorStats], histogram: Histogram) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.params = params
        self.histogram = histogram
    }

    @inlinable  // as TensorStats'
    public subscript<T>(dynamicMember key: KeyPath<GradientSummary, T>) -> T { summary[keyPath: key] }
}

enum GradientStatistics {
    /// The histogram slots and the magnitude sums of a gradient, block by
    /// block so that the second pass over a block reads it from L1.
    static func measure(_ p: Parameter, name: String, edges: HistogramEdges, into histogram: inout Histogram)
        -> (stats: TensorStats, squares: Double)
    {
        let n = p.count, g = UnsafePointer(p.grad.data)
        var slots = [Int](repeating: 0, count: edges.slotCount)
        var sums = ValueSums()
        edges.withSlotCounter { counter in
            sums.add(g, n) { block, count in counter.count(block, count) }
            counter.total(into: &slots)
        }
        for i in 0..<edges.bins { histogram.counts[i] += slots[i] }
        let zeros = slots[edges.zeroSlot]
        histogram.zero += zeros
        histogram.underflow += slots[edges.underflowSlot]
        histogram.overflow += slots[edges.overflowSlot]
        histogram.nonfinite += slots[edges.nonfiniteSlot]

        let stats = TensorStats(name: name, summary: GradientSummary(
            count: n, gradNorm: sums.squares.squareRoot(), maxAbs: Double(sums.largest),
            meanAbs: n > 0 ? sums.magnitudes / Double(n) : 0, zeroFraction: n > 0 ? Double(zeros) / Double(n) : 0,
            nanCount: sums.nans, infCount: sums.infinities))
        return (stats, sums.squares)
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
    /// NaN or ±Inf.
    static func globalSquares(_ parameters: [Parameter]) -> (squares: Double, nonfinite: Int) {
        var total = 0.0, nonfinite = 0
        for p in parameters {
            let s = ValueSums(p.grad.data, p.count)
            total += s.squares
            nonfinite += s.nans + s.infinities
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
